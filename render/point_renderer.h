#pragma once
// Point clouds with eye-dome lighting (EDL; Boucheny 2009, as in CloudCompare and Potree):
// points are drawn as round splats into an offscreen target with their camera depth, then a
// screen pass darkens each pixel by how much nearer its neighbours are (in log depth), which
// brings out shape without normals or lights.
//
// Frames: world z-up metres; cameras are COLMAP's (cam_from_world; x right, y down, z
// forward). Colours are the cloud's sRGB colours (or `default_color` for clouds without).
// A PointRenderer needs a current GL 4.5 context for its whole life (gl_context.h).

#include <cstddef>
#include <memory>
#include <vector>

#include <Eigen/Core>

#include "core/camera.h"
#include "core/image_io.h"
#include "core/mesh.h"
#include "core/pose.h"

namespace muta::render {

struct PointRenderOptions {
  double near_m = 0.05;     ///< near plane, metres
  double far_m = 1000;      ///< far plane, metres
  float point_size_px = 3;  ///< splat diameter in framebuffer pixels (1..64)
  bool eye_dome_lighting = true;
  float edl_strength = 1;     ///< 0 = none; 1 = the usual look
  float edl_radius_px = 1.5;  ///< neighbour distance of the EDL pass, pixels
  Eigen::Vector3f default_color = {0.8f, 0.78f, 0.74f};  ///< sRGB in [0,1], points without colour
  Eigen::Vector3f background = {0.78f, 0.85f, 0.93f};    ///< linear RGB, as Lighting::background
  /// Section planes (n, d), world frame: points with n·x + d > 0 are cut away (as
  /// RenderOptions::section_planes). At most 8.
  std::vector<Eigen::Vector4d> section_planes;
  void Check() const;
};

class PointRenderer {
 public:
  /// Needs a current GL 4.5 context; loads shaders/points.*.glsl and shaders/edl.*.glsl.
  PointRenderer();
  ~PointRenderer();
  PointRenderer(const PointRenderer&) = delete;
  PointRenderer& operator=(const PointRenderer&) = delete;

  /// Uploads the cloud (replacing the previous one). Throws muta::Error for non-finite points
  /// or colour arrays of the wrong size.
  void SetPoints(const PointCloud& cloud);
  std::size_t NumPoints() const;
  std::size_t GpuBytes() const;  ///< vertex buffer + offscreen targets
  Box3f Bounds() const;

  /// Draws into the framebuffer bound to GL_DRAW_FRAMEBUFFER over a width x height viewport
  /// (the camera's intrinsics are scaled to it). Leaves the draw framebuffer binding as found.
  void Draw(const Camera& camera, const Rigid3d& cam_from_world, const PointRenderOptions& options,
            int framebuffer_width, int framebuffer_height);
  /// Offscreen: an sRGB image of the camera's size (headless stills and tests).
  Image Render(const Camera& camera, const Rigid3d& cam_from_world,
               const PointRenderOptions& options);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace muta::render
