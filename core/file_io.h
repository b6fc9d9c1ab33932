#pragma once
// Whole-file reading and atomic writing.
//
// Every file Muta writes goes through WriteFileAtomic / AtomicFile: data goes to a temporary
// file beside the target ("NAME.tmp-PID-N"), is flushed and fsync'ed, then renamed over the
// target. A crash or Ctrl-C never leaves a half-written file under the final name.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace muta {

/// Reads a whole file. Throws muta::Error naming the file if it is missing or unreadable.
std::vector<std::uint8_t> ReadFileBytes(const std::filesystem::path& path);
std::string ReadFileText(const std::filesystem::path& path);

/// Writes `data` to `path` atomically (temp + fsync + rename). Creates parent directories.
void WriteFileAtomic(const std::filesystem::path& path, std::span<const std::uint8_t> data);
void WriteFileAtomic(const std::filesystem::path& path, std::string_view text);

/// An output stream to a temporary file that becomes `path` on Commit(). Destroyed without
/// Commit() (e.g. by an exception), it removes the temporary and leaves `path` untouched.
class AtomicFile {
 public:
  explicit AtomicFile(std::filesystem::path path, bool binary = true);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  std::ostream& stream() { return stream_; }
  /// The temporary path, for libraries that insist on writing a file by name themselves.
  const std::filesystem::path& temp_path() const { return temp_path_; }
  /// Flushes, checks for write errors (e.g. a full disk), fsyncs and renames into place.
  void Commit();

 private:
  std::filesystem::path path_;
  std::filesystem::path temp_path_;
  std::ofstream stream_;
  bool committed_ = false;
};

/// Renames `temp` over `path` after fsync'ing it; throws naming `path` on failure.
void CommitTempFile(const std::filesystem::path& temp, const std::filesystem::path& path);

/// A unique temporary path beside `path`.
std::filesystem::path TempPathFor(const std::filesystem::path& path);

/// Fast, stable 64-bit hash (not cryptographic) – used for fingerprints and options hashes.
std::uint64_t Hash64(std::span<const std::uint8_t> data, std::uint64_t seed = 0);
std::uint64_t Hash64(std::string_view text, std::uint64_t seed = 0);
/// 16 lowercase hex digits.
std::string HexString(std::uint64_t value);

}  // namespace muta
