#pragma once
// Region of interest for meshing: the part of the scene the photographs are about.
//
// Photographs of a building look at it: their optical axes converge on it, and the cameras stand
// around it at a few times its size. A dense cloud also holds what lies behind and beside the
// building – ground and background up to the horizon, seen at grazing angles, sparse and
// inaccurate. Poisson's octree spans the whole cloud, so that clutter makes the cells on the
// building several times coarser. The region of interest is a sphere around the point nearest to
// all optical axes (least squares), with a radius proportional to the cameras' distance from it.

#include <optional>

#include <Eigen/Core>

#include "core/colmap_model.h"
#include "core/json.h"

namespace muta::reconstruct {

struct RegionOfInterest {
  Eigen::Vector3d center = Eigen::Vector3d::Zero();  ///< world frame, model units
  double radius = 0;                                 ///< model units
  /// Median distance of the camera centres from `center` (model units).
  double camera_distance = 0;
  /// Smallest eigenvalue of the mean of (I - d d^T) over the cameras' unit axes d: 0 when all
  /// axes are parallel, sin^2 of their angular spread in the worst direction otherwise.
  double axis_spread = 0;
};

/// The sphere around the least-squares intersection of the cameras' optical axes, with radius
/// `radius_factor` x the median camera distance from it. nullopt when there is no such point:
/// fewer than two images, axes nearly parallel (axis_spread below sin^2 5 degrees – an aerial
/// nadir block, a straight walk along a facade), or the point lies behind more than a quarter of
/// the cameras (they look outwards, e.g. from inside a room). `radius_factor` > 0.
std::optional<RegionOfInterest> EstimateRegionOfInterest(const SparseModel& model,
                                                         double radius_factor);

/// The figures of a region of interest for muta.job.json: center, radius, camera_distance,
/// axis_spread; null when there is none.
Json RoiJson(const std::optional<RegionOfInterest>& roi);

}  // namespace muta::reconstruct
