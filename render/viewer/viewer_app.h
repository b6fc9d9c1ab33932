#pragma once
// Private to render/viewer (never include it from another module: it brings in Dear ImGui):
// the desktop viewer's window class, whose member functions are split by responsibility –
//   viewer.cpp           construction, the frame loop, the camera, viewpoints and storeys;
//   viewer_input.cpp     mouse and keyboard, picking with the active tool, screenshots;
//   viewer_script.cpp    scripted runs (script.h actions);
//   viewer_overlays.cpp  what is drawn over the scene (measurements, pins, crosshair, split);
//   viewer_panels.cpp    the ImGui panels (view, layers, section, measure, annotations) and
//                        the stats overlay.
// The public entry point is viewer.h (RunViewer).

#include <imgui.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <numbers>
#include <optional>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "core/json.h"
#include "render/gl_context.h"
#include "render/viewer/measure.h"
#include "render/viewer/navigation.h"
#include "render/viewer/script.h"
#include "render/viewer/site_meta.h"
#include "render/viewer/view_scene.h"
#include "render/viewer/viewer.h"

struct GLFWwindow;

namespace muta::render::viewer::detail {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr double kDegToRad = std::numbers::pi / 180;

enum class Tool { kProbe, kMeasure, kAnnotate };

// One section plane per axis (X, Y, Z) plus free planes.
struct AxisSection {
  bool enabled = false;
  float offset = 0;   // metres along the axis
  bool flip = false;  // keep the + side instead of the - side
};

// The ImGui context and backends for one window, torn down in reverse order.
class ImGuiSession {
 public:
  explicit ImGuiSession(GLFWwindow* window);
  ~ImGuiSession();
  ImGuiSession(const ImGuiSession&) = delete;
  ImGuiSession& operator=(const ImGuiSession&) = delete;
};

/// Resident memory of this process, bytes (/proc/self/statm).
std::size_t ResidentBytes();
/// "(x, y, z)" with millimetres.
std::string Vec3Text(const Eigen::Vector3d& v);
Json Vec3Json(const Eigen::Vector3d& v);
/// Prints one result line of a scripted run (stdout; logs go to stderr).
void Emit(const Json& j);

class Viewer {
 public:
  Viewer(LoadedModel model, const ViewerOptions& options, const Script* script);
  void Run();

 private:
  // ---- camera
  Camera MakeCamera() const;
  void UpdateClipPlanes();
  // The world ray through window point (x, y) (window coordinates, pixels).
  std::pair<Eigen::Vector3d, Eigen::Vector3d> RayThrough(double x, double y) const;
  std::optional<RayHit> CastForWalk(const Eigen::Vector3d& origin, const Eigen::Vector3d& dir);
  // Window coordinates of a world point, or nullopt behind the camera.
  std::optional<ImVec2> Project(const Camera& camera, const Rigid3d& pose,
                                const Eigen::Vector3d& world) const;
  void GoToViewpoint(const std::string& name);
  void GoToLevel(const std::string& name);
  std::vector<Eigen::Vector4d> SectionPlanes() const;
  void SetStatus(const std::string& text);

  // ---- interactive input and screenshots (viewer_input.cpp)
  NavInput ReadInput(double dt);
  void OnClick(double x, double y);
  static std::string DefaultScreenshotPath();
  void RequestScreenshot(const std::string& path, bool with_ui);
  void WriteScreenshot(const std::string& path, int width, int height);

  // ---- script (viewer_script.cpp)
  // Runs actions until one needs frames to pass; returns this frame's navigation input.
  NavInput RunScriptStep();
  // Returns true when the action needs frames before the next one runs.
  bool RunAction(const ScriptAction& a);

  // ---- drawing: overlays (viewer_overlays.cpp), panels and stats (viewer_panels.cpp)
  void DrawOverlays(const Camera& camera, const Rigid3d& pose);
  bool Header(const char* label, const char* id, bool open_by_default);
  void DrawPanels();
  void ViewPanel();
  void LayersPanel();
  void SectionPanel();
  void MeasurePanel();
  void AnnotationsPanel();
  void DrawStats();

  ViewerOptions options_;
  const Script* script_;
  std::string title_;
  fs::path site_dir_;
  std::vector<Viewpoint> viewpoints_;
  std::vector<Level> levels_;
  std::optional<AnnotationStore> annotations_;

  std::unique_ptr<GlContext> context_;
  GLFWwindow* window_ = nullptr;
  std::optional<ImGuiSession> imgui_;
  std::unique_ptr<ViewScene> scene_;

  Navigator nav_;
  NavOptions nav_options_;
  ViewSettings settings_;
  Eigen::Vector3d box_lo_, box_hi_;
  float fov_deg_ = 50;
  int win_width_ = 1, win_height_ = 1;

  Tool tool_ = Tool::kProbe;
  Measurement measurement_;
  bool snap_ = true;
  std::optional<SceneHit> probe_;
  AxisSection axis_[3];
  std::vector<Eigen::Vector4d> free_planes_;
  std::string selected_annotation_;
  std::string edit_text_;

  bool show_ui_ = true;
  bool ui_before_screenshot_ = true;
  std::string open_panel_;
  std::string status_;
  std::optional<std::string> screenshot_path_;
  int settle_frames_ = 0;
  double frame_ms_ = 0;
  std::int64_t frame_ = 0;
  bool quit_ = false;

  // Script state.
  std::size_t next_action_ = 0;
  int wait_frames_ = 0;
  int walk_frames_ = 0;
  NavInput walk_input_;
};

}  // namespace muta::render::viewer::detail
