#pragma once
// Per-image scores and pictures of `muta eval texture` (eval_texture.cpp): PSNR and SSIM of a
// rendering against a photograph over a mask, the best whole-pixel shift, the mask away from
// the ground truth's edges, the undistortion of a photograph to a localised camera, and the
// side-by-side and error pictures of --save-renders.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/camera.h"
#include "core/depth_map_io.h"
#include "core/image_io.h"

namespace muta::cli::texture_eval {

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
