#pragma once
// Stage `undistort`: COLMAP's image_undistorter turns the oriented model and its photographs
// into a dense workspace of PINHOLE images in COLMAP's layout: DENSE/images, DENSE/sparse,
// DENSE/stereo/ (with patch-match.cfg and fusion.cfg). Any earlier dense results (depth maps,
// fused cloud, mesh) are removed first: they belong to the old images.

#include <filesystem>
#include <optional>

#include "core/json.h"

namespace muta {
class Progress;
}

namespace muta::reconstruct {

struct UndistortOptions {
  /// COLMAP executable; nullopt: `colmap` on PATH.
  std::optional<std::filesystem::path> colmap;
  /// Longest side of the undistorted images in pixels (the size dense matching works at);
  /// nullopt keeps the photographs' size.
  std::optional<int> max_image_size;

  void Check() const;
};

/// `preview` (1000 px), `standard` (1600 px) or `high` (full size).
UndistortOptions UndistortPreset(const std::string& quality);

/// Runs the undistorter on `images_dir` + the model in `sparse_dir` into `dense_dir`; returns
/// figures (images, width/height range, megapixels).
Json RunUndistort(const std::filesystem::path& images_dir, const std::filesystem::path& sparse_dir,
                  const std::filesystem::path& dense_dir, const UndistortOptions& options,
                  Progress& progress);

}  // namespace muta::reconstruct
