#pragma once
// Accuracy metrics against ground truth.
//
// Cameras: a robust similarity alignment (Umeyama on camera centres matched by image name,
// made robust to outliers) of a model onto the ground truth, then camera-centre and rotation
// errors. Surfaces: accuracy / completeness / precision / recall / F-score at a threshold tau
// (Tanks and Temples, ETH3D definitions) and the Chamfer distance.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/colmap_model.h"
#include "core/json.h"
#include "core/mesh.h"
#include "core/pose.h"

namespace muta {

class Progress;

/// Median of `values` (the mean of the two middle values for an even count); 0 when empty.
double Median(std::vector<double> values);

/// Least-squares similarity `dst ≈ s R src + t` (Umeyama 1991). Needs >= 3 non-collinear
/// pairs; throws muta::Error otherwise.
Sim3d EstimateSimilarity(std::span<const Eigen::Vector3d> src,
                         std::span<const Eigen::Vector3d> dst);

struct RobustSimilarityOptions {
  /// Max number of minimal (3-point) samples; all triples are tried when there are fewer.
  int max_samples = 2000;
  std::uint64_t seed = 42;
  /// Inlier threshold as a multiple of the robust (MAD-based) residual scale.
  double inlier_sigmas = 3.0;
  void Check() const;
};

struct RobustSimilarity {
  Sim3d transform;
  std::vector<bool> inliers;
};

/// Least-median-of-squares over 3-point samples (all triples when there are at most
/// max_samples of them, else max_samples random ones drawn from `seed`), then Umeyama refit on
/// the inliers: residual <= inlier_sigmas * 1.4826 * median residual, the scale floored at
/// 1e-9 of the target points' RMS spread so that exactly fitting points of noise-free data
/// stay inliers. Inlier selection and refit are done twice. `inliers` has one flag per pair.
/// Throws muta::Error like EstimateSimilarity, or when every sample is degenerate.
RobustSimilarity EstimateSimilarityRobust(std::span<const Eigen::Vector3d> src,
                                          std::span<const Eigen::Vector3d> dst,
                                          const RobustSimilarityOptions& options = {});

struct CameraEvaluation {
  std::size_t registered = 0;        ///< images of the ground truth present in the model
  std::size_t total = 0;             ///< images in the ground truth
  double position_error_median = 0;  ///< scene units of the ground truth
  double position_error_max = 0;
  double rotation_error_median_deg = 0;
  double rotation_error_max_deg = 0;
  double scale = 1;  ///< of gt_from_model
  /// Angle between the model's +z, aligned into the ground truth's frame, and the ground
  /// truth's +z: how far from upright the model stands when the ground truth is z-up.
  double up_error_deg = 0;
  Sim3d gt_from_model;
  std::vector<std::string> missing;  ///< ground-truth image names not in the model
};

/// Aligns `model` onto `gt` (camera centres matched by image name) and measures the errors.
CameraEvaluation EvaluateCameras(const SparseModel& gt, const SparseModel& model,
                                 const RobustSimilarityOptions& options = {});

struct SurfaceEvaluationOptions {
  double tau = 0.01;  ///< distance threshold (scene units, metres)
  /// Samples drawn on a mesh surface (reconstruction or ground truth) when it is a mesh.
  std::size_t max_samples = 1'000'000;
  std::uint64_t seed = 7;
  void Check() const;
};

struct SurfaceEvaluation {
  double tau = 0;
  double precision = 0;  ///< fraction of reconstruction samples within tau of the GT
  double recall = 0;     ///< fraction of GT samples within tau of the reconstruction
  double f_score = 0;
  double accuracy_mean = 0;      ///< mean distance reconstruction -> GT
  double completeness_mean = 0;  ///< mean distance GT -> reconstruction
  double chamfer = 0;            ///< (accuracy_mean + completeness_mean) / 2
  std::size_t num_reconstruction_samples = 0;
  std::size_t num_gt_samples = 0;
};

/// `reconstruction` is a mesh (faces) or a point cloud (no faces). GT samples are drawn on
/// `gt` unless `gt_visible` points are given (only the surface the cameras could see).
/// A mesh is sampled uniformly by area with about one sample per (tau/2)^2, at least 10,000
/// and at most options.max_samples; a point cloud's samples are its points. Distances to a
/// mesh are point-to-triangle, to a point cloud point-to-nearest-point (so `gt` may also be a
/// point cloud). All inputs are in the same frame and units. Throws muta::Error on empty or
/// invalid inputs or options. Reports the tasks "accuracy" and "completeness" on `progress`
/// (a Progress of the default style when null) and stops with muta::Cancelled on Ctrl-C.
SurfaceEvaluation EvaluateSurface(const Mesh& gt, const Mesh& reconstruction,
                                  const std::vector<Vec3f>* gt_visible,
                                  const SurfaceEvaluationOptions& options,
                                  Progress* progress = nullptr);

/// The JSON objects `muta eval cameras|mesh --json` print (keys in docs/formats.md).
Json ToJson(const CameraEvaluation& evaluation);
Json ToJson(const SurfaceEvaluation& evaluation);

}  // namespace muta
