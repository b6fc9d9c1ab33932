#pragma once
// Stage `undistort`: COLMAP's image_undistorter turns the oriented model and its photographs
// into a dense workspace of PINHOLE images in COLMAP's layout: DENSE/images, DENSE/sparse,
// DENSE/stereo/ (with patch-match.cfg and fusion.cfg). Any earlier dense results (depth maps,
// fused cloud, mesh) are removed first: they belong to the old images.
// When dense matching works on smaller images than the photographs, a second undistortion at
// the photographs' size (or texture_max_size) writes DENSE/texture/{images,sparse}: texturing
// samples those, so the texture keeps the photographs' detail (texture.h, TextureImagesDir).

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
  /// Longest side of the images texturing samples (DENSE/texture): nullopt: the photographs'
  /// size; 0: none written (texturing samples DENSE/images). Written only when larger than
  /// the dense images. 0 or >= 64.
  std::optional<int> texture_max_size;

  void Check() const;
};

/// `preview` (1000 px), `standard` (1600 px) or `high` (full size).
UndistortOptions UndistortPreset(const std::string& quality);

/// Runs the undistorter on `images_dir` + the model in `sparse_dir` into `dense_dir`; returns
/// figures (images, width/height range, megapixels; texture_* for DENSE/texture when written).
Json RunUndistort(const std::filesystem::path& images_dir, const std::filesystem::path& sparse_dir,
                  const std::filesystem::path& dense_dir, const UndistortOptions& options,
                  Progress& progress);

}  // namespace muta::reconstruct
