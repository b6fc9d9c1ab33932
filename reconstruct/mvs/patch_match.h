#pragma once
// Muta's CPU multi-view PatchMatch stereo (docs/mvs.md).
//
// Per reference image: plane hypotheses (depth + normal) initialised at random, improved by
// red-black checkerboard propagation (Gipuma/ACMH) and random refinement, scored by a
// bilaterally weighted NCC over several source views with per-pixel view selection; optionally
// coarse-to-fine; then a geometric-consistency pass (forward-backward reprojection against the
// source views' photometric depth maps) and filtering.
//
// Frames and units: depths are z in the reference camera frame (scene units, 0 = no depth);
// normals are unit vectors in the reference camera frame facing the camera – COLMAP's
// convention for dense/stereo/{depth,normal}_maps.

#include <cstddef>
#include <filesystem>
#include <vector>

#include "core/colmap_model.h"
#include "core/depth_map_io.h"
#include "core/json.h"
#include "reconstruct/mvs/mvs_view.h"
#include "reconstruct/mvs/patch_match_options.h"

namespace muta {
class Progress;
}

namespace muta::reconstruct {

/// What one depth map needs.
struct MvsProblem {
  MvsView reference;
  std::vector<MvsView> sources;  ///< 1..32 views
  double depth_min = 0;          ///< scene units, > 0
  double depth_max = 0;          ///< > depth_min
  /// For the geometric pass: each source's photometric depth map (same size as its view), in
  /// the order of `sources`. Empty for the photometric pass.
  std::vector<FloatMap> source_depths;
};

/// A depth map with its normals and costs, all the reference view's size.
struct DepthEstimate {
  FloatMap depth;   ///< 1 channel, z in the reference camera frame; 0 = none
  FloatMap normal;  ///< 3 channels, unit normal in the reference camera frame; 0 where no depth
  FloatMap cost;    ///< 1 channel, aggregated matching cost in [0, 2] (kMaxCost where no depth)
};

/// The photometric pass: PatchMatch from random initialisation (coarse to fine when
/// options.num_scales > 1). Pixels whose patch is textureless get depth 0.
DepthEstimate EstimateDepthMap(const MvsProblem& problem, const PatchMatchOptions& options);

/// The geometric pass: starting from `initial` (the photometric estimate; pixels without depth
/// are initialised at random), num_geometric_iterations of PatchMatch whose per-view cost adds
/// geometric_weight * min(forward-backward reprojection error, geometric_max_error).
/// Needs problem.source_depths.
DepthEstimate RefineDepthMapGeometric(const MvsProblem& problem, const DepthEstimate& initial,
                                      const PatchMatchOptions& options);

/// For every pixel with depth, the number of source views whose depth map agrees (forward-
/// backward reprojection error <= filter_max_reprojection_error pixels and relative depth
/// difference <= filter_max_depth_difference). Needs problem.source_depths.
std::vector<int> CountConsistentViews(const MvsProblem& problem, const FloatMap& depth,
                                      const PatchMatchOptions& options);

/// Zeroes depth and normal where the cost exceeds filter_max_cost or fewer than
/// filter_min_consistent_views source views agree. Returns the number of pixels kept.
std::size_t FilterDepthMap(const MvsProblem& problem, const PatchMatchOptions& options,
                           DepthEstimate& estimate);

// ---- source views and depth range from the sparse model -------------------------------------

/// Up to options.num_source_images source images for `ref_id`, best first. Scored by the
/// sparse points both images see (each weighted by its triangulation angle: small angles and
/// angles beyond 60 degrees count less; pairs below min_triangulation_angle are dropped);
/// when the two images share no points, by camera geometry (viewing-direction angle, overlap of
/// view frusta at the reference's depth range, baseline). Views whose optical axes differ by
/// more than max_view_angle are never chosen. Throws muta::Error when `ref_id` is unknown.
std::vector<std::uint32_t> SelectSourceViews(const SparseModel& model, std::uint32_t ref_id,
                                             const PatchMatchOptions& options);

/// Depth range (min, max) of image `ref_id` in scene units: options.depth_min/max when given;
/// else the 1st and 99th percentile of the depths of the sparse points it sees (or, when it
/// sees fewer than 10, all points in front of it), widened by depth_range_margin; else, with
/// no points at all, from camera geometry (distance to where the optical axes of all cameras
/// converge, times 0.25 and 4). Throws muta::Error when no range can be found.
std::pair<double, double> EstimateDepthRange(const SparseModel& model, std::uint32_t ref_id,
                                             const PatchMatchOptions& options);

// ---- the dense workspace ---------------------------------------------------------------------

/// Output paths in COLMAP's layout: DIR/stereo/{depth,normal}_maps/NAME.{photometric,geometric}.bin
std::filesystem::path DepthMapPath(const std::filesystem::path& dense_dir, const std::string& name,
                                   bool geometric);
std::filesystem::path NormalMapPath(const std::filesystem::path& dense_dir, const std::string& name,
                                    bool geometric);

/// Runs PatchMatch stereo on a COLMAP undistorted workspace DIR (DIR/images/NAME,
/// DIR/sparse/*.bin with PINHOLE cameras): first the photometric pass for every image, then
/// (options.geometric) the geometric pass and filtering. Writes DIR/stereo/depth_maps and
/// normal_maps (NAME.photometric.bin, NAME.geometric.bin) atomically, and DIR/stereo/
/// patch-match.cfg and fusion.cfg when absent (for COLMAP's stereo_fusion). An image whose
/// output files of a pass exist is skipped (the unit of resume). Reports one unit per image
/// and pass on `progress`; checks for interrupts between images and iterations
/// (muta::Cancelled). Returns figures for muta.job.json: images, processed/skipped per pass,
/// mean valid-pixel fraction, seconds per image, image size.
Json RunPatchMatchStereo(const std::filesystem::path& dense_dir, const PatchMatchOptions& options,
                         Progress& progress);

}  // namespace muta::reconstruct
