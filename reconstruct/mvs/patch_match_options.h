#pragma once
// Options of Muta's CPU multi-view PatchMatch stereo (reconstruct/mvs/patch_match.h).
//
// Units: pixels are those of the image as processed (after max_image_size downscaling); depths
// are in scene units (metres once the model is scaled); angles in degrees.

#include <cstdint>
#include <optional>
#include <string_view>

namespace muta::reconstruct {

struct PatchMatchOptions {
  // ---- input ------------------------------------------------------------------------------
  /// Longest image side processed, pixels; larger images are downscaled (depth and normal maps
  /// then have the downscaled size, which COLMAP's stereo_fusion accepts). nullopt = full size.
  std::optional<int> max_image_size;
  /// Source images per reference image, chosen by SelectSourceViews. 1..32.
  int num_source_images = 5;
  /// Source views need at least this triangulation angle with the reference on shared sparse
  /// points (median), degrees.
  double min_triangulation_angle = 1.0;
  /// Views whose optical axes differ by more than this are not used as sources, degrees.
  double max_view_angle = 70.0;
  /// Depth range of every reference image, scene units. nullopt = from the sparse points the
  /// image sees (percentiles, widened by depth_range_margin), or from camera geometry when
  /// the model has no points. Give both or neither.
  std::optional<double> depth_min;
  std::optional<double> depth_max;
  /// Relative margin added below/above the depth range estimated from sparse points.
  double depth_range_margin = 0.25;

  // ---- matching cost ------------------------------------------------------------------------
  /// Half size of the square matching window, pixels (5 gives an 11x11 window).
  int window_radius = 5;
  /// Step between window samples, pixels (2: every other pixel, as Gipuma/ACMH).
  int window_step = 2;
  /// Bilateral weight: spatial sigma in pixels and intensity sigma (intensities in [0,1]).
  double sigma_spatial = 5.0;
  double sigma_color = 0.12;
  /// Patches whose weighted intensity standard deviation is below this are textureless: no
  /// photometric depth is estimated there (intensities in [0,1]).
  double min_patch_stddev = 0.004;

  // ---- PatchMatch ---------------------------------------------------------------------------
  /// Red-black (checkerboard) iterations of the photometric pass at the finest scale; each
  /// iteration updates every pixel once.
  int num_iterations = 3;
  /// Coarse-to-fine scales (1 = single scale). Scale k > 0 runs at 1/2^k resolution;
  /// coarser scales run `num_iterations` iterations, finer ones `num_fine_iterations`.
  int num_scales = 3;
  /// Iterations at scales finer than the coarsest (their state is upsampled from the coarser
  /// one, so fewer iterations suffice).
  int num_fine_iterations = 1;
  /// Random refinement hypotheses tested per pixel and iteration (0..6): perturbed depth,
  /// perturbed normal, both perturbed, random depth, random normal, both random – in this order.
  int num_refinement_hypotheses = 4;
  /// Initial depth perturbation of refinement, fraction of the depth (halved every iteration).
  double depth_perturbation = 0.02;
  /// Initial normal perturbation of refinement, radians-ish (halved every iteration).
  double normal_perturbation = 0.3;
  /// Seed of the per-pixel random numbers (results do not depend on the thread count).
  std::uint64_t seed = 1;

  // ---- geometric consistency pass -------------------------------------------------------------
  /// Runs the geometric pass (needs the photometric maps of the source images).
  bool geometric = true;
  /// Iterations of the geometric pass (photometric cost + regularised reprojection error).
  int num_geometric_iterations = 1;
  /// Weight of the forward-backward reprojection error in the geometric cost (per pixel).
  double geometric_weight = 0.2;
  /// Reprojection errors are clamped at this value in the geometric cost, pixels.
  double geometric_max_error = 3.0;

  // ---- filtering (applied to the geometric maps) -----------------------------------------
  /// A pixel is kept when its matching cost (1 - NCC, 0..2) is at most this.
  double filter_max_cost = 0.6;
  /// ... and it is consistent with at least this many source views ...
  int filter_min_consistent_views = 2;
  /// ... where consistent means a forward-backward reprojection error at most this (pixels)
  double filter_max_reprojection_error = 1.0;
  /// ... and a relative depth difference at most this.
  double filter_max_depth_difference = 0.01;

  /// Throws muta::Error naming the field when a value is out of range.
  void Check() const;
};

/// Options for `--quality preview|standard|high`. Throws muta::Error for another name.
/// preview: max 1000 px, fewer iterations and hypotheses; standard: the defaults with max
/// 2000 px and no geometric pass (its fusion reads the photometric maps); high: full size,
/// 8 source images, more iterations and hypotheses, 2 geometric iterations.
PatchMatchOptions PatchMatchPreset(std::string_view quality);

}  // namespace muta::reconstruct
