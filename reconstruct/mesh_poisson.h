#pragma once
// Surface reconstruction from the fused point cloud: screened Poisson (Kazhdan & Hoppe 2013,
// through Open3D), then clean-up – vertices with little sample support are trimmed by their
// Poisson density, and small disconnected pieces are removed. Vertex colours are Poisson's,
// interpolated from the points' colours.
//
// Open3D stays inside mesh_poisson.cpp (its headers are heavy); this header has none.

#include <filesystem>
#include <optional>
#include <string_view>

#include "core/json.h"

namespace muta {
class Progress;
}

namespace muta::reconstruct {

struct MeshingOptions {
  /// Octree depth of the Poisson solve: the finest cells are (scale x the cloud's extent) / 2^depth
  /// wide, e.g. 30 m / 2^9 = 6 cm at depth 9. Time and memory grow ~4x per level. 5..13.
  int depth = 9;
  /// Ratio between the reconstruction cube and the cloud's bounding cube (Poisson's `scale`).
  double scale = 1.1;
  /// Poisson's linear interpolation of the iso-value (smoother, can help thin parts).
  bool linear_fit = false;
  /// Vertices whose Poisson density (how much sample support they have) is below this quantile
  /// of all vertices' densities are removed, with their triangles: this cuts away the surface
  /// Poisson invents far from any point (closing holes, bubbles under open scenes). 0 keeps all;
  /// [0, 1).
  double density_quantile = 0.05;
  /// Connected pieces with fewer triangles than this fraction of the largest piece are removed
  /// (floating blobs). 0 keeps all; [0, 1].
  double min_component_fraction = 0.01;
  /// Threads for the Poisson solve; nullopt = all cores.
  std::optional<int> threads;
  /// Throws muta::Error naming the field when a value is out of range.
  void Check() const;
};

/// Options for --quality preview|standard|high (depth 8, 9, 10). Throws muta::Error on
/// another name.
MeshingOptions MeshingPreset(std::string_view quality);

/// Reads `fused_ply` (a point cloud with normals nx ny nz, as fusion writes; colours used when
/// present), reconstructs, trims and cleans the surface, and writes `mesh_ply` atomically
/// (binary PLY: x y z, nx ny nz, red green blue per vertex; triangles wound so their normals
/// face out, along the points' normals). Same frame and units as the cloud.
///
/// Throws muta::Error naming the file for an unreadable cloud, one without normals, fewer
/// than 100 points with valid normals, or a mesh that ends up empty. Reports its steps on
/// `progress`; checks for interrupts before and after the Poisson solve (which itself runs
/// to completion – about a minute for 1 M points at depth 9 on 2 cores).
///
/// Returns the figures for muta.job.json: points, depth, vertices, faces,
/// poisson_vertices/poisson_faces (before clean-up), trimmed_vertices, density_threshold,
/// removed_components, removed_component_faces, components, poisson_seconds, seconds, output.
Json MeshFromPoints(const std::filesystem::path& fused_ply, const std::filesystem::path& mesh_ply,
                    const MeshingOptions& options, Progress& progress);

}  // namespace muta::reconstruct
