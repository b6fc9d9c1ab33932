// COLMAP dense array files (see core/depth_map_io.h).

#include "core/depth_map_io.h"

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <cstring>
#include <limits>
#include <string_view>

#include "core/error.h"
#include "core/file_io.h"

namespace muta {
namespace {

namespace fs = std::filesystem;

/// Most values a map may hold (COLMAP's maps are at most a few tens of millions).
constexpr std::uint64_t kMaxValues = std::uint64_t{1} << 31;

constexpr const char* kReexport =
    "the file is damaged or incomplete – delete it and run the dense stereo step again";

float LoadFloat(const std::uint8_t* p) {
  std::array<std::uint8_t, 4> raw;
  std::memcpy(raw.data(), p, 4);
  if constexpr (std::endian::native == std::endian::big) std::reverse(raw.begin(), raw.end());
  float value;
  std::memcpy(&value, raw.data(), 4);
  return value;
}

}  // namespace

FloatMap ParseColmapArray(std::span<const std::uint8_t> bytes, const std::string& name) {
  MUTA_CHECK(!bytes.empty()) << name << ": empty file (0 bytes), expected a COLMAP depth or "
                             << "normal map; " << kReexport;
  // Header: "W&H&C&", each a positive decimal number.
  std::array<std::uint64_t, 3> dims{};
  std::size_t pos = 0;
  for (int i = 0; i < 3; ++i) {
    const std::size_t start = pos;
    while (pos < bytes.size() && pos - start <= 10 && bytes[pos] >= '0' && bytes[pos] <= '9') {
      ++pos;
    }
    const bool ok = pos > start && pos - start <= 10 && pos < bytes.size() && bytes[pos] == '&';
    MUTA_CHECK(ok) << name << ": not a COLMAP array file: the header must be \"WIDTH&HEIGHT&"
                   << "CHANNELS&\" with positive numbers (problem at byte " << pos << "); "
                   << kReexport;
    const char* text = reinterpret_cast<const char*>(bytes.data());
    std::from_chars(text + start, text + pos, dims[i]);  // at most 10 digits: no overflow
    ++pos;                                               // the '&'
  }
  const auto [width, height, channels] = dims;
  MUTA_CHECK(width > 0 && height > 0 && channels > 0)
      << name << ": the COLMAP array header announces an empty map (" << width << "x" << height
      << "x" << channels << "); " << kReexport;
  constexpr std::uint64_t kMaxInt = std::numeric_limits<int>::max();
  // Each factor is below 10^10, so the products are computed step by step with checks.
  const bool sane = width <= kMaxInt && height <= kMaxInt && channels <= kMaxInt &&
                    width * height <= kMaxValues && width * height * channels <= kMaxValues;
  MUTA_CHECK(sane) << name << ": the COLMAP array header announces an absurd size (" << width << "x"
                   << height << "x" << channels << ", over 2^31 values); " << kReexport;
  const std::uint64_t count = width * height * channels;
  const std::size_t data_bytes = bytes.size() - pos;
  MUTA_CHECK(data_bytes == count * 4)
      << name << ": the header announces " << width << "x" << height << "x" << channels << " = "
      << count << " float values (" << count * 4 << " bytes) but " << data_bytes
      << " bytes of data follow; " << kReexport;

  FloatMap map(static_cast<int>(width), static_cast<int>(height), static_cast<int>(channels));
  const std::uint8_t* data = bytes.data() + pos;
  const std::size_t plane = static_cast<std::size_t>(width) * height;
  const auto c_count = static_cast<std::size_t>(channels);
  for (std::size_t c = 0; c < c_count; ++c) {
    for (std::size_t i = 0; i < plane; ++i) {
      map.data[i * c_count + c] = LoadFloat(data + 4 * (c * plane + i));
    }
  }
  return map;
}

FloatMap ReadColmapArray(const fs::path& path) {
  return ParseColmapArray(ReadFileBytes(path), path.string());
}

void WriteColmapArray(const fs::path& path, const FloatMap& map) {
  MUTA_CHECK(map.width > 0 && map.height > 0 && map.channels > 0)
      << path.string() << ": cannot write an empty map (" << map.width << "x" << map.height << "x"
      << map.channels << ")";
  const std::size_t plane = static_cast<std::size_t>(map.width) * map.height;
  const auto channels = static_cast<std::size_t>(map.channels);
  MUTA_CHECK(map.data.size() == plane * channels)
      << path.string() << ": cannot write: the map is " << map.width << "x" << map.height << "x"
      << map.channels << " but holds " << map.data.size() << " values";
  const std::string header = std::to_string(map.width) + "&" + std::to_string(map.height) + "&" +
                             std::to_string(map.channels) + "&";
  std::vector<std::uint8_t> bytes(header.size() + 4 * map.data.size());
  std::memcpy(bytes.data(), header.data(), header.size());
  std::uint8_t* out = bytes.data() + header.size();
  for (std::size_t c = 0; c < channels; ++c) {
    for (std::size_t i = 0; i < plane; ++i, out += 4) {
      std::array<std::uint8_t, 4> raw;
      std::memcpy(raw.data(), &map.data[i * channels + c], 4);
      if constexpr (std::endian::native == std::endian::big) std::reverse(raw.begin(), raw.end());
      std::memcpy(out, raw.data(), 4);
    }
  }
  WriteFileAtomic(path, bytes);
}

}  // namespace muta
