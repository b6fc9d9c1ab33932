#pragma once
// Photometric refinement of a reconstructed mesh (docs/reconstruct.md, "Photometric refinement";
// opt-in: muta reconstruct --refine-rounds N).
//
// Poisson meshing smooths the fused points at its octree's cell size, and the depth maps it
// stands on are noisy: the surface ends up a pixel or two away from where the photographs
// agree. Each vertex is moved along its normal to where they agree best: a small surface patch
// (the tangent plane, k x k points one reference-view pixel apart) is swept along the normal,
// projected into the views that see the whole patch (its corners pass a depth test against the
// mesh), and scored by the mean normalised cross-correlation (NCC) of the other views' grey
// values against the reference view's – the view that sees the vertex at the finest
// resolution. The score curves are averaged over a few rings of neighbouring vertices (a 5 x 5
// patch alone matches noisily), the best offset is parabola-refined and kept where the match is
// confident and the patch textured, the offsets are smoothed over the mesh (confidence-weighted,
// Laplacian), and no face may turn over (its corners' moves are halved, at last dropped). A few
// rounds, each sweeping half as far, refine coarse to fine.

#include <filesystem>
#include <vector>

#include "core/json.h"
#include "core/mesh.h"
#include "reconstruct/texture/texture.h"

namespace muta {
class Progress;
}

namespace muta::reconstruct {

struct PhotoRefineOptions {
  int rounds = 3;                ///< sweeps, each half as wide as the one before; >= 0 (0: off)
  double sweep_pixels = 4.0;     ///< first sweep: +- this many reference-view pixels; > 0
  int steps = 8;                 ///< offsets per side of the sweep; >= 1
  int patch = 5;                 ///< patch side, points (odd, >= 3)
  double min_ncc = 0.4;          ///< matches below this mean NCC are ignored
  double min_contrast = 2.0;     ///< reference patch grey standard deviation below: ignored
  double min_view_cosine = 0.3;  ///< views seeing the vertex more obliquely are not used
  int aggregation_rings = 2;     ///< score curves averaged over this many rings of neighbours
  int smoothing_iterations = 10;
  double smoothing = 0.1;  ///< weight of each neighbour against a match (weight <= 1)
  void Check() const;
};

/// Moves the vertices of `mesh` along their normals (in place; faces, colours untouched) and
/// recomputes its normals. `views`: undistorted photographs (LoadTextureViews). Returns
/// figures: per round the vertices matched and the mean |offset| (scene units), seconds.
Json PhotoRefine(Mesh& mesh, const std::vector<TextureView>& views,
                 const PhotoRefineOptions& options, Progress& progress);

/// The mesh stage's last step: DENSE/mesh.ply refined from DENSE/images + DENSE/sparse and
/// written back atomically. Throws muta::Error naming missing or moved images.
Json RefineMeshPhotometric(const std::filesystem::path& dense_dir,
                           const PhotoRefineOptions& options, Progress& progress);

}  // namespace muta::reconstruct
