#include "core/file_io.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include "core/error.h"

namespace muta {
namespace fs = std::filesystem;

namespace {

std::string ErrnoText() { return std::strerror(errno); }

void FsyncPath(const fs::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

std::vector<std::uint8_t> ReadFileBytes(const fs::path& path) {
  std::error_code ec;
  MUTA_CHECK(fs::exists(path, ec)) << path.string() << ": no such file";
  MUTA_CHECK(!fs::is_directory(path, ec)) << path.string() << ": is a directory, expected a file";
  std::ifstream in(path, std::ios::binary);
  MUTA_CHECK(in.good()) << path.string() << ": cannot open for reading (" << ErrnoText() << ")";
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  MUTA_CHECK(size >= 0) << path.string() << ": cannot determine the file size";
  in.seekg(0, std::ios::beg);
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(size));
  if (size > 0) in.read(reinterpret_cast<char*>(bytes.data()), size);
  MUTA_CHECK(in.good() || in.eof()) << path.string() << ": read error";
  return bytes;
}

std::string ReadFileText(const fs::path& path) {
  const auto bytes = ReadFileBytes(path);
  return std::string(bytes.begin(), bytes.end());
}

fs::path TempPathFor(const fs::path& path) {
  static std::atomic<unsigned> counter{0};
  fs::path temp = path;
  temp += ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
  return temp;
}

void CommitTempFile(const fs::path& temp, const fs::path& path) {
  FsyncPath(temp);
  std::error_code ec;
  fs::rename(temp, path, ec);
  if (ec) {
    fs::remove(temp, ec);
    MUTA_FAIL << path.string() << ": cannot move the finished file into place (" << ec.message()
              << ")";
  }
  if (path.has_parent_path()) FsyncPath(path.parent_path());
}

AtomicFile::AtomicFile(fs::path path, bool binary) : path_(std::move(path)) {
  if (path_.has_parent_path()) {
    std::error_code ec;
    fs::create_directories(path_.parent_path(), ec);
    MUTA_CHECK(!ec) << path_.parent_path().string() << ": cannot create directory ("
                    << ec.message() << ")";
  }
  temp_path_ = TempPathFor(path_);
  stream_.open(temp_path_, binary ? std::ios::binary | std::ios::out : std::ios::out);
  MUTA_CHECK(stream_.is_open()) << path_.string() << ": cannot open for writing (" << ErrnoText()
                                << "); check permissions and free disk space";
}

AtomicFile::~AtomicFile() {
  if (!committed_) {
    stream_.close();
    std::error_code ec;
    fs::remove(temp_path_, ec);
  }
}

void AtomicFile::Commit() {
  MUTA_INTERNAL_CHECK(!committed_) << path_.string();
  stream_.flush();
  const bool ok = stream_.good();
  stream_.close();
  if (!ok || stream_.fail()) {
    std::error_code ec;
    fs::remove(temp_path_, ec);
    committed_ = true;
    MUTA_FAIL << path_.string() << ": write failed (disk full or I/O error); the previous "
              << "version, if any, is untouched – free some space and run again";
  }
  committed_ = true;
  CommitTempFile(temp_path_, path_);
}

void WriteFileAtomic(const fs::path& path, std::span<const std::uint8_t> data) {
  AtomicFile file(path);
  file.stream().write(reinterpret_cast<const char*>(data.data()),
                      static_cast<std::streamsize>(data.size()));
  file.Commit();
}

void WriteFileAtomic(const fs::path& path, std::string_view text) {
  WriteFileAtomic(path, std::span<const std::uint8_t>(
                            reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}

std::uint64_t Hash64(std::span<const std::uint8_t> data, std::uint64_t seed) {
  // 64-bit multiply-xorshift over 8-byte words (in the spirit of wyhash/xxh64; not crypto).
  constexpr std::uint64_t kMul = 0x9E3779B97F4A7C15ull;
  std::uint64_t h = seed ^ (data.size() * kMul);
  auto mix = [](std::uint64_t x) {
    x ^= x >> 32;
    x *= 0xD6E8FEB86659FD93ull;
    x ^= x >> 32;
    x *= 0xD6E8FEB86659FD93ull;
    x ^= x >> 32;
    return x;
  };
  std::size_t i = 0;
  for (; i + 8 <= data.size(); i += 8) {
    std::uint64_t word;
    std::memcpy(&word, data.data() + i, 8);
    h = (h ^ mix(word + kMul)) * kMul;
    h = (h << 27) | (h >> 37);
  }
  std::uint64_t tail = 0;
  for (std::size_t k = 0; i + k < data.size(); ++k) tail |= std::uint64_t(data[i + k]) << (8 * k);
  h = mix(h ^ mix(tail ^ 0xA0761D6478BD642Full));
  return h;
}

std::uint64_t Hash64(std::string_view text, std::uint64_t seed) {
  return Hash64(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(text.data()),
                                              text.size()),
                seed);
}

std::string HexString(std::uint64_t value) {
  static const char* kDigits = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i, value >>= 4) out[i] = kDigits[value & 15];
  return out;
}

}  // namespace muta
