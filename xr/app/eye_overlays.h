#pragma once
// What muta xr draws into an eye image besides the scene (backend header: GL types): the
// cleared background in AR, the teleport arc with its target marker, and the comfort vignette
// of smooth locomotion. Drawn into the bound framebuffer right after the scene, against the
// scene's reversed depth (render/renderer.cpp: near 1, far 0, zero-to-one clip range).

#include <vector>

#include <Eigen/Core>

#include "core/camera.h"
#include "core/pose.h"
#include "xr/app/rig.h"
#include "xr/app/xr_check.h"

namespace muta::xr {

/// Linear RGB of the teleport arc and marker: ends on walkable floor / does not.
inline const Eigen::Vector3f kArcValidColour(0.10f, 0.85f, 0.30f);
inline const Eigen::Vector3f kArcInvalidColour(0.90f, 0.08f, 0.05f);

class EyeOverlays {
 public:
  /// Needs the current GL 4.5 context (also when destroyed).
  EyeOverlays();
  ~EyeOverlays();
  EyeOverlays(const EyeOverlays&) = delete;
  EyeOverlays& operator=(const EyeOverlays&) = delete;

  /// AR (additive / alpha blend): where nothing was drawn (depth still at the cleared 0 of the
  /// reversed depth buffer) the colour becomes transparent black, so the real world shows.
  void ClearBackground();

  /// The teleport arc as a ribbon `width_m` wide (tracked metres; the world scale `scale`
  /// applies) and, where it met a surface, a ring on it – in the valid colour if the arc has a
  /// target, else the invalid one; hidden where the scene is in front.
  void DrawArc(const TeleportArc& arc, const Camera& camera, const Rigid3d& cam_from_world,
               double near_m, double far_m, double scale, double width_m = 0.02);

  /// A polyline through world `points` as a ribbon `width` world metres wide facing the eye, in
  /// `colour` (linear RGB); hidden where the scene is in front (the laser, the measured
  /// distance, annotation pins).
  void DrawPolyline(const std::vector<Eigen::Vector3d>& points, const Eigen::Vector3f& colour,
                    const Camera& camera, const Rigid3d& cam_from_world, double near_m,
                    double far_m, double width);

  /// Darkens the periphery around the view axis: black at `strength` (0..1) opacity beyond
  /// about the field of view's edge, fading to nothing at half of it.
  void DrawVignette(const Camera& camera, float strength);

 private:
  /// Uploads camera-frame triangle-strip vertices and sets the state, program and uniforms the
  /// ribbons share (depth-tested against the scene, not written, sRGB output).
  void BeginLines(const std::vector<Eigen::Vector3f>& vertices, const Eigen::Vector3f& colour,
                  const Camera& camera, double near_m, double far_m);

  GLuint clear_program_ = 0, line_program_ = 0, vignette_program_ = 0;
  GLuint empty_vao_ = 0, line_vao_ = 0, line_vbo_ = 0;
};

}  // namespace muta::xr
