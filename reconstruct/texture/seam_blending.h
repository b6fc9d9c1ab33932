#pragma once
// Local seam blending (internal to reconstruct/texture; docs/texture.md, "Seam blending").
//
// After global levelling (seam_leveling.h) a residual colour step remains where two charts
// meet: different views see different detail, highlights and blur. Waechter et al. (2014,
// section 5.2) remove it by Poisson editing of a strip along each border; Muta feathers
// instead: a texel of chart C within `band` (scene units, measured on the surface) of a border
// edge shared with chart O takes
//     (1 - w) * own colour + w * O's colour at the same surface point,  w = 0.5 (1 - d / band),
// where d is the texel's surface point's distance to the nearest border edge, O's colour is
// O's view sampled at the point's projection plus O's levelling offset at the border edge.
// At the border both sides show the same 50/50 mix, so the step vanishes; at `band` the chart's
// own view is untouched. The point is projected into O's view without an occlusion test: it
// lies within `band` of a face O's view was chosen for.
//
// Per face, the border edges within reach are found by a breadth-first search from the border
// faces inside each chart (rings of faces, stopped once a face's centroid is farther than
// `band` plus its own size from the edge); each face keeps its kMaxEdgesPerFace nearest.

#include <cstdint>
#include <vector>

#include <Eigen/Core>

#include "core/mesh.h"
#include "reconstruct/texture/atlas.h"
#include "reconstruct/texture/view_selection.h"

namespace muta::reconstruct::tex {

/// A chart border edge as one side sees it: the mesh edge (a, b) (original vertices) and the
/// other side's chart with its output vertices at a and b.
struct BorderEdge {
  std::uint32_t a = 0, b = 0;
  std::uint32_t other_chart = 0;
  std::uint32_t other_a = 0, other_b = 0;
};

struct SeamBlend {
  const Mesh* mesh = nullptr;  ///< the input mesh (positions of original vertices)
  double band = 0;             ///< scene units
  std::vector<BorderEdge> edges;
  /// Per face: indices into `edges` within reach (CSR; empty range = no blending).
  std::vector<std::uint32_t> offsets;
  std::vector<std::uint32_t> face_edges;
  std::size_t blended_faces = 0;
  bool Empty() const { return edges.empty(); }
};

inline constexpr int kMaxEdgesPerFace = 4;

/// Plans the blend: border edges between textured charts and, per face, those within `band`.
SeamBlend PlanSeamBlend(const Mesh& mesh, const ChartLayout& layout, const FaceAdjacency& adjacency,
                        double band);

struct TexelVisibility;

/// The colour of chart `chart`'s face `face` at surface point `point` blended with the
/// neighbouring charts' views; `own` is the chart's own (levelled) colour. With `visibility`
/// (texel_visibility.h) the neighbour's view is sampled with depth-tested taps, and a point it
/// does not see is not blended.
Eigen::Vector3f BlendAtPoint(const SeamBlend& blend, const ChartLayout& layout,
                             const std::vector<TextureView>& views,
                             const std::vector<Eigen::Vector3f>& offsets, std::uint32_t face,
                             const Eigen::Vector3d& point, const Eigen::Vector3f& own,
                             const TexelVisibility* visibility = nullptr);

/// The mean colour step across chart borders measured in a baked atlas: both sides of each
/// border edge between textured charts sampled at 1/6, 1/2, 5/6 of the edge at their atlas
/// positions, |side 1 - side 2| averaged over R, G, B and the samples (8-bit levels).
double AtlasSeamStep(const ChartLayout& layout, const FaceAdjacency& adjacency, const Image& atlas,
                     int padding);

}  // namespace muta::reconstruct::tex
