#pragma once
// The building's own symmetry, estimated from its mesh: a rotation axis and order (an octagonal
// pagoda repeats each side 8 times), mirror planes through that axis, and the vertical
// repetition of storeys (a scaled copy one storey up).
//
// Method (hypothesise and verify, then refine):
//   1. sample the surface uniformly by area;
//   2. candidate axes: the three principal axes of the samples through their centroid (a
//      building's rotation axis is the principal axis whose two companions have equal
//      moments); for each axis and each order n in [min_order, max_order] the hypothesis
//      "rotation by 360/n degrees about it" is scored by its inlier fraction – the share of
//      rotated samples that land within `inlier_distance` of the surface;
//   3. the order is the largest n whose score is within `order_tolerance` of the best (an
//      8-fold building also scores for 4 and 2);
//   4. the axis is refined by rigid ICP (core/icp.h) of the rotated samples onto the surface,
//      and the axis and point recovered from the refined rotation; the score is recomputed;
//   5. mirror planes through the refined axis are searched over the azimuth of their normal,
//      storey repetition over (vertical shift, horizontal scale about the axis).
// Damage, weathering and unique details (doors, plaques) lower every score a little but do not
// change which hypothesis wins: they are a minority of the surface.
//
// Units: metres (the mesh's), world frame of the mesh; angles in degrees in the JSON.

#include <cstdint>
#include <optional>
#include <vector>

#include <Eigen/Core>
#include <Eigen/Geometry>

#include "core/json.h"
#include "core/mesh.h"

namespace muta {
class Progress;
class TriangleBvh;
}  // namespace muta

namespace muta::restore {

struct SymmetryOptions {
  int min_order = 2;   ///< smallest rotation order tested
  int max_order = 12;  ///< largest rotation order tested
  /// Surface samples used for scoring (an even subsample for the search).
  std::size_t samples = 60'000;
  /// A transformed sample is an inlier within this distance of the surface; nullopt: 0.25 % of
  /// the bounding-box diagonal (about 9 cm on a 35 m pagoda).
  std::optional<double> inlier_distance;
  /// A rotation order is accepted when its inlier fraction is at least this.
  double min_inlier_fraction = 0.5;
  /// Orders scoring within this fraction of the best score count as equally good; the largest
  /// of them whose divisors are equally good too is taken.
  double order_tolerance = 0.05;
  /// A near-horizontal plane holding at least this share of the surface samples is taken for
  /// the ground and left out of the search (with what lies below it).
  double ground_min_fraction = 0.2;
  bool detect_mirrors = true;
  bool detect_storeys = true;
  std::uint64_t seed = 11;
  void Check() const;
};

/// A mirror plane through the rotation axis.
struct MirrorPlane {
  Eigen::Vector3d point = Eigen::Vector3d::Zero();
  Eigen::Vector3d normal = Eigen::Vector3d::UnitX();
  double inlier_fraction = 0;
};

/// Vertical repetition, the map of a storey onto the one above: horizontally p' =
/// axis_point + scale * (p - axis_point); along the axis, with h the height above axis_point,
/// h' = base + vertical_scale * (h - base) + shift (storeys that shrink upwards in plan and in
/// height, as a pagoda's do, repeat exactly under it).
struct StoreyRepetition {
  double shift = 0;           ///< metres along the axis direction
  double scale = 1;           ///< horizontal scale about the axis
  double vertical_scale = 1;  ///< about `base`
  double base = 0;            ///< height along the axis (from axis_point) of the lowest sample
  double top = 0;             ///< ... and of the highest
  double inlier_fraction = 0;

  /// The map of a point one storey up.
  Eigen::Vector3d Up(const Eigen::Vector3d& p, const Eigen::Vector3d& axis_point,
                     const Eigen::Vector3d& axis_direction) const;
  /// Its inverse: one storey down.
  Eigen::Vector3d Down(const Eigen::Vector3d& p, const Eigen::Vector3d& axis_point,
                       const Eigen::Vector3d& axis_direction) const;
};

struct OrderScore {
  int order = 0;
  double inlier_fraction = 0;  ///< -1: not judged (too little landed where the capture reached)
  double judged = 1;           ///< share of the samples whose rotation landed in covered sectors
};

struct Symmetry {
  bool found = false;  ///< a rotation order >= 2 with enough inliers
  Eigen::Vector3d axis_point = Eigen::Vector3d::Zero();
  Eigen::Vector3d axis_direction = Eigen::Vector3d::UnitZ();  ///< unit, pointing up (+z side)
  int order = 1;
  double inlier_fraction = 0;  ///< of the rotation by 360/order after refinement
  double residual_rms = 0;     ///< rms distance of the inlier pairs after refinement, metres
  double inlier_distance = 0;  ///< the threshold used, metres
  double ground_fraction = 0;  ///< share of the surface in a ground plane left out, or 0
  /// That ground plane (n . p + offset = 0, n up) when one was left out: the ground around a
  /// building is not part of its symmetry, nor is what lies below it.
  std::optional<Eigen::Vector4d> ground_plane;
  std::vector<OrderScore> order_scores;  ///< about the refined axis
  std::vector<MirrorPlane> mirrors;
  std::optional<StoreyRepetition> storeys;
  /// Azimuth sectors about the axis (kAzimuthSectors of them, counter-clockwise from a fixed
  /// direction perpendicular to it) that hold observed surface. Photographs taken along an arc
  /// see only part of a building: its symmetry is scored, and damage looked for, where the
  /// capture reached. Empty when every sector holds surface.
  std::vector<bool> sectors_covered;
  double seconds = 0;

  static constexpr int kAzimuthSectors = 72;

  /// Rotation by k * 360 / order degrees about the axis (k may be negative).
  Eigen::Isometry3d Rotation(int k) const;
  /// Whether `p` lies in an azimuth sector about the axis that the capture covered.
  bool Covers(const Eigen::Vector3d& p) const;
  /// Whether `p` lies on or below the ground plane (within `band` metres above it).
  bool OnOrBelowGround(const Eigen::Vector3d& p, double band) const;
  /// Share of the azimuth sectors covered, in [0, 1].
  double Coverage() const;
};

/// Estimates the symmetry of `mesh` (surface `bvh` built over the same mesh). Throws
/// muta::Error if the mesh has no area or the options are invalid; a mesh without rotational
/// symmetry gives `found = false` (not an error).
Symmetry EstimateSymmetry(const Mesh& mesh, const TriangleBvh& bvh, const SymmetryOptions& options,
                          Progress* progress = nullptr);

/// The "symmetry" object of damage.json (keys in docs/restore.md).
Json ToJson(const Symmetry& symmetry);

/// Rotation by `angle` radians about the line through `point` along unit `direction`.
Eigen::Isometry3d RotationAbout(const Eigen::Vector3d& point, const Eigen::Vector3d& direction,
                                double angle);

}  // namespace muta::restore
