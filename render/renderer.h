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

#include <cstddef>
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

/// Provenance layers (DESIGN.md "Provenance"): what is drawn and how inferred triangles look.
/// Per-face provenance and confidence (Mesh::provenance, Mesh::confidence) reach the shaders
/// through a per-primitive buffer (one packed uint per triangle, read with gl_PrimitiveID);
/// objects without them are observed with confidence 1.
struct LayerOptions {
  bool show_observed = true;  ///< draw observed triangles
  bool show_inferred = true;  ///< draw inferred triangles (any inferred class)
  /// Inferred triangles take `inferred_color` (lit like any surface) instead of their own.
  bool highlight_inferred = false;
  Eigen::Vector3f inferred_color = {1.0f, 0.35f, 0.1f};  ///< linear RGB in [0,1]
  /// Colour every triangle by its confidence: 0 red, 0.5 yellow, 1 green (overrides the
  /// highlight; hidden layers stay hidden).
  bool confidence_heatmap = false;
  /// Split-screen comparison: at image x < split * width only observed triangles are drawn
  /// (the original); right of it everything, inferred highlighted (the restoration). In [0,1];
  /// < 0 = off.
  float split = -1;
};

struct RenderOptions {
  double near_m = 0.05;  ///< near plane, metres
  double far_m = 1000;   ///< far plane, metres
  int samples = 4;       ///< MSAA samples for colour (depth is from a single-sample pass)
  Lighting lighting;
  /// Colour = the surface's albedo exactly (vertex colour, texture or base colour), with no
  /// lighting and no highlight shoulder: what `muta eval texture` compares with photographs.
  /// The layers' highlight and heat-map colours still apply. Off in the viewers.
  bool exact_colors = false;
  LayerOptions layers;
  /// Section planes (world, z-up metres) (n, d) with n·x + d = 0: whatever lies on the positive
  /// side (n·x + d > 0) is cut away, in every pass (colour, depth, shadows). Where a plane cuts
  /// through closed surfaces, the cut is filled with a flat cap on the plane in
  /// `section_cap_color`, lit as a face along +n (colour pass only: not in the metric depth,
  /// casting no shadow). Caps are found with the stencil buffer (section_caps.cpp): a
  /// point of the plane is capped when the ray from the eye to it has crossed the surfaces a
  /// net non-zero number of times and a back face lies beyond the plane along the ray (the
  /// ray leaves a solid there), so open sheets (a ground, single-sheet roofs) cap nothing on
  /// their own and an eye inside a closed surface inverts the caps. Draw() needs a stencil
  /// buffer in the target framebuffer for caps (GLFW windows of GlContext have one); without,
  /// it draws none and warns once.
  /// At most kMaxSectionPlanes; n need not be unit length but must not be zero.
  std::vector<Eigen::Vector4d> section_planes;
  Eigen::Vector3f section_cap_color = {0.62f, 0.2f, 0.16f};  ///< linear RGB
  void Check() const;
};

inline constexpr int kMaxSectionPlanes = 8;

struct RenderResult {
  Image color;     ///< width x height x 3, sRGB
  FloatMap depth;  ///< width x height x 1, metres along the camera z axis, 0 = background
};

/// The CPU half of uploading a SceneObject (interleaved vertices, normals, per-face data),
/// made by Renderer::Prepare on any thread; Renderer::Add(PreparedObject) does the GL half.
class PreparedObject {
 public:
  PreparedObject();
  ~PreparedObject();
  PreparedObject(PreparedObject&&) noexcept;
  PreparedObject& operator=(PreparedObject&&) noexcept;
  /// GPU memory the object will take once added (vertex, index and per-face buffers,
  /// texture with mipmaps), bytes.
  std::size_t GpuBytes() const;
  std::size_t NumFaces() const;

  struct Data;  ///< opaque (defined in renderer.cpp)

 private:
  friend class Renderer;
  std::unique_ptr<Data> data_;
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
  /// Checks and prepares `object` for Add without GL: thread-safe, for background loaders.
  /// Throws muta::Error for an invalid mesh or texture.
  static PreparedObject Prepare(SceneObject object);
  /// Uploads a prepared object; returns its id.
  int Add(PreparedObject object);
  /// Removes one object and frees its GPU memory; unknown ids are an error.
  void Remove(int id);
  /// Number of objects (visible or not).
  int NumObjects() const;
  void Clear();
  /// Hides or shows an object (e.g. the ground when rendering depth of the building only).
  void SetVisible(int id, bool visible);

  /// Renders the scene as `camera` at `cam_from_world` sees it (image size = camera size).
  RenderResult Render(const Camera& camera, const Rigid3d& cam_from_world,
                      const RenderOptions& options = {});

  /// Draws the scene into the framebuffer bound to GL_DRAW_FRAMEBUFFER (the window's default
  /// framebuffer for a viewer) over a `framebuffer_width` x `framebuffer_height` viewport,
  /// without read-back and without the metric depth pass. The camera's intrinsics are scaled
  /// to the viewport, so a camera of the window's size in points works on a HiDPI framebuffer.
  /// Pinhole projection only (the distortion of a distorted camera is ignored). Writes linear
  /// colour through GL_FRAMEBUFFER_SRGB: ask for an sRGB-capable framebuffer (GLFW_SRGB_CAPABLE)
  /// to get the same colours as Render(). MSAA is the framebuffer's own. Leaves depth test on,
  /// the GL_LESS depth function and the default clip control restored, and the draw
  /// framebuffer binding as it found it.
  void Draw(const Camera& camera, const Rigid3d& cam_from_world, const RenderOptions& options,
            int framebuffer_width, int framebuffer_height);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// LookAt lives in core/pose.h; renderer users get it here too.
using muta::LookAt;

/// Clip from camera for COLMAP intrinsics (pixel centres at +0.5, image rows top-down), with
/// reversed depth (near -> 1, far -> 0) for a zero-to-one clip range – the projection every
/// pass of the renderer uses, for overlays drawn into its frames.
Eigen::Matrix4d ClipFromCamera(const Camera& camera, double near_m, double far_m);

}  // namespace muta::render
