#pragma once
// Stage `orient`: stand the model upright and give it a metric scale.
//
// Reads the raw SfM model (SPARSE/sfm) and writes the oriented one to SPARSE/*.bin. The frame
// is chosen, in order of preference, from:
//   1. a control file (`--control FILE`): camera centres in metres, one "IMAGE_NAME X Y Z" per
//      line (COLMAP's model_aligner format); the model is moved into that frame (z up);
//   2. GPS in the images' EXIF (at least 3 registered images, spread over at least 2 m): the
//      model is moved into local east-north-up metres around the first image;
//   3. otherwise the cameras' mean up vector (photographs are taken upright) becomes +z, the
//      origin is put below the sparse points' median at their 2nd-percentile height, and
//      `--scale-bar FILE` (two points marked in photographs, a known distance) sets metres.
// Without any metric source the model is `unscaled`.

#include <filesystem>
#include <optional>
#include <vector>

#include "core/json.h"
#include "core/pose.h"
#include "reconstruct/ingest.h"

namespace muta {
class Progress;
struct SparseModel;
}  // namespace muta

namespace muta::reconstruct {

struct OrientOptions {
  /// Camera-centre control points, "IMAGE_NAME X Y Z" (metres) per line.
  std::optional<std::filesystem::path> control;
  /// Scale bars (JSON, schema in docs/formats.md): two points marked in >= 2 photographs each
  /// and their distance in metres.
  std::optional<std::filesystem::path> scale_bar;
  /// Use EXIF GPS when there is no control file.
  bool use_gps = true;

  void Check() const;
};

/// The outcome: the transform applied (new_from_sfm) and how the frame was chosen.
struct OrientResult {
  Sim3d new_from_sfm;
  bool metric = false;
  std::string up_source;     ///< "control", "gps" or "cameras"
  std::string scale_source;  ///< "control", "gps", "scale-bar" or "none"
  Json figures;
};

/// Computes the transform for `model` (pure; no files written).
OrientResult ComputeOrientation(const SparseModel& model, const std::vector<IngestedImage>& images,
                                const OrientOptions& options);

/// Applies `t` to every camera pose and point of `model`.
void TransformModel(const Sim3d& t, SparseModel& model);

/// The stage: reads SPARSE/sfm, writes SPARSE/*.bin; returns figures (including "unscaled").
OrientResult RunOrient(const std::filesystem::path& sparse_dir,
                       const std::vector<IngestedImage>& images, const OrientOptions& options,
                       Progress& progress);

/// The point closest to all rays (centre, unit direction), least squares; needs two rays that
/// are not parallel. Throws muta::Error otherwise.
Eigen::Vector3d IntersectRays(const std::vector<Eigen::Vector3d>& centres,
                              const std::vector<Eigen::Vector3d>& directions);

}  // namespace muta::reconstruct
