// Region of interest from the cameras (see mesh_roi.h).

#include "reconstruct/mesh_roi.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <vector>

#include <Eigen/Dense>

#include "core/error.h"
#include "core/pose.h"

namespace muta::reconstruct {

namespace {
/// Axes spread less than this (degrees) in some direction count as parallel.
constexpr double kMinSpreadDeg = 5.0;
/// The look-at point must be in front of at least this share of the cameras.
constexpr double kMinInFront = 0.75;
}  // namespace

std::optional<RegionOfInterest> EstimateRegionOfInterest(const SparseModel& model,
                                                         double radius_factor) {
  MUTA_CHECK(radius_factor > 0) << "region of interest radius factor must be > 0, not "
                                << radius_factor;
  if (model.images.size() < 2) return std::nullopt;
  std::vector<Eigen::Vector3d> centers, axes;
  for (const auto& [id, image] : model.images) {
    const Eigen::Matrix3d r = image.cam_from_world.rotation.normalized().toRotationMatrix();
    centers.push_back(CameraCenter(image.cam_from_world));
    axes.push_back(r.row(2).transpose());  // the camera's +z (viewing direction) in the world
  }
  // Minimise the sum of squared distances to the axis lines: sum (I - d d^T) (x - c) = 0.
  Eigen::Matrix3d a = Eigen::Matrix3d::Zero();
  Eigen::Vector3d b = Eigen::Vector3d::Zero();
  for (std::size_t i = 0; i < centers.size(); ++i) {
    const Eigen::Matrix3d m = Eigen::Matrix3d::Identity() - axes[i] * axes[i].transpose();
    a += m;
    b += m * centers[i];
  }
  const double n = double(centers.size());
  const Eigen::SelfAdjointEigenSolver<Eigen::Matrix3d> eig(a / n);
  RegionOfInterest roi;
  roi.axis_spread = eig.eigenvalues().minCoeff();
  const double min_spread = std::pow(std::sin(kMinSpreadDeg * std::numbers::pi / 180.0), 2);
  if (!(roi.axis_spread >= min_spread)) return std::nullopt;
  roi.center = a.ldlt().solve(b);
  if (!roi.center.allFinite()) return std::nullopt;
  std::size_t in_front = 0;
  std::vector<double> distances;
  for (std::size_t i = 0; i < centers.size(); ++i) {
    in_front += axes[i].dot(roi.center - centers[i]) > 0;
    distances.push_back((roi.center - centers[i]).norm());
  }
  if (double(in_front) < kMinInFront * n) return std::nullopt;
  std::nth_element(distances.begin(), distances.begin() + distances.size() / 2, distances.end());
  roi.camera_distance = distances[distances.size() / 2];
  if (!(roi.camera_distance > 0)) return std::nullopt;
  roi.radius = radius_factor * roi.camera_distance;
  return roi;
}

Json RoiJson(const std::optional<RegionOfInterest>& roi) {
  if (!roi) return nullptr;
  return {{"center", {roi->center.x(), roi->center.y(), roi->center.z()}},
          {"radius", roi->radius},
          {"camera_distance", roi->camera_distance},
          {"axis_spread", roi->axis_spread}};
}

}  // namespace muta::reconstruct
