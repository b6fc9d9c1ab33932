#pragma once
// COLMAP's dense array format, used for depth and normal maps
// (dense/stereo/depth_maps/NAME.{photometric,geometric}.bin, dense/stereo/normal_maps/...).
//
// File layout: ASCII header "W&H&C&" then W*H*C little-endian float32 values stored
// channel-major (all of channel 0 row by row, then channel 1, ...), as COLMAP's Mat<float>.

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

namespace muta {

/// A float image in memory: row-major, channels interleaved per pixel (unlike the file).
/// Depth maps: 1 channel, metres along the camera's z axis, 0 = no depth.
/// Normal maps: 3 channels, unit normals in the camera frame.
struct FloatMap {
  int width = 0;
  int height = 0;
  int channels = 0;
  std::vector<float> data;  ///< width * height * channels

  FloatMap() = default;
  FloatMap(int w, int h, int c, float fill = 0.0f)
      : width(w), height(h), channels(c), data(std::size_t(w) * h * c, fill) {}
  float& at(int x, int y, int c = 0) { return data[(std::size_t(y) * width + x) * channels + c]; }
  float at(int x, int y, int c = 0) const {
    return data[(std::size_t(y) * width + x) * channels + c];
  }
};

/// Reads a COLMAP array file; throws muta::Error naming the file on a bad header, a size that
/// does not match the data, or an absurd size (over 2^31 values).
FloatMap ReadColmapArray(const std::filesystem::path& path);
FloatMap ParseColmapArray(std::span<const std::uint8_t> bytes, const std::string& name);

/// Writes atomically in COLMAP's layout.
void WriteColmapArray(const std::filesystem::path& path, const FloatMap& map);

}  // namespace muta
