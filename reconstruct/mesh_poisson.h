#pragma once
// Surface reconstruction from the fused point cloud (docs/fusion.md, "Meshing"):
//   1. region of interest: points far outside the sphere the cameras look at are dropped
//      (mesh_roi.h), so background clutter does not coarsen the octree on the building;
//   2. screened Poisson (Kazhdan & Hoppe 2013, through Open3D) at an octree depth chosen from the
//      points' spacing, capped by `depth`;
//   3. trimming: vertices with little sample support (Poisson density quantile) and vertices far
//      from every input point (surface Poisson invented to close the shape) are removed;
//   4. small disconnected pieces are removed.
// Vertex colours are Poisson's, interpolated from the points' colours.
//
// Open3D stays inside mesh_poisson.cpp (its headers are heavy); this header has none.

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "core/json.h"

namespace muta {
class Progress;
}

namespace muta::reconstruct {

struct MeshingOptions {
  /// "poisson" (screened Poisson over the oriented points, smooth and closed) or "delaunay"
  /// (visibility graph cut over the points' tetrahedralisation, mesh_delaunay.h: keeps the
  /// space the cameras saw through empty and the observed points as vertices).
  std::string method = "poisson";
  /// Graph cut: a line of sight's cost of cutting a facet falls to 0 within ~this many point
  /// spacings of its point (the point's own noise); > 0.
  double graph_cut_sigma = 3.0;
  /// Graph cut: the cell this many point spacings behind a point (along each line of sight) is
  /// tied to the inside; > 0.
  double graph_cut_behind = 3.0;
  /// Graph cut: constant cost per facet cut (prefers fewer facets: a smoother, smaller
  /// surface), in lines of sight; >= 0.
  double graph_cut_area_weight = 0.1;
  /// Graph cut: facets with an edge longer than this many point spacings are removed – they
  /// close what no camera saw (as Poisson's distance trimming does). 0 keeps all; otherwise >= 2.
  double graph_cut_max_edge = 30.0;
  /// Octree depth of the Poisson solve – the most it may be: the finest cells are
  /// (scale x the extent of the points meshed) / 2^depth wide, e.g. 15 m / 2^9 = 3 cm at depth 9.
  /// With auto_depth the depth used may be lower. Time and memory grow ~4x per level. 5..13.
  int depth = 10;
  /// Choose the depth from the points: the smallest depth whose finest cells are at most
  /// `cell_spacing_ratio` x the median distance between neighbouring points (capped by `depth`,
  /// at least 5). A finer octree than the samples only adds noise and time.
  bool auto_depth = true;
  /// Finest cell width / median point spacing that auto_depth aims for; > 0.
  double cell_spacing_ratio = 2.0;
  /// Ratio between the reconstruction cube and the cloud's bounding cube (Poisson's `scale`).
  double scale = 1.1;
  /// Poisson's linear interpolation of the iso-value (smoother, can help thin parts).
  bool linear_fit = false;
  /// Mesh only the points inside the region of interest – the sphere the cameras look at, of
  /// radius roi_radius_factor x the cameras' median distance from its centre (mesh_roi.h) –
  /// when the sparse model is available and its cameras converge; otherwise all points.
  bool crop_to_roi = true;
  /// Radius of the region of interest in median camera distances; > 0.
  double roi_radius_factor = 1.2;
  /// The sparse model (cameras) for the region of interest; nullopt: the `sparse` folder beside
  /// the cloud (COLMAP's dense layout: dense/fused.ply, dense/sparse), if there is one.
  std::optional<std::filesystem::path> sparse_model;
  /// Vertices whose Poisson density (how much sample support they have) is below this quantile
  /// of all vertices' densities are removed, with their triangles: this cuts away the surface
  /// Poisson invents far from any point (closing holes, bubbles under open scenes). 0 keeps all;
  /// [0, 1).
  double density_quantile = 0.02;
  /// Vertices farther than this many finest octree cells (or median point spacings, whichever
  /// is larger) from every input point are removed, with their triangles: a surface that far
  /// from all samples was invented by Poisson to close the shape (the far side of a building
  /// nobody photographed, sheets between eaves). 0 keeps all; otherwise >= 0.5.
  double max_distance_cells = 3.0;
  /// Connected pieces with fewer triangles than this fraction of the largest piece are removed
  /// (floating blobs). 0 keeps all; [0, 1].
  double min_component_fraction = 0.01;
  /// Threads for the Poisson solve; nullopt = all cores.
  std::optional<int> threads;
  /// Throws muta::Error naming the field when a value is out of range.
  void Check() const;
};

/// Options for --quality preview|standard|high (depth at most 9, 10, 11). Throws muta::Error on
/// another name.
MeshingOptions MeshingPreset(std::string_view quality);

/// Reads `fused_ply` (a point cloud with normals nx ny nz, as fusion writes; colours used when
/// present), reconstructs, trims and cleans the surface, and writes `mesh_ply` atomically
/// (binary PLY: x y z, nx ny nz, red green blue per vertex; triangles wound so their normals
/// face out, along the points' normals). Same frame and units as the cloud.
///
/// Throws muta::Error naming the file for an unreadable cloud, one without normals, fewer
/// than 100 points with valid normals, an unreadable sparse model given in `sparse_model`, or a
/// mesh that ends up empty. The default sparse model (beside the cloud), when unreadable, and a
/// region of interest that would leave fewer than 100 points are not used (with a warning). Reports
/// its steps on `progress`; checks for interrupts before and after the Poisson solve (which itself
/// runs to completion – about a minute for 1 M points at depth 9 on 2 cores).
///
/// Returns the figures for muta.job.json: points (read), meshed_points (inside the region of
/// interest), roi (center, radius, or null), point_spacing, depth, cell_size, vertices, faces,
/// poisson_vertices/poisson_faces (before clean-up), trimmed_vertices, density_threshold,
/// max_distance, far_vertices (removed by distance), removed_components,
/// removed_component_faces, components, poisson_seconds, seconds, output.
Json MeshFromPoints(const std::filesystem::path& fused_ply, const std::filesystem::path& mesh_ply,
                    const MeshingOptions& options, Progress& progress);

}  // namespace muta::reconstruct
