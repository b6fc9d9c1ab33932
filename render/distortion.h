#pragma once
// Rendering through lens distortion (private to muta::render): the GPU renders an ideal
// pinhole view that covers the whole distorted image with a margin; each output pixel is then
// looked up in it along its own ray (Camera::Unproject), so the result matches
// Camera::Project exactly. CPU, parallel over rows (TBB).

#include <vector>

#include <Eigen/Core>

#include "core/camera.h"
#include "core/mesh.h"
#include "render/renderer.h"

namespace muta::render {

struct UndistortedView {
  Camera camera;   ///< the distorted camera this was planned for
  Camera pinhole;  ///< PINHOLE with the same focal lengths, covering the image plus a margin
  /// Per output pixel (row-major), the pinhole pixel coordinates (COLMAP convention) its ray
  /// hits; NaN where the lens model cannot be inverted or the ray falls outside `pinhole`.
  std::vector<Eigen::Vector2f> source;
};

/// Plans the pinhole view for `camera` (which must have distortion and a supported model).
/// The pinhole image is at most `max_scale` times the camera's size per axis and at most
/// `max_dimension` pixels; rays beyond it render as background.
UndistortedView PlanUndistortedView(const Camera& camera, int max_dimension,
                                    double max_scale = 3.0);

/// Resamples a render of `view.pinhole` into `view.camera`'s image: colour bilinear (in linear
/// light); depth (z is the same in both, as they share the camera frame) bilinear where the
/// four neighbours lie within 1 % of each other, else nearest – no blending across depth
/// edges or with the background. Pixels with no source get `background` (sRGB) and depth 0.
RenderResult ResampleDistorted(const UndistortedView& view, const RenderResult& pinhole,
                               const Color3u8& background);

/// sRGB <-> linear for one channel value in [0, 1].
float SrgbToLinear(float c);
float LinearToSrgb(float c);

}  // namespace muta::render
