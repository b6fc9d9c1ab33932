#pragma once
// Nearest-geometry queries for the accuracy metrics:
//   - TriangleBvh: a bounding-volume hierarchy over a mesh's triangles (binned SAH), answering
//     "closest point on the surface" exactly (point-to-triangle, not point-to-vertex);
//   - PointIndex: a k-d tree over a point cloud answering "nearest point".
// Both are built once and are then read-only: queries are thread-safe, and the batch
// functions below run them in parallel.
//
// Geometry is stored in float (as Mesh and PointCloud are); distances and closest points are
// computed in double. Coordinates and distances are in the scene's units and world frame.

#include <cstdint>
#include <limits>
#include <memory>
#include <span>
#include <vector>

#include <Eigen/Core>

#include "core/bvh_build.h"
#include "core/mesh.h"
#include "core/progress.h"

namespace muta {

inline constexpr std::uint32_t kInvalidIndex = std::numeric_limits<std::uint32_t>::max();

/// The point of a triangle closest to `p` (all in the same frame). Degenerate triangles
/// (zero area) are handled as segments or points.
Eigen::Vector3d ClosestPointOnTriangle(const Eigen::Vector3d& p, const Eigen::Vector3d& a,
                                       const Eigen::Vector3d& b, const Eigen::Vector3d& c);

/// Result of a closest-point-on-mesh query.
struct ClosestPoint {
  double distance = std::numeric_limits<double>::infinity();  ///< scene units
  Eigen::Vector3d point = Eigen::Vector3d::Zero();            ///< on the surface, world frame
  std::uint32_t face = kInvalidIndex;                         ///< index into Mesh::faces
};

/// A BVH over the triangles of a mesh. The mesh is copied: it need not outlive the BVH.
class TriangleBvh {
 public:
  /// Builds over all faces. Throws muta::Error if the mesh has no faces, a face refers to a
  /// missing vertex, or a vertex used by a face is not finite.
  explicit TriangleBvh(const Mesh& mesh);

  /// The closest point of the surface to `query`. Thread-safe.
  ClosestPoint Closest(const Eigen::Vector3d& query) const;

  std::size_t NumTriangles() const { return faces_.size(); }
  std::size_t NumNodes() const { return nodes_.size(); }

 private:
  using Node = bvh::Node;
  std::vector<Node> nodes_;
  std::vector<Vec3f> corners_;        ///< 3 per triangle, in leaf order
  std::vector<std::uint32_t> faces_;  ///< original face index per triangle, in leaf order
};

/// One closest-point query (same as bvh.Closest).
inline ClosestPoint ClosestPointOnMesh(const TriangleBvh& bvh, const Eigen::Vector3d& query) {
  return bvh.Closest(query);
}
/// Closest points for many queries, computed in parallel; result i is for queries[i].
/// `progress` (optional, its task begun by the caller) advances by one per query; an
/// interrupt (SIGINT) stops the work with muta::Cancelled.
std::vector<ClosestPoint> ClosestPointsOnMesh(const TriangleBvh& bvh,
                                              std::span<const Vec3f> queries,
                                              Progress* progress = nullptr);
/// Only the distances (scene units), as ClosestPointsOnMesh.
std::vector<double> DistancesToMesh(const TriangleBvh& bvh, std::span<const Vec3f> queries,
                                    Progress* progress = nullptr);

/// Result of a nearest-point query.
struct NearestPoint {
  double distance = std::numeric_limits<double>::infinity();  ///< scene units
  std::uint32_t index = kInvalidIndex;                        ///< into the indexed points
};

/// A k-d tree over a point set (copied).
class PointIndex {
 public:
  /// Throws muta::Error if `points` is empty, has more than 2^32 - 1 entries or a point is not
  /// finite.
  explicit PointIndex(std::span<const Vec3f> points);
  ~PointIndex();
  PointIndex(PointIndex&&) noexcept;
  PointIndex& operator=(PointIndex&&) noexcept;

  /// The indexed point nearest to `query` (ties: any of them). Thread-safe.
  NearestPoint Nearest(const Eigen::Vector3d& query) const;
  std::size_t size() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Distances (scene units) from each query to its nearest indexed point, in parallel;
/// `progress` and interrupts as for ClosestPointsOnMesh.
std::vector<double> DistancesToPoints(const PointIndex& index, std::span<const Vec3f> queries,
                                      Progress* progress = nullptr);

}  // namespace muta
