#pragma once
// Ray casting on triangle meshes: a bounding-volume hierarchy (core/bvh_build.h, the build
// TriangleBvh uses too) answering the closest hit along a ray and "is anything in the way"
// (occlusion, any hit). Used by texturing (visibility of faces from cameras); meant to replace the
// separate ray BVHs of the viewer's picker and the site stream later.
//
// Frames and units: the mesh's world frame and units (z-up metres in workspaces). A ray is
// origin + t * direction; `direction` need not be unit length and t is measured in multiples of
// it (metres when it is unit). Both sides of a triangle are hit; degenerate (zero-area)
// triangles are never hit. The mesh is copied: it need not outlive the BVH. After
// construction the BVH is read-only: queries are const and thread-safe.

#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <vector>

#include <Eigen/Core>

#include "core/bvh_build.h"
#include "core/mesh.h"

namespace muta {

/// Where a ray meets a triangle.
struct RayHit {
  double t = 0;            ///< ray parameter: origin + t * direction
  std::uint32_t face = 0;  ///< index into Mesh::faces
  double u = 0;            ///< barycentric weight of the face's corner 1
  double v = 0;            ///< barycentric weight of the face's corner 2 (corner 0: 1-u-v)
};

class RayBvh {
 public:
  /// Builds over every face (a mesh without faces gives a BVH that is never hit). Throws
  /// muta::Error if a face refers to a missing vertex or uses a non-finite vertex, or the mesh
  /// has 2^32 - 1 faces or more.
  explicit RayBvh(const Mesh& mesh);

  /// The nearest hit with t in [t_min, t_max], or nullopt. Thread-safe.
  std::optional<RayHit> Closest(const Eigen::Vector3d& origin, const Eigen::Vector3d& direction,
                                double t_min = 0,
                                double t_max = std::numeric_limits<double>::infinity()) const;

  /// Which hits count (e.g. not those cut away by a section plane or in a hidden layer): called
  /// for each hit nearer than the nearest accepted one so far, in no particular order.
  using Accept = std::function<bool(const RayHit& hit)>;
  /// The nearest hit with t in [t_min, t_max] that `accept` takes (every hit when it is empty),
  /// or nullopt. Thread-safe when `accept` is.
  std::optional<RayHit> Closest(const Eigen::Vector3d& origin, const Eigen::Vector3d& direction,
                                double t_min, double t_max, const Accept& accept) const;

  /// True if any triangle is hit with t in [t_min, t_max] (stops at the first one found) –
  /// the shadow-ray / visibility test. Thread-safe.
  bool Occluded(const Eigen::Vector3d& origin, const Eigen::Vector3d& direction, double t_min,
                double t_max) const;

  std::size_t NumTriangles() const { return face_ids_.size(); }
  std::size_t NumNodes() const { return nodes_.size(); }
  /// Depth of the deepest leaf (root = 0); the build bounds it by about 2 log2(n) + 64.
  int Depth() const { return depth_; }
  /// Memory held by the BVH (nodes, triangles, face ids), bytes.
  std::size_t Bytes() const {
    return nodes_.size() * sizeof(Node) + tris_.size() * sizeof(Tri) +
           face_ids_.size() * sizeof(std::uint32_t);
  }

 private:
  using Node = bvh::Node;
  // A triangle in leaf order: corner 0 and the two edges from it, in double for an exact
  // Möller–Trumbore test.
  struct Tri {
    Eigen::Vector3d p0, e1, e2;
  };
  template <bool kAnyHit>
  bool Traverse(const Eigen::Vector3d& origin, const Eigen::Vector3d& direction, double t_min,
                double t_max, const Accept* accept, RayHit* hit) const;

  std::vector<Node> nodes_;
  std::vector<Tri> tris_;
  std::vector<std::uint32_t> face_ids_;  ///< original face per triangle, leaf order
  int depth_ = 0;
};

}  // namespace muta
