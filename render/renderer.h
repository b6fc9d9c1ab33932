#pragma once
// Offscreen rendering of meshes for any core Camera: RGB (8-bit sRGB) and metric depth.
//
// Frames: world is z-up metres; cameras are COLMAP's (cam_from_world; x right, y down, z
// forward; pixel centres at +0.5). The projection honours the exact intrinsics (fx, fy, cx, cy)
// and, for cameras with distortion (SIMPLE_RADIAL, RADIAL, OPENCV), renders an undistorted view
// with margin and resamples it through Camera::Distort so the image matches Camera::Project.
// Depth is the z of the camera frame in metres (0 where nothing was drawn) – the convention of
// COLMAP's depth maps.
//
// A Renderer needs a current GlContext (gl_context.h) for its whole life.

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include <Eigen/Core>

#include "core/camera.h"
#include "core/depth_map_io.h"
#include "core/image_io.h"
#include "core/mesh.h"
#include "core/pose.h"

namespace muta::render {

/// One drawable: a mesh and how to colour it. Colour comes from the texture (sampled with the
/// mesh's UVs; `repeat_texture` tiles UVs outside [0,1]) when there is one, else from vertex
/// colours, else `base_color`.
struct SceneObject {
  Mesh mesh;
  std::optional<Image> texture;
  bool repeat_texture = true;
  Eigen::Vector3f base_color = {0.7f, 0.7f, 0.7f};  ///< linear RGB in [0,1]
  bool casts_shadow = true;
};

struct Lighting {
  Eigen::Vector3f sun_direction = Eigen::Vector3f(0.4f, 0.3f, 0.85f).normalized();  ///< to the sun
  Eigen::Vector3f sun_color = {1.0f, 0.95f, 0.88f};
  float sun_intensity = 2.2f;
  Eigen::Vector3f sky_color = {0.55f, 0.65f, 0.85f};     ///< hemisphere ambient from above
  Eigen::Vector3f ground_color = {0.35f, 0.32f, 0.28f};  ///< hemisphere ambient from below
  float ambient_intensity = 0.55f;
  bool shadows = true;
  int shadow_map_size = 4096;
  Eigen::Vector3f background = {0.78f, 0.85f, 0.93f};  ///< linear RGB of empty pixels
};

struct RenderOptions {
  double near_m = 0.05;  ///< near plane, metres
  double far_m = 1000;   ///< far plane, metres
  int samples = 4;       ///< MSAA samples for colour (depth is from a single-sample pass)
  Lighting lighting;
  void Check() const;
};

struct RenderResult {
  Image color;     ///< width x height x 3, sRGB
  FloatMap depth;  ///< width x height x 1, metres along the camera z axis, 0 = background
};

class Renderer {
 public:
  /// Needs a current GL 4.5 context; loads shaders from the asset folder (shaders/).
  Renderer();
  ~Renderer();
  Renderer(const Renderer&) = delete;
  Renderer& operator=(const Renderer&) = delete;

  /// Uploads objects; returns their ids. Replaces nothing: call Clear() to start over.
  std::vector<int> Add(std::vector<SceneObject> objects);
  void Clear();
  /// Hides or shows an object (e.g. the ground when rendering depth of the building only).
  void SetVisible(int id, bool visible);

  /// Renders the scene as `camera` at `cam_from_world` sees it (image size = camera size).
  RenderResult Render(const Camera& camera, const Rigid3d& cam_from_world,
                      const RenderOptions& options = {});

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// LookAt lives in core/pose.h; renderer users get it here too.
using muta::LookAt;

}  // namespace muta::render
