#pragma once
// A spatial LOD hierarchy of a triangle mesh for 3D Tiles with REPLACE refinement.
//
// Tiling: a balanced k-d tree over triangle centroids (median split along the longest axis of
// each node's centroid bounds), split to one depth D for the whole tree, so every leaf holds
// about N / 2^D <= max_leaf_triangles triangles and every depth is a complete cover of the model.
// Leaves hold the full-resolution triangles; each inner node holds its two children's content
// simplified with meshoptimizer (meshopt_simplify + meshopt_SimplifyLockBorder).
//
// Provenance: triangles are grouped by (provenance class, confidence quantised to
// 1/confidence_steps, source). Vertices shared by two groups are duplicated, and every group is
// simplified on its own, so a simplified triangle never mixes groups: inferred geometry never
// blends into observed geometry, and each group's outline is kept exactly.
//
// Cracks: a node's content is simplified with its topological border locked. The border of a
// node's region is made of full-resolution edges that every node below it also locked, so any
// mix of levels (a REPLACE cut) meets its neighbours on identical vertices: no cracks.
//
// Errors: meshopt's result error (relative) is converted to metres; a node's geometric error is
// its own simplification error plus the largest geometric error among its children (0 for
// leaves) – an upper bound of its deviation from the full-resolution mesh.
//
// Units and frames: metres, the input mesh's frame (z-up for Muta workspaces).

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/mesh.h"

namespace muta {
class Progress;
}

namespace muta::reconstruct {

struct LodOptions {
  /// Leaves hold at most this many triangles; the k-d tree is as deep as that needs. >= 64.
  std::size_t max_leaf_triangles = 32768;
  /// Error bound (metres) for the first level above the leaves; it doubles with every level
  /// up. > 0. A node stops simplifying at this error even if it has not reached `reduction`.
  double lod_error_m = 0.005;
  /// Fraction of its children's triangles a node aims at, in (0, 1).
  double reduction = 0.5;
  /// Confidence is quantised to multiples of 1/confidence_steps when grouping triangles (and
  /// stored so); 1..1000.
  int confidence_steps = 20;
  /// Deepest k-d split, 0..24 (caps the tree for huge meshes with small max_leaf_triangles).
  int max_depth = 20;
  /// Groups with fewer triangles than this are not simplified (tiny pieces lose nothing).
  std::size_t min_group_triangles = 16;
  /// Throws muta::Error naming the field.
  void Check() const;
};

/// Triangles that simplification keeps apart.
struct ProvenanceGroup {
  Provenance provenance = Provenance::kObserved;
  float confidence = 1;      ///< quantised, [0, 1]
  std::int32_t source = -1;  ///< part id the geometry was derived from; -1 unknown/none
};

struct LodNode {
  int depth = 0;
  int parent = -1;
  std::vector<int> children;
  std::vector<Face> faces;       ///< content: indices into LodTree::mesh.vertices
  Box3f box;                     ///< bounds of the content and of all descendants
  double content_error_m = 0;    ///< this content's simplification error vs. its children's
  double geometric_error_m = 0;  ///< content_error_m + max over children (0 for leaves)
};

struct LodTree {
  /// The input's per-vertex data (positions, normals, colours, UVs), vertices duplicated where
  /// groups meet; faces = the full-resolution triangles on these vertices.
  Mesh mesh;
  std::vector<std::uint32_t> vertex_group;  ///< per vertex of `mesh`, index into `groups`
  std::vector<ProvenanceGroup> groups;
  std::vector<LodNode> nodes;  ///< breadth first: nodes[0] is the root, depths ascending
  int depth = 0;               ///< depth of the leaves (all leaves share it)
  double seconds = 0;          ///< wall time of BuildLodTree

  std::uint32_t FaceGroup(const Face& f) const { return vertex_group[f[0]]; }
};

/// Builds the hierarchy. The mesh must have faces; provenance/confidence/face_extra "source"
/// (core/site_io.h) are read per face when present. Reports one unit per node on `progress`
/// and checks for interrupts. Parallel over the nodes of a level (TBB).
LodTree BuildLodTree(const Mesh& mesh, const LodOptions& options, Progress& progress);

/// The group of each face of `mesh` (same rules as BuildLodTree), and the groups.
std::vector<std::uint32_t> GroupFaces(const Mesh& mesh, int confidence_steps,
                                      std::vector<ProvenanceGroup>& groups);

}  // namespace muta::reconstruct
