#pragma once
// Aligning the views to each other on the mesh before texturing (docs/texture.md, "View
// alignment"), after Zhou & Koltun, "Color Map Optimization for 3D Reconstruction with Consumer
// Depth Cameras" (SIGGRAPH 2014), with their non-rigid image correction.
//
// Where the mesh is not quite where the surface is (a Poisson surface rounds edges and lies a few
// millimetres off), and where a camera's pose or calibration is a fraction of a pixel off, the
// photographs projected onto the mesh disagree by pixels: one view's detail lands beside
// another's, and the median of the views blurs it. Each view gets a smooth displacement field
// over its image (a lattice of control points, bilinear between them); a surface point p seen in
// view i is read at pi_i(p) + d_i(pi_i(p)). The fields are found by alternating:
//   1. the target grey value of every surface sample point: the mean of its views' (displaced,
//      gain-adjusted) grey values;
//   2. per view, a Gauss-Newton step on its lattice: the photometric residuals (Huber-weighted)
//      against the targets, plus a smoothness term between neighbouring control points and a weak
//      pull towards no displacement (which fixes the common drift every view could take along
//      the surface),
// coarse to fine over an image pyramid. Sample points are spread over the faces (about two
// pixels apart in the views, at most max_points) and used in the views that see them: in front,
// facing the camera, inside the image, and no depth step in the 3 x 3 pixels around their
// projection in the mesh's depth map (texel_visibility.h). Each view's photograph is then
// resampled through its field, so the later steps (view selection, baking, consensus) see
// aligned photographs. The per-view gain and bias only serve the alignment; colours are left to
// seam levelling.

#include <vector>

#include "core/json.h"
#include "core/mesh.h"
#include "reconstruct/texture/texture.h"

namespace muta {
class Progress;
}

namespace muta::reconstruct {

struct ViewAlignmentOptions {
  int levels = 3;                ///< pyramid levels, coarse to fine (1/4, 1/2, 1 for 3); >= 1
  int iterations = 5;            ///< alternations per level; >= 1
  double lattice_pixels = 32;    ///< control-point spacing in full-size pixels; >= 8
  double smoothness = 1.0;       ///< weight of neighbouring points' difference, vs mean data
  double anchor = 0.2;           ///< weight of the pull towards no displacement, vs mean data
  double max_shift_pixels = 16;  ///< a field never displaces by more; > 0
  double min_view_cosine = 0.3;  ///< sample points seen more obliquely are not used in a view
  double huber_levels = 8;       ///< Huber threshold of the photometric residual, grey levels
  int max_points = 2'000'000;    ///< at most this many surface sample points; >= 100
  void Check() const;
};

/// Bytes per photograph pixel the alignment holds at its peak: the RGB photograph and its float
/// grey pyramid (4 bytes a pixel at full size, a quarter of that a level up). Baking holds 8
/// (texture.h, kBakeBytesPerPixel); at 3 levels this is 8.25.
double AlignmentBytesPerPixel(const ViewAlignmentOptions& options);

/// Aligns `views` to each other on `mesh` and resamples their images in place (sizes, cameras
/// and poses unchanged). Returns figures: points, observations, the grey-level RMS of the views'
/// disagreement at the sample points before and after (full size, no gains), the displacement
/// (mean, 95th percentile, largest; pixels), seconds. Views or points too few to align (fewer
/// than 2 views, no point seen twice) leave the images as they are, with "aligned": false.
Json AlignViews(const Mesh& mesh, std::vector<TextureView>& views,
                const ViewAlignmentOptions& options, Progress& progress);

}  // namespace muta::reconstruct
