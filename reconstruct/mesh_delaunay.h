#pragma once
// Surface reconstruction from the fused points and their visibility: a Delaunay tetrahedralisation
// of the points, labelled inside / outside by a minimum s-t cut whose weights come from the lines
// of sight (Labatut, Pons & Keriven 2009, "Robust and efficient surface reconstruction from range
// data"; the idea of OpenMVS's ReconstructMesh). docs/fusion.md, "Meshing".
//
// Every fused point was seen by the views in its visibility list (dense/fused.ply.vis): the
// segment from each of those cameras to the point is empty space. Tetrahedra the segment crosses
// are pushed outside (their crossed facets are expensive to cut), the tetrahedron just behind the
// point is pushed inside; the cut is the surface. Unlike Poisson, the surface never lies where
// a camera saw through, and its vertices are the observed points (edges stay sharp); where no
// point was seen the cut closes the shape with the fewest, largest facets, which are trimmed
// (as Poisson's invented surface is).
//
// CGAL and Boost.Graph stay inside mesh_delaunay.cpp; this header has none.

#include <filesystem>

#include "core/json.h"
#include "reconstruct/mesh_poisson.h"

namespace muta {
class Progress;
}

namespace muta::reconstruct {

/// Reads `fused_ply` (with normals and colours, as fusion writes) and `fused_ply`.vis, meshes
/// with the visibility graph cut, trims facets longer than options.max_distance_cells x the point
/// spacing x 2, removes small pieces and writes `mesh_ply` atomically (as MeshFromPoints).
/// Uses options' region of interest, max_distance_cells, min_component_fraction and the
/// graph-cut fields. Throws muta::Error naming the file for a missing or unreadable cloud or
/// visibility file, a visibility file that does not match the cloud, fewer than 100 points, more
/// points than the machine's memory can mesh (about 4.6 KB each, at most 80 % of the physical
/// memory: ~4 M points on 24 GB), or a mesh that ends up empty.
Json MeshFromPointsDelaunay(const std::filesystem::path& fused_ply,
                            const std::filesystem::path& mesh_ply, const MeshingOptions& options,
                            Progress& progress);

}  // namespace muta::reconstruct
