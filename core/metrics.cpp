#include "core/metrics.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <numeric>
#include <unordered_map>

#include <spdlog/spdlog.h>

#include "core/closest_point.h"
#include "core/error.h"
#include "core/progress.h"
#include "core/sampling.h"

namespace muta {
namespace {

// Surface samples on a mesh: about one per (tau/2)^2 of area, at least this many (unless
// max_samples is smaller).
constexpr std::size_t kMinSurfaceSamples = 10'000;

double Max(const std::vector<double>& values) {
  return values.empty() ? 0 : *std::max_element(values.begin(), values.end());
}

double Mean(const std::vector<double>& values) {
  if (values.empty()) return 0;
  return std::accumulate(values.begin(), values.end(), 0.0) / double(values.size());
}

double FractionWithin(const std::vector<double>& distances, double tau) {
  if (distances.empty()) return 0;
  const auto n =
      std::count_if(distances.begin(), distances.end(), [tau](double d) { return d <= tau; });
  return double(n) / double(distances.size());
}

std::size_t SurfaceSampleCount(double area, const SurfaceEvaluationOptions& options) {
  const double half_tau = 0.5 * options.tau;
  const double wanted =
      std::max(double(kMinSurfaceSamples), std::ceil(area / (half_tau * half_tau)));
  return wanted >= double(options.max_samples) ? options.max_samples : std::size_t(wanted);
}

// Samples on a mesh surface, checking its area first so the error names the input.
std::vector<Vec3f> SampleMesh(const Mesh& mesh, const char* what,
                              const SurfaceEvaluationOptions& options, std::uint64_t seed) {
  const double area = mesh.Area();
  MUTA_CHECK(std::isfinite(area) && area > 0)
      << "surface evaluation: the " << what << " mesh has a surface area of " << area
      << "; its faces are degenerate or not finite";
  const std::size_t count = SurfaceSampleCount(area, options);
  spdlog::debug("surface evaluation: {} samples on the {} mesh (area {:.6g})", count, what, area);
  return SampleSurface(mesh, count, seed);
}

void CheckFinite(const std::vector<Vec3f>& points, const char* what) {
  for (std::size_t i = 0; i < points.size(); ++i) {
    MUTA_CHECK(points[i].allFinite())
        << "surface evaluation: " << what << " point " << i << " is not finite";
  }
}

// Distances from `queries` to `target`: to its surface when it has faces, else to its points.
std::vector<double> DistancesTo(const Mesh& target, std::span<const Vec3f> queries,
                                const char* task, Progress& progress) {
  progress.Begin(task, queries.size(), "points");
  std::vector<double> distances;
  if (!target.faces.empty()) {
    const TriangleBvh bvh(target);
    distances = DistancesToMesh(bvh, queries, &progress);
  } else {
    const PointIndex index(target.vertices);
    distances = DistancesToPoints(index, queries, &progress);
  }
  progress.End();
  return distances;
}

}  // namespace

double Median(std::vector<double> values) {
  if (values.empty()) return 0;
  const std::size_t n = values.size();
  const auto upper = values.begin() + std::ptrdiff_t(n / 2);
  std::nth_element(values.begin(), upper, values.end());
  if (n % 2 == 1) return *upper;
  const double lower = *std::max_element(values.begin(), upper);
  return 0.5 * (lower + *upper);
}

// ---------------------------------------------------------------------------------------------
// Cameras

CameraEvaluation EvaluateCameras(const SparseModel& gt, const SparseModel& model,
                                 const RobustSimilarityOptions& options) {
  options.Check();
  MUTA_CHECK(!gt.images.empty()) << "camera evaluation: the ground-truth model has no images";
  MUTA_CHECK(!model.images.empty()) << "camera evaluation: the model has no images";

  std::unordered_map<std::string, const SparseImage*> model_by_name;
  for (const auto& [id, image] : model.images) {
    if (!model_by_name.emplace(image.name, &image).second) {
      spdlog::warn("camera evaluation: the model has several images named '{}'; using the first",
                   image.name);
    }
  }

  CameraEvaluation out;
  out.total = gt.images.size();
  std::vector<const SparseImage*> gt_matched, model_matched;
  std::vector<Eigen::Vector3d> gt_centers, model_centers;
  for (const auto& [id, gt_image] : gt.images) {
    const auto it = model_by_name.find(gt_image.name);
    if (it == model_by_name.end()) {
      out.missing.push_back(gt_image.name);
      continue;
    }
    gt_matched.push_back(&gt_image);
    model_matched.push_back(it->second);
    gt_centers.push_back(CameraCenter(gt_image.cam_from_world));
    model_centers.push_back(CameraCenter(it->second->cam_from_world));
  }
  out.registered = gt_matched.size();
  MUTA_CHECK(out.registered >= 3)
      << "camera evaluation: only " << out.registered << " of the " << out.total
      << " ground-truth images are in the model (matched by name); at least 3 are needed to "
         "align the model – check that both use the same image names";

  const RobustSimilarity alignment = EstimateSimilarityRobust(model_centers, gt_centers, options);
  out.gt_from_model = alignment.transform;
  out.scale = alignment.transform.scale;
  const auto num_inliers = std::count(alignment.inliers.begin(), alignment.inliers.end(), true);
  spdlog::debug("camera evaluation: {} of {} matched cameras are alignment inliers, scale {:.6g}",
                num_inliers, out.registered, out.scale);

  std::vector<double> position_errors(out.registered), rotation_errors(out.registered);
  for (std::size_t i = 0; i < out.registered; ++i) {
    position_errors[i] = (out.gt_from_model * model_centers[i] - gt_centers[i]).norm();
    const Rigid3d aligned = TransformPose(out.gt_from_model, model_matched[i]->cam_from_world);
    rotation_errors[i] = RotationAngleDeg(gt_matched[i]->cam_from_world.rotation, aligned.rotation);
  }
  out.position_error_max = Max(position_errors);
  out.rotation_error_max_deg = Max(rotation_errors);
  out.position_error_median = Median(position_errors);
  out.rotation_error_median_deg = Median(rotation_errors);
  const Eigen::Vector3d up = out.gt_from_model.rotation * Eigen::Vector3d::UnitZ();
  out.up_error_deg =
      std::acos(std::clamp(up.normalized().z(), -1.0, 1.0)) * 180.0 / std::numbers::pi;
  return out;
}

// ---------------------------------------------------------------------------------------------
// Surfaces

void SurfaceEvaluationOptions::Check() const {
  MUTA_CHECK(std::isfinite(tau) && tau > 0)
      << "surface evaluation: tau must be a positive, finite distance, got " << tau;
  MUTA_CHECK(max_samples >= 1) << "surface evaluation: max_samples must be at least 1, got "
                               << max_samples;
}

SurfaceEvaluation EvaluateSurface(const Mesh& gt, const Mesh& reconstruction,
                                  const std::vector<Vec3f>* gt_visible,
                                  const SurfaceEvaluationOptions& options, Progress* progress) {
  options.Check();
  Progress local_progress;
  Progress& report = progress != nullptr ? *progress : local_progress;
  MUTA_CHECK(!gt.vertices.empty()) << "surface evaluation: the ground truth is empty";
  MUTA_CHECK(!reconstruction.vertices.empty())
      << "surface evaluation: the reconstruction is empty (no vertices or points)";
  MUTA_CHECK(gt_visible == nullptr || !gt_visible->empty())
      << "surface evaluation: the set of visible ground-truth points is empty";
  gt.Check();
  reconstruction.Check();

  // Samples: a point cloud's own points, else area samples on the surface.
  std::vector<Vec3f> reconstruction_samples =
      reconstruction.faces.empty()
          ? reconstruction.vertices
          : SampleMesh(reconstruction, "reconstruction", options, options.seed);
  std::vector<Vec3f> sampled_gt;
  if (gt_visible == nullptr) {
    sampled_gt =
        gt.faces.empty() ? gt.vertices : SampleMesh(gt, "ground-truth", options, options.seed + 1);
  }
  const std::vector<Vec3f>& gt_samples = gt_visible != nullptr ? *gt_visible : sampled_gt;
  CheckFinite(reconstruction_samples, "reconstruction");
  CheckFinite(gt_samples, gt_visible != nullptr ? "visible ground-truth" : "ground-truth");

  const std::vector<double> accuracy = DistancesTo(gt, reconstruction_samples, "accuracy", report);
  const std::vector<double> completeness =
      DistancesTo(reconstruction, gt_samples, "completeness", report);

  SurfaceEvaluation out;
  out.tau = options.tau;
  out.num_reconstruction_samples = reconstruction_samples.size();
  out.num_gt_samples = gt_samples.size();
  out.precision = FractionWithin(accuracy, options.tau);
  out.recall = FractionWithin(completeness, options.tau);
  out.f_score = out.precision + out.recall > 0
                    ? 2 * out.precision * out.recall / (out.precision + out.recall)
                    : 0.0;
  out.accuracy_mean = Mean(accuracy);
  out.completeness_mean = Mean(completeness);
  out.chamfer = 0.5 * (out.accuracy_mean + out.completeness_mean);
  return out;
}

Json ToJson(const CameraEvaluation& e) {
  return {{"registered", e.registered},
          {"total", e.total},
          {"position_error_median", e.position_error_median},
          {"position_error_max", e.position_error_max},
          {"rotation_error_median_deg", e.rotation_error_median_deg},
          {"rotation_error_max_deg", e.rotation_error_max_deg},
          {"up_error_deg", e.up_error_deg},
          {"scale", e.scale},
          {"missing", e.missing}};
}

Json ToJson(const SurfaceEvaluation& e) {
  return {{"tau", e.tau},
          {"precision", e.precision},
          {"recall", e.recall},
          {"f_score", e.f_score},
          {"accuracy_mean", e.accuracy_mean},
          {"completeness_mean", e.completeness_mean},
          {"chamfer", e.chamfer},
          {"num_reconstruction_samples", e.num_reconstruction_samples},
          {"num_gt_samples", e.num_gt_samples}};
}

}  // namespace muta
