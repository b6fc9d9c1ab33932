#pragma once
// Analytic test scenes for multi-view stereo: textured planar quads seen by pinhole cameras,
// ray-cast exactly, so every pixel's true depth and normal are known. Used by the mvs unit
// tests and tools/bench/mvs_bench (no GL needed).

#include <cstdint>
#include <filesystem>
#include <vector>

#include <Eigen/Core>

#include "core/colmap_model.h"
#include "core/depth_map_io.h"
#include "reconstruct/mvs/mvs_view.h"

namespace muta::reconstruct {

/// A planar rectangle: corner + s * axis_u + t * axis_v for s, t in [0, 1] (metres).
struct AnalyticQuad {
  Eigen::Vector3d corner;
  Eigen::Vector3d axis_u;
  Eigen::Vector3d axis_v;
};

struct AnalyticScene {
  std::vector<AnalyticQuad> quads;
  /// Cameras (one shared PINHOLE camera, id 1) and images view_NNN.png (ids 1..N); `points`
  /// filled by AddSparsePoints.
  SparseModel model;
  double texture_frequency = 6.0;  ///< cycles per metre of the finest noise octave / 4
};

/// A facade: a 6 m x 4 m wall in the plane y = 0 (facing +y) with a protruding box, a slanted
/// panel and a recess, seen by `num_images` cameras on an arc of radius 7 m (+-`arc_deg`/2
/// around +y) looking at the wall centre. Image size width x height, focal 0.9 * width.
AnalyticScene MakeFacadeScene(int num_images, int width, int height, double arc_deg = 40.0);

/// Renders image `image_id`: grayscale in [0,1] (2x2 supersampled; background flat 0.5) and,
/// when `depth`/`normal` are given, the true depth (camera z, 0 = background) and normal
/// (camera frame, facing the camera) at pixel centres.
MvsView RenderAnalyticView(const AnalyticScene& scene, std::uint32_t image_id,
                           FloatMap* depth = nullptr, FloatMap* normal = nullptr);

/// Adds up to `num_points` sparse points (random surface points seen unoccluded by at least two
/// images) with their tracks to scene.model. Deterministic for `seed`.
void AddSparsePoints(AnalyticScene& scene, int num_points, std::uint64_t seed = 1);

/// Writes a COLMAP dense workspace: DIR/images/view_NNN.png (RGB) and DIR/sparse/*.bin.
void WriteAnalyticWorkspace(const AnalyticScene& scene, const std::filesystem::path& dir);

/// Agreement of an estimated depth map with the truth (same size; 0 = no depth).
struct DepthAgreement {
  double completeness = 0;    ///< of the pixels with true depth, the fraction estimated within tol
  double accuracy = 0;        ///< of the estimated pixels with true depth, the fraction within tol
  double valid_fraction = 0;  ///< of the pixels with true depth, the fraction with any estimate
  double median_relative_error = 0;  ///< over pixels with both depths
  std::size_t truth_pixels = 0;
};
/// Compares at pixels where `truth` > 0; "within tol" means |d - d_true| <= relative_tol * d_true.
DepthAgreement CompareDepthMaps(const FloatMap& estimate, const FloatMap& truth,
                                double relative_tol);

}  // namespace muta::reconstruct
