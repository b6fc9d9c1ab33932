#pragma once
// The OpenXR viewer `muta xr` (docs/xr.md): a site bundle (or a mesh / point cloud) in a
// headset through any OpenXR 1.0 runtime and the Khronos loader – Monado, SteamVR, or the
// simulated headset xr/sim. Stereo rendering through render/ (tile streaming per eye, layers,
// provenance highlight), the whole session lifecycle, teleport (with its arc drawn), snap
// turn, optional smooth locomotion with a comfort vignette, two-handed dollhouse grab, a
// layer toggle on the controllers, and a laser pointer driving a world-locked Dear ImGui panel
// (layers, section plane, measure tool, annotation pins) submitted as a quad layer.
// Light header: no OpenXR or GL types here (they live in xr/app/*.cpp and backend headers).

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <Eigen/Core>

namespace muta::xr {

enum class GraphicsApi {
  kAuto,  ///< Xlib/GLX when the runtime offers XR_KHR_opengl_enable and there is a display,
          ///< else headless EGL (XR_MNDX_egl_enable)
  kXlib,  ///< XR_KHR_opengl_enable with an Xlib/GLX context (Monado, SteamVR; needs DISPLAY)
  kEgl    ///< XR_MNDX_egl_enable with a headless EGL context (Monado, xr/sim; no display)
};
/// "auto", "xlib", "egl"; throws muta::Error otherwise.
GraphicsApi ParseGraphicsApi(const std::string& name);

struct XrViewerOptions {
  GraphicsApi graphics = GraphicsApi::kAuto;
  /// Stop after this many rendered frames (xrRequestExitSession); none = until the runtime or
  /// the user (Ctrl+C) ends the session.
  std::optional<int> frames;
  bool highlight_inferred = false;  ///< inferred triangles in the highlight colour
  bool show_inferred = true;        ///< the inferred layer starts visible
  /// Where the STAGE origin (the user's feet) starts, world z-up metres; none = in front of
  /// the model on its lowest level, facing it.
  std::optional<Eigen::Vector3d> start;
  double start_yaw_deg = 0;  ///< heading at the start (0 = facing +y; positive = left)
  double scale = 1;          ///< start at 1:scale (1 = life size, up to 100 = dollhouse)
  /// AR blend modes without `start`: the model stands on a surface this high above the STAGE
  /// floor (0 = the floor), at `scale` or else a scale that fits it in about 1 m.
  double surface_height_m = 0.75;
  double snap_turn_deg = 30;  ///< one snap turn
  /// The left thumbstick (trackpad) moves you continuously; the right hand keeps teleport and
  /// snap turn. Off by default (teleport is the comfortable way).
  bool smooth_locomotion = false;
  double move_speed_mps = 2.0;  ///< smooth locomotion at full deflection, tracked metres/s
  /// Comfort vignette while moving smoothly: how dark the periphery gets (0 = none, 1 = black).
  double vignette = 0.7;
  /// Every frame waits until each eye's wanted tiles are drawn (stills and tests; a headset
  /// would stutter). Without it only the first frame waits.
  bool complete_tiles = false;
  /// The world-locked panel (layers, section, measure, annotations) is open at the start;
  /// the controllers' panel button brings it back.
  bool panel = true;
  std::filesystem::path log_path;  ///< JSON lines: states, per-frame poses and timings, events
  void Check() const;
};

/// What a run did (also printed as the last line of the log).
struct XrRunSummary {
  std::string runtime;   ///< "Muta simulated headset 0.1.0"
  std::string graphics;  ///< "xlib" or "egl"
  std::string blend_mode;
  int frames_rendered = 0;
  int sessions = 0;                 ///< sessions created (a lost session is re-created)
  std::vector<std::string> states;  ///< every session state reported, in order
  double frame_cpu_ms_median = 0;   ///< app thread CPU time per rendered frame
  double frame_cpu_ms_p99 = 0;
  double eye_cpu_ms_median = 0;  ///< app thread CPU time per eye (tile selection + draw)
  double eye_cpu_ms_p99 = 0;
  int teleports = 0;
  int turns = 0;
};

/// Runs the viewer on `path` (a site folder or its tileset.json, a .ply/.glb mesh, a point
/// cloud) until the session exits. Throws muta::Error (exit code 1) naming the problem and the
/// fix: no OpenXR runtime (how to install Monado or SteamVR, or use the simulator), a runtime
/// without a graphics binding we support, an unreadable site. Every OpenXR call is checked and
/// a failure names the call and its XrResult.
XrRunSummary RunXrViewer(const std::filesystem::path& path, const XrViewerOptions& options);

}  // namespace muta::xr
