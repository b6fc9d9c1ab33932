// COLMAP's fused.ply.vis (see core/ply_io.h): little-endian uint64 point count, then for each
// point a uint32 image count and that many uint32 image ids.

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <limits>

#include "core/error.h"
#include "core/file_io.h"
#include "core/ply_io.h"

namespace muta {
namespace {

constexpr const char* kRerun =
    "the file is damaged or incomplete – delete it and run the fusion step again";

template <typename T>
T LoadLittleEndian(const std::uint8_t* p) {
  std::array<std::uint8_t, sizeof(T)> raw;
  std::memcpy(raw.data(), p, sizeof(T));
  if constexpr (std::endian::native == std::endian::big) std::reverse(raw.begin(), raw.end());
  T value;
  std::memcpy(&value, raw.data(), sizeof(T));
  return value;
}

template <typename T>
void AppendLittleEndian(std::vector<std::uint8_t>& out, T value) {
  std::array<std::uint8_t, sizeof(T)> raw;
  std::memcpy(raw.data(), &value, sizeof(T));
  if constexpr (std::endian::native == std::endian::big) std::reverse(raw.begin(), raw.end());
  out.insert(out.end(), raw.begin(), raw.end());
}

}  // namespace

std::vector<std::vector<std::uint32_t>> ParseFusedVisibility(std::span<const std::uint8_t> bytes,
                                                             const std::string& name) {
  MUTA_CHECK(bytes.size() >= 8) << name << ": too short for a fused.ply.vis file (" << bytes.size()
                                << " bytes; the point count alone takes 8); " << kRerun;
  const auto num_points = LoadLittleEndian<std::uint64_t>(bytes.data());
  std::size_t pos = 8;
  // Every point takes at least 4 bytes (its image count): check before allocating.
  MUTA_CHECK(num_points <= (bytes.size() - pos) / 4)
      << name << ": truncated or corrupt: it announces " << num_points << " points but only "
      << bytes.size() - pos << " bytes of data follow; " << kRerun;
  std::vector<std::vector<std::uint32_t>> visibility(static_cast<std::size_t>(num_points));
  for (std::size_t i = 0; i < visibility.size(); ++i) {
    MUTA_CHECK(bytes.size() - pos >= 4) << name << ": truncated: the file ends at point " << i
                                        << " of " << num_points << "; " << kRerun;
    const auto n = LoadLittleEndian<std::uint32_t>(bytes.data() + pos);
    pos += 4;
    MUTA_CHECK(n <= (bytes.size() - pos) / 4)
        << name << ": truncated or corrupt: point " << i << " of " << num_points << " lists " << n
        << " images but only " << bytes.size() - pos << " bytes remain; " << kRerun;
    auto& ids = visibility[i];
    ids.resize(n);
    for (std::uint32_t k = 0; k < n; ++k, pos += 4) {
      ids[k] = LoadLittleEndian<std::uint32_t>(bytes.data() + pos);
    }
  }
  MUTA_CHECK(pos == bytes.size()) << name << ": corrupt: " << bytes.size() - pos
                                  << " unexpected bytes after the last of " << num_points
                                  << " points; " << kRerun;
  return visibility;
}

std::vector<std::vector<std::uint32_t>> ReadFusedVisibility(const std::filesystem::path& path) {
  return ParseFusedVisibility(ReadFileBytes(path), path.string());
}

void WriteFusedVisibility(const std::filesystem::path& path,
                          const std::vector<std::vector<std::uint32_t>>& visibility) {
  std::size_t total = 8;
  for (const auto& ids : visibility) {
    MUTA_CHECK(ids.size() <= std::numeric_limits<std::uint32_t>::max())
        << path.string() << ": cannot write a point seen by " << ids.size() << " images";
    total += 4 * (1 + ids.size());
  }
  std::vector<std::uint8_t> bytes;
  bytes.reserve(total);
  AppendLittleEndian<std::uint64_t>(bytes, visibility.size());
  for (const auto& ids : visibility) {
    AppendLittleEndian(bytes, static_cast<std::uint32_t>(ids.size()));
    for (const std::uint32_t id : ids) AppendLittleEndian(bytes, id);
  }
  WriteFileAtomic(path, bytes);
}

}  // namespace muta
