#pragma once
// muta xr's world-locked panel (backend header: GL types; Dear ImGui stays in panel.cpp): where
// the panel floats in the tracked space, what a controller's aim ray hits on it, and the Dear
// ImGui context (OpenGL 3 backend, IO fed by hand – no window, no GLFW) that draws it into the
// image of its own swapchain, submitted as an XrCompositionLayerQuad.

#include <functional>
#include <optional>

#include <Eigen/Core>
#include <Eigen/Geometry>

#include "xr/app/rig.h"
#include "xr/app/xr_check.h"

struct ImGuiContext;

namespace muta::xr {

/// The panel in STAGE (tracked metres, y up): its centre, orientation (it faces along its +z,
/// towards the user; x right, y up on its face) and size.
struct PanelPlacement {
  Eigen::Vector3d centre = Eigen::Vector3d::Zero();
  Eigen::Quaterniond orientation = Eigen::Quaterniond::Identity();
  double width_m = 0.6, height_m = 0.45;
};

/// The panel `distance_m` in front of the head along its heading on the floor, `drop_m` below
/// the eyes, upright and facing the head.
PanelPlacement PlacePanel(const TrackedPose& head, double distance_m = 1.2, double drop_m = 0.1,
                          double width_m = 0.6, double height_m = 0.45);

struct PanelHit {
  Eigen::Vector2d uv = Eigen::Vector2d::Zero();     ///< 0..1 across, 0..1 down (image rows)
  Eigen::Vector3d point = Eigen::Vector3d::Zero();  ///< STAGE
  double distance_m = 0;                            ///< along the ray
};

/// Where the ray (STAGE; `direction` unit) meets the panel's front, or nullopt (missed, behind
/// the origin, or from behind the panel).
std::optional<PanelHit> HitPanel(const PanelPlacement& panel, const Eigen::Vector3d& origin,
                                 const Eigen::Vector3d& direction);

/// A Dear ImGui context drawing one window that fills a `width` x `height` pixel texture.
class PanelUi {
 public:
  /// Needs the current GL context (also when destroyed).
  PanelUi(int width, int height);
  ~PanelUi();
  PanelUi(const PanelUi&) = delete;
  PanelUi& operator=(const PanelUi&) = delete;

  /// One ImGui frame: the pointer at `mouse_px` (texture pixels, top-left origin; nullopt =
  /// off the panel) with the button `down`, `build` submitting the window's items between
  /// Begin and End; drawn into `texture` (cleared first).
  void Render(GLuint texture, const std::optional<Eigen::Vector2d>& mouse_px, bool down,
              double dt_s, const std::function<void()>& build);
  int width() const { return width_; }
  int height() const { return height_; }

 private:
  int width_, height_;
  ImGuiContext* context_ = nullptr;
  GLuint fbo_ = 0;
};

}  // namespace muta::xr
