#pragma once
// Stage `sfm`: structure from motion with the COLMAP 3.8 CLI (CPU): feature extraction (one
// camera per EXIF group), matching (exhaustive for small sets, sequential for large ones,
// spatial when every image has GPS) and incremental mapping. Descriptors are matched by our
// own matcher (reconstruct/feature_match.h: the same matches as COLMAP's CPU matcher, many
// times faster) and verified geometrically by COLMAP's matches_importer.
//
// Layout written (DESIGN.md): SPARSE/database.db; the largest model's cameras.bin, images.bin
// and points3D.bin in SPARSE/ and, untouched by later stages, in SPARSE/sfm/; any other models
// in SPARSE/other/N (N = 1, 2, ... by decreasing size). Feature extraction and matching are
// resumable units: markers in SPARSE record what was done with which options.

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "core/json.h"
#include "reconstruct/ingest.h"

namespace muta {
class Progress;
}

namespace muta::reconstruct {

enum class MatcherKind { kAuto, kExhaustive, kSequential, kSpatial };
MatcherKind ParseMatcherKind(const std::string& name);  ///< auto|exhaustive|sequential|spatial
std::string MatcherKindName(MatcherKind kind);

struct SfmOptions {
  /// COLMAP executable; nullopt: `colmap` on PATH.
  std::optional<std::filesystem::path> colmap;
  /// Matching strategy. kAuto: exhaustive up to `exhaustive_max_images`, else spatial when
  /// every image has GPS, else sequential (file-name order).
  MatcherKind matcher = MatcherKind::kAuto;
  int exhaustive_max_images = 80;
  /// Sequential matching: neighbours matched on each side (plus quadratic overlap).
  int sequential_overlap = 12;
  /// COLMAP camera model for cameras without a known calibration.
  std::string camera_model = "SIMPLE_RADIAL";
  /// Known calibration (pixels, COLMAP convention: the top-left pixel's centre is (0.5, 0.5))
  /// at the images' original size; used as PINHOLE and kept fixed. Scaled per image by ingest's
  /// downscale factor.
  std::optional<Eigen::Matrix3d> intrinsics;
  /// Longest image side used for SIFT (COLMAP's --SiftExtraction.max_image_size).
  int sift_max_image_size = 3200;
  /// Most SIFT features per image.
  int sift_max_features = 8192;
  /// Match descriptors with COLMAP's own (much slower) CPU matchers instead of ours; for
  /// comparisons. Either way COLMAP verifies the matches geometrically.
  bool colmap_matcher = false;
  /// Without `intrinsics`: after mapping, one global bundle adjustment with the principal
  /// point free (COLMAP's mapper keeps it at the image centre).
  bool refine_principal_point = true;
  /// The refined principal point is rejected (the centre kept) when it lands farther than
  /// this fraction of the longer image side from the centre.
  double max_principal_point_shift = 0.05;
  /// Worker threads for COLMAP (-1: all cores).
  int num_threads = -1;

  void Check() const;
};

/// `preview`, `standard` or `high`.
SfmOptions SfmPreset(const std::string& quality);

/// Reads a calibration file: a 3x3 matrix K (9 numbers; pixel centres at integer coordinates,
/// as OpenCV and most calibration tools write it), or "fx fy cx cy". Returns K in COLMAP's
/// convention (principal point + 0.5). Throws muta::Error naming the file.
Eigen::Matrix3d ReadIntrinsicsFile(const std::filesystem::path& path);

/// Runs feature extraction, matching and mapping on `images` (from ingest, stored in
/// `images_dir`) into `sparse_dir`. Returns the figures for muta.job.json: registered/total
/// images, points, mean track length, mean reprojection error, models, timings. Throws
/// muta::Error when COLMAP is missing or fails (quoting it) or when no model can be built.
Json RunSfm(const std::filesystem::path& images_dir, const std::vector<IngestedImage>& images,
            const std::filesystem::path& sparse_dir, const SfmOptions& options, Progress& progress);

}  // namespace muta::reconstruct
