#pragma once
// Per-image scores and pictures of `muta eval texture` (eval_texture.cpp): PSNR and SSIM of a
// rendering against a photograph over a mask, the best whole-pixel shift, the mask away from
// the ground truth's edges, the undistortion of a photograph to a localised camera, and the
// side-by-side and error pictures of --save-renders; and what both ways of scoring share (the
// ground truth's held-out views in eval_texture.cpp, held-out photographs in
// eval_texture_photos.cpp): the unlit render options, the pixels both models draw, the SfM's
// feature size.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/camera.h"
#include "core/depth_map_io.h"
#include "core/gltf_io.h"
#include "core/image_io.h"
#include "core/mesh.h"

namespace muta::render {
struct RenderOptions;
struct SceneObject;
}  // namespace muta::render

namespace muta::cli::texture_eval {

/// A sparse model folder holds cameras.{bin,txt}.
bool HasSparseModel(const std::filesystem::path& dir);

/// The two models `muta eval texture` compares: WORKSPACE/dense/textured.glb (with its base
/// colour texture) and the vertex-coloured WORKSPACE/dense/mesh.ply.
struct EvalModels {
  GlbContent textured;
  Mesh coloured;
};
/// Checks that the workspace `ws` (as given with -w: `arg`) holds both and the cameras of
/// dense/sparse; throws muta::Error naming the missing file and the command that makes it.
void CheckEvalWorkspace(const std::filesystem::path& ws, const std::string& arg);
/// Reads both (after CheckEvalWorkspace); throws naming the file when the glb has no texture or
/// the mesh no colours.
EvalModels ReadEvalModels(const std::filesystem::path& ws, const std::string& arg);

/// The scene objects of both models: 0 the textured one (its texture clamped, not repeated), 1
/// the vertex-coloured one.
std::vector<render::SceneObject> ModelObjects(EvalModels models);

/// Unlit and exact: colour = albedo (RenderOptions::exact_colors: no lighting, no highlight
/// shoulder), black background, far plane `far_m`.
render::RenderOptions UnlitOptions(double far_m);

/// The masked pixels both renderings draw a surface on (depth > 0 in both): a hole of the
/// reconstruction shows the background in both alike, and its (large) error is the geometry's,
/// not the colours'.
std::vector<std::uint8_t> DrawnByBoth(const std::vector<std::uint8_t>& mask, const FloatMap& a,
                                      const FloatMap& b);

/// The size the workspace's SfM extracted its features at (its figures; before they recorded
/// it, its quality's preset), so that photographs localised into its model have their features
/// at the model's scale: at 6 MP and preview quality that registers 7 of 8 instead of 6 in a
/// third of the time. 0 (their own size) when the job says neither.
int SfmFeatureSize(const std::filesystem::path& ws);

// Squared-error sum and SSIM sum over the masked pixels of one rendering.
struct Score {
  double sq_err = 0;  ///< sum over masked pixels and RGB of (a - b)^2
  double ssim = 0;    ///< sum over masked pixels of the SSIM map
  std::size_t pixels = 0;
  double Psnr() const { return PsnrOf(sq_err, pixels); }
  double Ssim() const { return pixels ? ssim / double(pixels) : 0.0; }
  void Add(const Score& o) { sq_err += o.sq_err, ssim += o.ssim, pixels += o.pixels; }
  static double PsnrOf(double sq_err, std::size_t pixels) {
    if (pixels == 0) return 0.0;
    const double mse = sq_err / (3.0 * double(pixels));
    return mse <= 1e-12 ? 99.0 : 10.0 * std::log10(255.0 * 255.0 / mse);
  }
};

/// The squared error (RGB) and SSIM (luma, 11x11 Gaussian window, sigma 1.5) of `rendered`
/// against `photo` over the pixels where `mask` is set.
Score Compare(const Image& rendered, const Image& photo, const std::vector<std::uint8_t>& mask);

// Registration check: the whole-pixel shift (|dx|, |dy| <= 2) of `rendered` that best matches
// the photograph on the masked pixels, and the PSNR there. A systematic offset (a half-pixel
// convention slip, a biased alignment) shows as a shift other than (0, 0).
struct Shift {
  int dx = 0, dy = 0;
  double psnr = 0;
};
Shift BestShift(const Image& rendered, const Image& photo, const std::vector<std::uint8_t>& mask);

// The photograph and its building mask as the pinhole camera `pinhole` (the localised camera's
// focal lengths and principal point, no distortion) would see them: each pixel's ray projected
// through the localised camera (with its lens distortion), the photograph sampled bilinearly,
// the mask at the nearest pixel (outside the photograph: not building).
void UndistortForLocalised(const Camera& distorted, const Camera& pinhole, Image& photo,
                           std::vector<std::uint8_t>& mask);

// The building pixels away from the ground truth's edges: no silhouette and no depth step of
// more than 2 % within kEdgeRadius pixels. A reconstruction a little off in geometry shifts
// colours most at those edges; the rest measures the colours themselves.
constexpr int kEdgeRadius = 3;
std::vector<std::uint8_t> InteriorMask(const FloatMap& depth);

// Side by side: photograph, textured, vertex colour (, ceiling); pixels outside the mask
// darkened.
Image Triptych(const std::vector<const Image*>& parts, const std::vector<std::uint8_t>& mask);

// |rendering - photograph| per channel, doubled (clamped), side by side for each rendering;
// black outside the mask.
Image ErrorMaps(const Image& photo, const std::vector<const Image*>& renders,
                const std::vector<std::uint8_t>& mask);

}  // namespace muta::cli::texture_eval
