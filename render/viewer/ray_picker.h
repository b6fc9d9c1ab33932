#pragma once
// Exact ray picking on triangle meshes and point clouds (the viewer's measuring and walking
// tools): core's ray BVH (core/ray_bvh.h; ray/triangle intersection in double), and the nearest
// point of a cloud within a cone around a ray.
//
// Frames and units: everything is in the model's world frame (z-up metres). The mesh or cloud
// is copied: it need not outlive the picker. Queries are const and thread-safe.

#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <span>
#include <vector>

#include <Eigen/Core>

#include "core/mesh.h"
#include "core/ray_bvh.h"

namespace muta::render::viewer {

/// Where a ray meets the model.
struct RayHit {
  double distance = 0;                                ///< along the (unit) ray, metres
  Eigen::Vector3d point = Eigen::Vector3d::Zero();    ///< world frame
  Eigen::Vector3d normal = Eigen::Vector3d::UnitZ();  ///< unit; of the triangle, facing the ray
  std::uint32_t face = std::numeric_limits<std::uint32_t>::max();  ///< face (or point) index
  Eigen::Vector3d barycentric = Eigen::Vector3d::Zero();  ///< weights of the face's corners
};

class TrianglePicker {
 public:
  /// Builds over every face. Throws muta::Error if a face refers to a missing vertex or uses a
  /// non-finite vertex.
  explicit TrianglePicker(const Mesh& mesh);

  /// Which hits count (e.g. not those cut away by a section plane or in a hidden layer).
  using Accept = std::function<bool(std::uint32_t face, const Eigen::Vector3d& point)>;

  /// The nearest hit of the ray origin + t * direction with t in (0, max_distance]; both faces
  /// of a triangle count (zero-area triangles never do), and only hits `accept` takes when it
  /// is set. `direction` need not be
  /// unit length (it is normalised).
  std::optional<RayHit> Cast(const Eigen::Vector3d& origin, const Eigen::Vector3d& direction,
                             double max_distance = std::numeric_limits<double>::infinity(),
                             const Accept& accept = {}) const;

  /// Corner `corner` (0..2) of face `face`, world frame.
  Eigen::Vector3d Corner(std::uint32_t face, int corner) const;
  std::size_t NumTriangles() const { return faces_.size() / 3; }

 private:
  std::vector<Vec3f> vertices_;
  std::vector<std::uint32_t> faces_;  ///< 3 per triangle
  RayBvh bvh_;
};

/// The point of `points` nearest to the ray's origin among those within `cone_radians` of the
/// ray (the point size on screen); nullopt if none. Linear in the number of points.
/// Only points `accept` takes count when it is set.
std::optional<RayHit> PickPoint(std::span<const Vec3f> points, const Eigen::Vector3d& origin,
                                const Eigen::Vector3d& direction, double cone_radians,
                                const std::function<bool(const Vec3f&)>& accept = {});

/// Snaps a hit to the nearest corner of its triangle when that corner lies within
/// `radius_m` of the hit (measuring between vertices); returns the hit unchanged otherwise.
RayHit SnapToVertex(const TrianglePicker& picker, const RayHit& hit, double radius_m);

}  // namespace muta::render::viewer
