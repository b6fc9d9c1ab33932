#pragma once
// Private header of muta xr (xr/app only; backend: OpenXR and GL types): the Viewer behind
// RunXrViewer, split by responsibility over
//   xr_viewer.cpp   options, instance and system, graphics and scene, log and summary
//   xr_session.cpp  the session, its swapchains and spaces, events and the state machine
//   xr_frame.cpp    the frame loop: wait/begin/end, views, per-eye rendering, layers
//   xr_locomotion.cpp  what the controllers do: teleport, snap turn, grab, layer toggle
// What is drawn over the scene (AR background, teleport arc, vignette): eye_overlays.cpp.
// Input actions: input.cpp; locomotion math: rig.cpp; graphics bindings: graphics_*.cpp.

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/json.h"
#include "render/viewer/view_scene.h"
#include "xr/app/eye_overlays.h"
#include "xr/app/graphics.h"
#include "xr/app/input.h"
#include "xr/app/rig.h"
#include "xr/app/xr_check.h"
#include "xr/app/xr_viewer.h"

namespace muta::xr::detail {

constexpr double kNearM = 0.05;           // near plane, tracked metres
constexpr double kLocalEyeHeightM = 1.6;  // without a STAGE space: LOCAL's origin is the eyes
constexpr double kDegToRad = M_PI / 180;
constexpr double kTableHeightM = 0.9;  // VR dollhouse (--scale): a standing-height table
constexpr double kArFootprintM = 1.0;  // AR: the model's footprint at its dollhouse scale

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
  Swapchain MakeSwapchain(std::int64_t format, XrSwapchainUsageFlags usage, int eye);
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
};

}  // namespace muta::xr::detail
