#pragma once
// Aligning one image onto another by a 2D homography: Lucas–Kanade (Gauss–Newton on the sum of
// squared luma differences, forward additive; Baker & Matthews 2004), coarse to fine. Used to
// score renderings of a model against photographs whose poses are a few pixels off.

#include <cstdint>
#include <vector>

#include <Eigen/Core>

#include "core/image_io.h"

namespace muta {

struct HomographyFit {
  /// Maps a pixel position of the reference (x, y, 1; pixel centres at +0.5) to the moving
  /// image's: moving(H x) ~ reference(x).
  Eigen::Matrix3d h = Eigen::Matrix3d::Identity();
  double rms_before = 0;   ///< luma RMS difference on the used pixels at the identity
  double rms_after = 0;    ///< and at h
  std::size_t pixels = 0;  ///< reference pixels used at the finest level
  bool converged = false;  ///< false: h is the identity (the fit did not lower the difference)
};

/// The homography that best maps `reference` onto `moving` (both RGB or grey, the same size)
/// over the reference pixels where `reference_mask` is set and the moving image's
/// `moving_mask` (may be empty: all) is set at the mapped position. Starts at the identity, so
/// it finds offsets of up to a few percent of the image (pyramid levels down to ~64 px).
HomographyFit FitHomography(const Image& reference, const std::vector<std::uint8_t>& reference_mask,
                            const Image& moving, const std::vector<std::uint8_t>& moving_mask);

/// `moving` resampled (bilinear) into the reference's frame: out(x) = moving(h x); pixels that
/// map outside `moving` or onto an unset `moving_mask` pixel (may be empty) get `fill`.
Image WarpHomography(const Image& moving, const std::vector<std::uint8_t>& moving_mask,
                     const Eigen::Matrix3d& h, std::uint8_t fill = 0);

}  // namespace muta
