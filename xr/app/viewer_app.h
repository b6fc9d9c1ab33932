#pragma once
// Private header of muta xr (xr/app only; backend: OpenXR and GL types): the Viewer behind
// RunXrViewer, split by responsibility over
//   xr_viewer.cpp   options, instance and system, graphics and scene, log and summary
//   xr_session.cpp  the session, its swapchains and spaces, events and the state machine
//   xr_frame.cpp    the frame loop: wait/begin/end, views, per-eye rendering, layers
//   xr_locomotion.cpp  what the controllers do: teleport, snap turn, grab, layer toggle
//   xr_panel.cpp    the laser pointer and the world-locked Dear ImGui panel (a quad layer):
//                   layers, section plane, measure tool, annotation pins
// What is drawn over the scene (AR background, teleport arc, vignette, lines): eye_overlays.cpp.
// Input actions: input.cpp; locomotion math: rig.cpp; graphics bindings: graphics_*.cpp.

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/json.h"
#include "render/viewer/measure.h"
#include "render/viewer/site_meta.h"
#include "render/viewer/view_scene.h"
#include "xr/app/eye_overlays.h"
#include "xr/app/graphics.h"
#include "xr/app/input.h"
#include "xr/app/panel.h"
#include "xr/app/rig.h"
#include "xr/app/xr_check.h"
#include "xr/app/xr_viewer.h"

namespace muta::xr::detail {

constexpr double kNearM = 0.05;           // near plane, tracked metres
constexpr double kLocalEyeHeightM = 1.6;  // without a STAGE space: LOCAL's origin is the eyes
constexpr double kDegToRad = M_PI / 180;
constexpr double kTableHeightM = 0.9;  // VR dollhouse (--scale): a standing-height table
constexpr double kArFootprintM = 1.0;  // AR: the model's footprint at its dollhouse scale
constexpr int kPanelWidthPx = 720, kPanelHeightPx = 540;  // the panel image (0.6 x 0.45 m)

/// CPU time of the calling thread, milliseconds.
double ThreadCpuMs();
/// A JSON array [x, y, z].
Json Vec(const Eigen::Vector3d& v);

struct Swapchain {
  XrSwapchain handle = XR_NULL_HANDLE;
  int width = 0, height = 0;
  std::int64_t format = 0;
  std::vector<GLuint> images;
};

class Viewer {
 public:
  Viewer(const std::filesystem::path& path, const XrViewerOptions& options);
  ~Viewer();
  Viewer(const Viewer&) = delete;
  Viewer& operator=(const Viewer&) = delete;

  XrRunSummary Run();

 private:
  // ---- instance, system, graphics (xr_viewer.cpp) ----------------------------------------
  void CreateInstance();
  void GetSystem();
  void CreateGraphicsAndScene();

  // ---- session (xr_session.cpp) ----------------------------------------------------------
  void CreateSession();
  Swapchain MakeSwapchain(std::int64_t format, XrSwapchainUsageFlags usage, int width, int height);
  void DestroySession();
  /// LOSS_PENDING (or XR_ERROR_SESSION_LOST): the session is gone; a new one is made once the
  /// system is back (OpenXR 1.0 §9.3: destroy, then xrGetSystem until it succeeds).
  void LoseSession();
  void RecreateSession();
  void RequestExit();
  void PollEvents();
  void OnStateChanged(const XrEventDataSessionStateChanged& changed);
  void LogProfiles();

  // ---- frames (xr_frame.cpp) -------------------------------------------------------------
  void Frame();
  double FarM() const { return std::max(100.0, 4 * size_m_); }
  GLuint Acquire(const Swapchain& s);
  void RenderEye(int eye, const TrackedPose& pose, const XrFovf& fov);

  // ---- the laser and the panel (xr_panel.cpp) ------------------------------------------
  /// The laser of the pointing hand: on the panel it drives ImGui's pointer (and that hand
  /// does not teleport); on the model a trigger press picks a measure point or a pin.
  void UpdateLaser(InputFrame& input, const TrackedPose& head);
  /// Renders the panel's image and fills `quad`; false when the panel is closed.
  bool RenderPanel(double dt_s, XrCompositionLayerQuad& quad);
  void BuildPanel();
  /// The laser, the measured distance and the annotation pins, drawn into an eye image.
  void DrawSceneMarks(const Camera& camera, const Rigid3d& cam_from_world);
  void LogPanelLayout();

  // ---- input (xr_locomotion.cpp) ---------------------------------------------------------
  /// `dt_s`: the time since the previous frame's input (predicted display times).
  void HandleInput(const InputFrame& input, const TrackedPose& head, double dt_s);
  void SnapTurn(const InputFrame& input, const TrackedPose& head);
  void Teleport(const InputFrame& input, const TrackedPose& head);
  void SmoothMove(const InputFrame& input, const TrackedPose& head, double dt_s);
  void Grab(const InputFrame& input);

  // ---- log and summary (xr_viewer.cpp) ---------------------------------------------------
  Json RigJson() const;
  void Log(const Json& line);
  void Finish();

  std::filesystem::path path_;
  XrViewerOptions options_;
  render::viewer::LoadedModel model_;
  std::ofstream log_;
  XrRunSummary summary_;

  XrInstance instance_ = XR_NULL_HANDLE;
  XrSystemId system_ = XR_NULL_SYSTEM_ID;
  std::string system_name_;
  bool use_egl_ = false, opengl_ext_ = false, depth_ext_ = false;
  XrGraphicsRequirementsOpenGLKHR gl_requirements_{XR_TYPE_GRAPHICS_REQUIREMENTS_OPENGL_KHR};
  std::vector<XrViewConfigurationView> config_views_;
  XrEnvironmentBlendMode blend_ = XR_ENVIRONMENT_BLEND_MODE_OPAQUE;

  std::unique_ptr<XrGraphics> graphics_;
  std::unique_ptr<render::viewer::ViewScene> scene_;
  render::viewer::ViewSettings settings_;
  std::unique_ptr<XrInput> input_;
  GLuint fbo_ = 0, depth_rb_ = 0;
  std::unique_ptr<EyeOverlays> overlays_;

  XrSession session_ = XR_NULL_HANDLE;
  XrSpace base_space_ = XR_NULL_HANDLE, view_space_ = XR_NULL_HANDLE;
  std::array<Swapchain, 2> colour_{}, depth_{};
  XrSessionState state_ = XR_SESSION_STATE_UNKNOWN;
  bool running_ = false, exit_requested_ = false, done_ = false, first_frame_ = true;

  Rig rig_;
  double ground_z_ = 0, size_m_ = 1;
  TeleportOptions teleport_;
  TeleportArc arc_;
  int teleport_hand_ = -1;
  bool turn_latched_ = false;
  TwoHandGrab grab_;
  XrTime last_input_time_ = 0;  ///< predicted display time of the last input, 0 = none yet
  float vignette_ = 0;          ///< this frame's comfort vignette strength (0 = none)

  std::vector<double> frame_cpu_ms_, eye_cpu_ms_;

  // The panel and the laser (xr_panel.cpp).
  struct Laser {
    bool shown = false;
    int hand = -1;
    Eigen::Vector3d from = Eigen::Vector3d::Zero(), to = Eigen::Vector3d::Zero();  ///< world
    std::optional<Eigen::Vector2d> panel_px;  ///< where it meets the panel (image pixels)
    bool down = false;                        ///< the trigger is held
  };
  std::unique_ptr<PanelUi> panel_ui_;
  Swapchain panel_swapchain_;
  std::optional<PanelPlacement> panel_;
  bool panel_open_ = true, panel_layout_logged_ = false;
  Laser laser_;
  std::array<bool, 2> click_latched_{false, false};
  bool measuring_ = false;
  render::viewer::Measurement measurement_;
  bool section_on_ = false;
  float section_z_ = 0;
  std::vector<render::viewer::Annotation> pins_;
  int selected_pin_ = -1;
  std::map<std::string, std::array<float, 4>> panel_items_;  ///< item rects, panel pixels
  double panel_ms_ = 0;
};

}  // namespace muta::xr::detail
