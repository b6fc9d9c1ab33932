#pragma once
// Stage `texture` (docs/texture.md): photo texturing of the reconstructed mesh after
// Waechter, Moehrle & Goesele, "Let There Be Color!" (ECCV 2014):
//   1. per-face view selection – a data term rewarding resolution and sharpness (projected
//      area x mean gradient magnitude in the undistorted image), visibility by occlusion tests
//      against the mesh (core/ray_bvh.h), and a Potts smoothness term between neighbouring
//      faces, optimised as an MRF by min-sum loopy belief propagation (view_selection.h);
//   2. charts (connected faces with the same view), projected into their view and packed into
//      one atlas at a texel size in millimetres (default: the images' ground sampling
//      distance), baked with bilinear sampling and dilated for mipmaps (atlas.h);
//   3. global seam levelling: per-vertex colour offsets from a sparse least-squares problem
//      that removes the colour steps along chart borders (seam_leveling.h), then local
//      blending: a feathered band along chart borders (seam_blending.h);
//   4. output: DENSE/textured.glb (atlas embedded) and DENSE/textured.obj + .mtl + atlas image.
// Faces no view sees get a neutral grey material.
//
// Frames and units: the workspace's world frame (z-up); lengths in scene units, which are
// metres unless the workspace is unscaled. Images are COLMAP's undistorted PINHOLE images.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/camera.h"
#include "core/image_io.h"
#include "core/json.h"
#include "core/mesh.h"
#include "core/pose.h"
#include "core/workspace.h"

namespace muta {
class Progress;
}

namespace muta::reconstruct {

/// The longest atlas side the stage makes: 16384, what GPUs commonly allow (GL_MAX_TEXTURE_SIZE;
/// Mesa's llvmpipe too) and the most Muta's image readers take (2^28 pixels = 16384^2), less
/// the 16 rows the restoration adds below the atlas for its neutral material
/// (restore_texture.h, kNeutralRows). A larger texture would make a textured.glb that viewers
/// cannot load.
inline constexpr int kMaxAtlasSide = 16384 - 16;

struct TextureOptions {
  /// Edge of one atlas texel on the surface, millimetres (scene units / 1000); nullopt: the
  /// median ground sampling distance of the views chosen for the faces (one photo pixel).
  std::optional<double> texel_size_mm;
  /// Potts weight: the cost of a border between two neighbouring faces textured from different
  /// views, against data costs in [0, 1] (0 = the face's best view). >= 0.
  double smoothness = 0.3;
  /// Belief-propagation rounds of the view selection; >= 0 (0: each face takes its best view).
  int mrf_iterations = 12;
  /// At most this many candidate views per face (the best by data term); >= 1.
  int max_views_per_face = 8;
  /// Candidate views whose data term is below this fraction of the face's best view's are
  /// dropped; [0, 1].
  double min_relative_quality = 0.25;
  /// Faces seen at a grazing angle (cosine between the face normal and the viewing ray below
  /// this) do not count as seen; [0, 1).
  double min_view_cosine = 0.05;
  /// Photo-consistency check (Waechter et al. 2014): per face, views whose mean colour of the
  /// face is an outlier among its views' (mean-shift mode) are not used – moving objects,
  /// people, cars seen in few photographs, a tree in front of a wall. Needs >= 3 views of a
  /// face to act. The excluded views still vote in the consensus median.
  bool exclude_outlier_views = true;
  /// Global seam levelling (per-vertex colour offsets).
  bool seam_leveling = true;
  /// Weight of the smoothness of the colour offsets inside a chart against the seam term.
  double leveling_lambda = 0.1;
  /// Local seam blending after levelling (seam_blending.h): texels near a chart border are
  /// feathered towards the neighbouring chart's view.
  bool seam_blending = true;
  /// Width of the blended band on each side of a chart border, in texels; > 0.
  double seam_blend_texels = 10;
  /// Per-texel visibility when baking (texel_visibility.h): each texel's surface point is
  /// depth-tested in the chart's view (a CPU depth map of the mesh per view), sampled only from
  /// pixels on its own surface, and taken from the face's next candidate view that sees it when
  /// the chart's view does not (a railing bar in front of a wall).
  bool texel_visibility = true;
  /// With texel_visibility: a texel whose point 3 or more of the face's candidate views see
  /// takes their per-channel median instead of the chart view's colour (consensus baking):
  /// where the views disagree – the surface not quite where the mesh puts it, a highlight, an
  /// occluder the depth test missed – one view's sharp pixels are wrong from elsewhere.
  bool consensus = true;
  /// Before view selection (RunTexture), align the views to each other on the mesh by a smooth
  /// displacement field per photograph (view_alignment.h): where the mesh or a camera is
  /// slightly off, the photographs' detail lands pixels apart. Opt-in: on the synthetic sets it
  /// moves the held-out scores by less than SfM's run-to-run spread (docs/texture.md).
  bool align_views = false;
  /// Control-point spacing of those fields, in pixels of the photographs texturing reads; >= 8.
  double align_lattice_pixels = 32;
  /// Texels of padding around each chart, filled by dilation (for mipmaps); >= 1.
  int padding = 4;
  /// Refuse atlases larger than this many bytes (RGB, uncompressed); nullopt: half the
  /// memory available when the stage starts, at most 4 GiB.
  std::optional<std::uint64_t> max_atlas_bytes;
  /// Refuse (a --texel-size given) or avoid (the default texel, enlarged) atlases with a longer
  /// side than this; 64 .. kMaxAtlasSide.
  int max_atlas_side = kMaxAtlasSide;
  /// Atlas encoding: "jpeg" or "png".
  std::string atlas_format = "jpeg";
  int jpeg_quality = 92;

  void Check() const;
};

/// One undistorted photograph with its camera (PINHOLE, pixels) and pose.
struct TextureView {
  std::string name;  ///< relative to DENSE/images
  Camera camera;
  Rigid3d cam_from_world;
  Image image;  ///< RGB
};

/// Reads DENSE/sparse and every image it lists from DENSE/images (decoded, RGB). Throws
/// muta::Error naming the images that are missing or whose size no longer matches the model
/// (moved, replaced or edited since undistortion).
std::vector<TextureView> LoadTextureViews(const std::filesystem::path& dense_dir,
                                          Progress& progress);

/// The folder texturing reads its views from (LoadTextureViews): DENSE/texture – the
/// photographs undistorted at full size by the undistort stage when dense matching works on
/// smaller images – when it is there and its images, with their depth tests, fit in half the
/// available memory; else DENSE (the dense images). `note` (may be null) gets why DENSE/texture
/// was passed over, or stays empty. Throws muta::Error when DENSE/texture does not belong to
/// DENSE/sparse (other images or poses). `bytes_per_pixel`: what the stage holds per image pixel
/// at its peak – baking's RGB image and float depth map, or more when the views are aligned
/// first (view_alignment.h, AlignmentBytesPerPixel).
inline constexpr double kBakeBytesPerPixel = 8.0;
std::filesystem::path TextureImagesDir(const std::filesystem::path& dense_dir, std::string* note,
                                       double bytes_per_pixel = kBakeBytesPerPixel);

struct TexturedMesh {
  /// Vertices duplicated where charts meet; `uvs` (0,0 = bottom-left of the atlas) and
  /// `normals` (of the input mesh's vertices) filled; faces in the input's order.
  Mesh mesh;
  Image atlas;  ///< RGB
  /// The view chosen for each face (index into the views), -1: none (neutral material).
  std::vector<std::int32_t> face_views;
  /// faces, textured_faces, views_used, charts, atlas_width/height, texel_size_mm
  /// (+ texel_size_source), seam_step_before/after (mean colour step across chart borders,
  /// 8-bit levels, in the photographs before and after levelling), seam_step_atlas (the same
  /// measured in the baked atlas, after blending), seconds per step, ...
  Json figures = Json::object();
};

/// Textures `mesh` from `views`. Throws muta::Error if no face is visible in any view, or if
/// the atlas at the texel size would exceed the memory limit (naming the size it would need).
TexturedMesh TextureMesh(const Mesh& mesh, const std::vector<TextureView>& views,
                         const TextureOptions& options, Progress& progress);

/// Writes DIR/textured.glb, DIR/textured.obj, DIR/textured.mtl and DIR/textured_atlas.jpg
/// (.png for atlas_format "png"), each atomically.
void WriteTexturedMesh(const TexturedMesh& textured, const std::filesystem::path& dir,
                       const TextureOptions& options);

/// The workspace stage: DENSE/mesh.ply + DENSE/sparse + DENSE/images -> textured outputs.
/// Returns the figures (plus seconds for loading and writing).
Json RunTexture(const std::filesystem::path& dense_dir, const TextureOptions& options,
                Progress& progress);

/// The stage definition for RunStages (used by `muta reconstruct` and `muta texture`).
StageDef TextureStage(const TextureOptions& options);

}  // namespace muta::reconstruct
