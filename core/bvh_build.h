#pragma once
// The top-down binned-SAH build shared by core's triangle hierarchies: TriangleBvh
// (closest points, core/closest_point.h) and RayBvh (ray casts, core/ray_bvh.h). Each stores
// these nodes and lays out its own per-triangle data in the tree's leaf order.

#include <cstdint>
#include <vector>

#include "core/mesh.h"

namespace muta::bvh {

/// Leaf: triangles [first, first + count) in leaf order. Inner node (count == 0): children at
/// `first` and `first + 1`.
struct Node {
  float lo[3];
  float hi[3];
  std::uint32_t first;
  std::uint32_t count;
};

struct Tree {
  std::vector<Node> nodes;           ///< empty for a mesh without faces
  std::vector<std::uint32_t> order;  ///< order[i]: the face at leaf position i
  int depth = 0;                     ///< of the deepest leaf (root = 0)
};

/// Splits follow binned SAH down to depth 64, then halve the triangle count, so the depth stays
/// below 64 + 32 (traversal stacks of 128 entries suffice). Throws muta::Error if a face refers
/// to a missing vertex, uses a non-finite vertex, or the mesh has 2^32 - 1 faces or more.
Tree BuildTree(const Mesh& mesh);

/// Depth bound of BuildTree's trees, for fixed-size traversal stacks.
inline constexpr int kMaxDepth = 64 + 33;

}  // namespace muta::bvh
