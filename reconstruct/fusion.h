#pragma once
// Depth-map fusion: per-image depth and normal maps of a COLMAP dense workspace -> one coloured,
// oriented point cloud with a visibility list per point (dense/fused.ply + fused.ply.vis).
//
// Workspace (COLMAP's layout, as `colmap image_undistorter` writes it):
//   DIR/images/NAME                                   undistorted photograph (8-bit RGB)
//   DIR/sparse/{cameras,images,points3D}.{bin,txt}    PINHOLE / SIMPLE_PINHOLE cameras
//   DIR/stereo/depth_maps/NAME.TYPE.bin               depth = z in the camera frame (model units),
//                                                     <= 0 or non-finite = no depth
//   DIR/stereo/normal_maps/NAME.TYPE.bin              unit normals in the camera frame
// with TYPE "geometric" or "photometric". A map may be smaller than its image (COLMAP's
// max_image_size): the intrinsics are scaled to the map as COLMAP does.
//
// Pixel convention: depth-map pixel (x, y) is the ray through the image point (x + 0.5, y + 0.5)
// (core/camera.h). COLMAP's own fusion uses (x, y) – half a pixel apart, which is below its
// reprojection threshold; both read each other's maps.
//
// Algorithm (docs/fusion.md): images are visited one after another (each next one the
// unvisited image sharing most of the previous one's view, so cached maps are reused). Every
// pixel of the visited "reference" image that no earlier image has consumed is back-projected
// and checked against its best-overlapping neighbours (at most max_neighbors, not yet
// visited): projected into a neighbour it must meet an unconsumed pixel whose depth agrees
// (relative error against the neighbour's depth interpolated at the projection), whose own 3D
// point reprojects near the reference pixel, and whose normal agrees. A point consistent in >=
// min_views images (the reference counts) is kept, with the mean position, normal and colour over
// those views and the list of views; the matched neighbour pixels are consumed, so a surface patch
// yields one point, not one per view. The result is deterministic (independent of thread count and
// cache budget).
//
// Memory: depth maps, normal maps (stored as 16-bit) and images live in an LRU cache bounded
// by cache_bytes; all maps are never loaded at once. Besides the cache: one bit per pixel of
// every image not yet visited, ~40 bytes per pixel of the current reference, and the output.

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"

namespace muta {
class Progress;
struct SparseModel;
}  // namespace muta

namespace muta::reconstruct {

struct FusionOptions {
  /// Which maps to fuse: "geometric" (after the geometric-consistency pass; default) or
  /// "photometric".
  std::string input_type = "geometric";
  /// A point is kept when consistent in at least this many images (the reference included).
  int min_views = 3;
  /// Neighbours checked per reference image, ranked by estimated overlap; 1..64.
  int max_neighbors = 20;
  /// Max relative depth difference |z_projected - z_neighbour| / z_neighbour, where z_neighbour
  /// is the neighbour's depth interpolated at the projection (nearest pixel at edges).
  double max_depth_error = 0.01;
  /// Max distance (pixels of the reference map) between a reference pixel's centre and the
  /// projection of the matched neighbour pixel's 3D point.
  double max_reproj_error = 2.0;
  /// Max angle (degrees) between the reference and the neighbour normal.
  double max_normal_error = 10.0;
  /// Grazing observations are ignored: a pixel whose viewing ray meets its surface at more
  /// than this angle (degrees) from the pixel's normal – pointing back at the camera – takes
  /// part neither as a reference nor as a neighbour. Near the silhouette a depth is
  /// ill-conditioned (a tiny change of the ray moves it a lot), so such pixels agree or
  /// disagree by chance. (0, 90]; 90 keeps all pixels whose normal faces the camera.
  double max_grazing_angle = 80.0;
  /// Neighbours must share at least this fraction of a view's sampled depth points (overlap
  /// estimate from a sparse grid of each depth map); in (0, 1).
  double min_overlap = 0.02;
  /// Byte budget of the map/image cache. Must hold at least the reference and one neighbour;
  /// neighbours beyond the budget are processed in batches (same result, more reads).
  std::uint64_t cache_bytes = std::uint64_t{1} << 30;
  /// Skip images whose depth map, normal map or photograph is missing (with a warning)
  /// instead of failing.
  bool allow_missing_maps = false;
  /// Throws muta::Error naming the field when a value is out of range.
  void Check() const;
};

/// Options for --quality preview|standard|high (preview: fewer neighbours and views, for a
/// quick look; high: more neighbours, stricter normals). Throws muta::Error on another name.
FusionOptions FusionPreset(std::string_view quality);

/// Fuses the workspace `dense_dir` into dense_dir/fused.ply (binary little-endian PLY with
/// float x y z nx ny nz, uchar red green blue; world frame and units of the sparse model) and
/// dense_dir/fused.ply.vis (COLMAP's format: uint64 point count, then per point a uint32
/// count and that many uint32 image indices – positions of the images in the order of
/// sparse/images.bin, as COLMAP's dense workspace numbers them). Both written atomically.
///
/// Throws muta::Error naming the file for a missing or unreadable sparse model, an image
/// whose camera has distortion, a missing (unless allow_missing_maps), truncated or corrupt
/// map, maps of different sizes or channel counts, a missing or unreadable photograph, and
/// when no point could be fused. Reports one unit per image on `progress`; checks for
/// interrupts between images and between neighbours (muta::Cancelled; nothing is written).
///
/// Returns the figures for muta.job.json: points, images, images_skipped, mean_views
/// (per point), cache_peak_bytes, cache_budget_bytes, map_loads (loads of image entries,
/// reloads included), seconds, input_type, output, visibility.
Json FuseDepthMaps(const std::filesystem::path& dense_dir, const FusionOptions& options,
                   Progress& progress);

/// Image ids in the order of the model's images file (`sparse_dir`, read as `model`): COLMAP's
/// dense workspace numbers images – the indices in fused.ply.vis – in that order, not by id.
/// Falls back to id order (with a warning) when the file order cannot be followed.
std::vector<std::uint32_t> ImageIdsInFileOrder(const std::filesystem::path& sparse_dir,
                                               const SparseModel& model);

}  // namespace muta::reconstruct
