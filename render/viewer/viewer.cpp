#include "render/viewer/viewer.h"

#include <epoxy/gl.h>
// GLFW after epoxy: epoxy provides the GL declarations, GLFW must not include its own.
#define GLFW_INCLUDE_NONE
#include <GLFW/glfw3.h>
#include <backends/imgui_impl_glfw.h>
#include <backends/imgui_impl_opengl3.h>
#include <imgui.h>
#include <imgui_stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>
#include <numbers>
#include <optional>
#include <vector>

#include <spdlog/spdlog.h>
#include <Eigen/Geometry>

#include "core/error.h"
#include "core/image_io.h"
#include "render/gl_context.h"
#include "render/viewer/measure.h"
#include "render/viewer/site_meta.h"

namespace muta::render::viewer {
namespace {

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
  explicit ImGuiSession(GLFWwindow* window) {
    IMGUI_CHECKVERSION();
    ImGui::CreateContext();
    ImGui::GetIO().IniFilename = nullptr;  // no imgui.ini in the user's folder
    ImGui::StyleColorsDark();
    ImGui::GetStyle().WindowRounding = 4;
    ImGui::GetStyle().Colors[ImGuiCol_WindowBg].w = 0.88f;
    MUTA_CHECK(ImGui_ImplGlfw_InitForOpenGL(window, true)) << "Dear ImGui: GLFW backend failed";
    MUTA_CHECK(ImGui_ImplOpenGL3_Init("#version 450")) << "Dear ImGui: OpenGL 3 backend failed";
  }
  ~ImGuiSession() {
    ImGui_ImplOpenGL3_Shutdown();
    ImGui_ImplGlfw_Shutdown();
    ImGui::DestroyContext();
  }
  ImGuiSession(const ImGuiSession&) = delete;
  ImGuiSession& operator=(const ImGuiSession&) = delete;
};

std::size_t ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  std::size_t pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}

std::string Vec3Text(const Eigen::Vector3d& v) {
  char text[96];
  std::snprintf(text, sizeof(text), "(%.3f, %.3f, %.3f)", v.x(), v.y(), v.z());
  return text;
}

Json Vec3Json(const Eigen::Vector3d& v) {
  return Json::array({v.x(), v.y(), v.z()});
}

// Prints one result line of a scripted run (stdout; logs go to stderr).
void Emit(const Json& j) {
  std::cout << j.dump() << std::endl;
}

class Viewer {
 public:
  Viewer(LoadedModel model, const ViewerOptions& options, const Script* script)
      : options_(options), script_(script) {
    title_ = "Muta – " + model.Describe();
    site_dir_ = model.site_dir;
    if (model.site_json) {
      const std::string file = (site_dir_ / "site.json").string();
      viewpoints_ = ParseViewpoints(*model.site_json, file);
      levels_ = ParseLevels(*model.site_json, file);
      annotations_.emplace(site_dir_ / "site.json");
    }
    int width = options.width, height = options.height;
    if (script != nullptr && script->size) {
      width = script->size->x();
      height = script->size->y();
    }
    context_ = CreateWindowContext(width, height, title_);
    window_ = static_cast<GLFWwindow*>(context_->NativeContext());
    spdlog::info("OpenGL: {}", context_->Describe());
    imgui_.emplace(window_);
    scene_ = CreateScene(std::move(model));
    fov_deg_ = static_cast<float>(options.fov_deg);

    const Box3f box = scene_->Bounds();
    MUTA_CHECK(!box.Empty()) << "the model has no extent to look at";
    box_lo_ = box.min.cast<double>();
    box_hi_ = box.max.cast<double>();
    nav_.Frame(box_lo_, box_hi_, fov_deg_ * kDegToRad);
    nav_.SetMode(options.mode);
    if (!options.viewpoint.empty()) GoToViewpoint(options.viewpoint);
    const Eigen::Vector3d centre = 0.5 * (box_lo_ + box_hi_);
    for (int a = 0; a < 3; ++a) axis_[a].offset = static_cast<float>(centre[a]);
    settings_.render.layers.split = -1;
  }

  void Run() {
    auto last = Clock::now();
    while (!context_->ShouldClose() && !quit_) {
      context_->PollEvents();
      const auto now = Clock::now();
      double dt = std::chrono::duration<double>(now - last).count();
      last = now;
      const auto frame_start = Clock::now();

      ImGui_ImplOpenGL3_NewFrame();
      ImGui_ImplGlfw_NewFrame();
      ImGui::NewFrame();

      int fb_width = 0, fb_height = 0, win_width = 0, win_height = 0;
      glfwGetFramebufferSize(window_, &fb_width, &fb_height);
      glfwGetWindowSize(window_, &win_width, &win_height);
      if (fb_width <= 0 || fb_height <= 0) {  // minimised
        ImGui::EndFrame();
        continue;
      }
      win_width_ = win_width;
      win_height_ = win_height;

      NavInput input;
      input.dt = dt;
      if (script_ != nullptr) {
        input = RunScriptStep();
      } else {
        input = ReadInput(dt);
      }
      nav_.Update(input, nav_options_, [this](const Eigen::Vector3d& o, const Eigen::Vector3d& d) {
        return CastForWalk(o, d);
      });

      const Camera camera = MakeCamera();
      const Rigid3d pose = nav_.CamFromWorld();
      UpdateClipPlanes();
      try {
        if (screenshot_path_ && settle_frames_ <= 1) {
          scene_->UpdateComplete(camera, pose);  // every wanted tile in the picture
        } else {
          scene_->Update(camera, pose);
        }
      } catch (const Error& e) {
        SetStatus(std::string("tile error: ") + e.what());
      }
      settings_.render.section_planes = SectionPlanes();
      scene_->Draw(camera, pose, settings_, fb_width, fb_height);

      if (show_ui_ || !script_) {
        DrawOverlays(camera, pose);
      }
      if (show_ui_) {
        DrawPanels();
        DrawStats();
      }
      ImGui::Render();
      glDisable(GL_FRAMEBUFFER_SRGB);
      glViewport(0, 0, fb_width, fb_height);
      ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());

      if (screenshot_path_ && settle_frames_ <= 0) {
        WriteScreenshot(*screenshot_path_, fb_width, fb_height);
        screenshot_path_.reset();
      }
      --settle_frames_;
      frame_ms_ =
          0.9 * frame_ms_ +
          0.1 * std::chrono::duration<double, std::milli>(Clock::now() - frame_start).count();
      context_->SwapBuffers();
      ++frame_;
    }
  }

 private:
  // ---- camera ------------------------------------------------------------------------------

  Camera MakeCamera() const {
    const double f = 0.5 * win_height_ / std::tan(0.5 * fov_deg_ * kDegToRad);
    return Camera::Pinhole(win_width_, win_height_, f, f, 0.5 * win_width_, 0.5 * win_height_);
  }

  void UpdateClipPlanes() {
    const double size = (box_hi_ - box_lo_).norm();
    const Eigen::Vector3d centre = 0.5 * (box_lo_ + box_hi_);
    const double reach = (nav_.Eye() - centre).norm() + size;
    settings_.render.far_m = std::max(10.0, 2 * reach);
    // Near: close enough to walk up to a wall, far enough for depth precision.
    settings_.render.near_m =
        nav_.mode() == NavMode::kOrbit ? std::clamp(1e-3 * reach, 0.01, 1.0) : 0.02;
  }

  // The world ray through window point (x, y) (window coordinates, pixels).
  std::pair<Eigen::Vector3d, Eigen::Vector3d> RayThrough(double x, double y) const {
    const Camera camera = MakeCamera();
    const Rigid3d pose = nav_.CamFromWorld();
    const Eigen::Vector3d dir_cam((x - camera.PrincipalX()) / camera.FocalX(),
                                  (y - camera.PrincipalY()) / camera.FocalY(), 1);
    return {nav_.Eye(), (pose.rotation.conjugate() * dir_cam).normalized()};
  }

  std::optional<RayHit> CastForWalk(const Eigen::Vector3d& origin, const Eigen::Vector3d& dir) {
    const auto hit = scene_->Pick(origin, dir, settings_, 0);
    if (!hit) return std::nullopt;
    RayHit out;
    out.distance = hit->distance;
    out.point = hit->point;
    out.normal = hit->normal;
    return out;
  }

  // Window coordinates of a world point, or nullopt behind the camera.
  std::optional<ImVec2> Project(const Camera& camera, const Rigid3d& pose,
                                const Eigen::Vector3d& world) const {
    const Eigen::Vector3d p = pose * world;
    if (p.z() <= settings_.render.near_m) return std::nullopt;
    return ImVec2(static_cast<float>(camera.FocalX() * p.x() / p.z() + camera.PrincipalX()),
                  static_cast<float>(camera.FocalY() * p.y() / p.z() + camera.PrincipalY()));
  }

  void GoToViewpoint(const std::string& name) {
    for (const Viewpoint& v : viewpoints_) {
      if (v.name != name) continue;
      if (nav_.mode() == NavMode::kWalk) nav_.SetMode(NavMode::kOrbit);
      nav_.LookAt(v.eye, v.target);
      fov_deg_ = static_cast<float>(v.fov_deg);
      return;
    }
    std::string names;
    for (const Viewpoint& v : viewpoints_) names += (names.empty() ? "" : ", ") + v.name;
    MUTA_FAIL << "no viewpoint '" << name << "' in "
              << (site_dir_.empty() ? "this model (only site bundles have viewpoints)"
                                    : (site_dir_ / "site.json").string() +
                                          "; it has: " + (names.empty() ? "none" : names));
  }

  void GoToLevel(const std::string& name) {
    for (const Level& l : levels_) {
      if (l.name == name) {
        nav_.GoToFloor(l.elevation_m, nav_options_, l.centre_xy);
        return;
      }
    }
    MUTA_FAIL << "no level '" << name << "' in "
              << (site_dir_.empty() ? std::string("this model")
                                    : (site_dir_ / "site.json").string());
  }

  // ---- interactive input -------------------------------------------------------------------

  NavInput ReadInput(double dt) {
    NavInput in;
    in.dt = dt;
    const ImGuiIO& io = ImGui::GetIO();
    if (!io.WantCaptureMouse) {
      const bool orbit = nav_.mode() == NavMode::kOrbit;
      if (ImGui::IsMouseDown(ImGuiMouseButton_Left) &&
          (orbit || tool_ == Tool::kProbe || io.KeyShift || true)) {
        in.drag = Eigen::Vector2d(io.MouseDelta.x, io.MouseDelta.y);
      }
      if (ImGui::IsMouseDown(ImGuiMouseButton_Right) ||
          ImGui::IsMouseDown(ImGuiMouseButton_Middle)) {
        in.pan = Eigen::Vector2d(io.MouseDelta.x, io.MouseDelta.y);
      }
      in.scroll = io.MouseWheel;
      // A click (release without a drag) picks.
      if (ImGui::IsMouseReleased(ImGuiMouseButton_Left) &&
          io.MouseDragMaxDistanceSqr[ImGuiMouseButton_Left] < 16) {
        OnClick(io.MousePos.x, io.MousePos.y);
      }
    }
    if (!io.WantCaptureKeyboard) {
      const auto key = [this](int k) { return glfwGetKey(window_, k) == GLFW_PRESS ? 1.0 : 0.0; };
      in.forward = key(GLFW_KEY_W) - key(GLFW_KEY_S) + key(GLFW_KEY_UP) - key(GLFW_KEY_DOWN);
      in.right = key(GLFW_KEY_D) - key(GLFW_KEY_A) + key(GLFW_KEY_RIGHT) - key(GLFW_KEY_LEFT);
      in.up = key(GLFW_KEY_E) - key(GLFW_KEY_Q);
      in.fast = key(GLFW_KEY_LEFT_SHIFT) + key(GLFW_KEY_RIGHT_SHIFT) > 0;
      in.jump = key(GLFW_KEY_SPACE) > 0;
      if (ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Escape))) {
        tool_ = Tool::kProbe;
      }
      if (ImGui::IsKeyPressed(GLFW_KEY_1)) nav_.SetMode(NavMode::kOrbit);
      if (ImGui::IsKeyPressed(GLFW_KEY_2)) nav_.SetMode(NavMode::kFly);
      if (ImGui::IsKeyPressed(GLFW_KEY_3)) nav_.SetMode(NavMode::kWalk);
      if (ImGui::IsKeyPressed(GLFW_KEY_F)) nav_.Frame(box_lo_, box_hi_, fov_deg_ * kDegToRad);
      if (ImGui::IsKeyPressed(GLFW_KEY_H)) show_ui_ = !show_ui_;
      if (ImGui::IsKeyPressed(GLFW_KEY_M)) tool_ = Tool::kMeasure;
      if (ImGui::IsKeyPressed(GLFW_KEY_N)) tool_ = Tool::kAnnotate;
      if (ImGui::IsKeyPressed(GLFW_KEY_F12)) RequestScreenshot(DefaultScreenshotPath(), show_ui_);
    }
    return in;
  }

  void OnClick(double x, double y) {
    const auto [origin, dir] = RayThrough(x, y);
    const auto hit = scene_->Pick(origin, dir, settings_, snap_ ? options_.snap_m : 0);
    if (!hit) {
      SetStatus("nothing under the cursor");
      return;
    }
    probe_ = hit;
    switch (tool_) {
      case Tool::kProbe:
        break;
      case Tool::kMeasure:
        measurement_.Add(hit->point);
        break;
      case Tool::kAnnotate:
        if (annotations_) {
          selected_annotation_ = annotations_->Add(hit->point, "New note", hit->normal);
          edit_text_ = "New note";
          SetStatus("annotation " + selected_annotation_ + " saved to " +
                    annotations_->path().string());
        } else {
          SetStatus("annotations need a site bundle (site.json)");
        }
        break;
    }
  }

  // ---- script ------------------------------------------------------------------------------

  // Runs actions until one needs frames to pass; returns this frame's navigation input.
  NavInput RunScriptStep() {
    NavInput in;
    in.dt = 1.0 / 30;
    if (walk_frames_ > 0) {
      --walk_frames_;
      in.forward = walk_input_.forward;
      in.right = walk_input_.right;
      in.drag = walk_input_.drag;
      return in;
    }
    if (wait_frames_ > 0 || screenshot_path_) {
      --wait_frames_;
      return in;
    }
    while (next_action_ < script_->actions.size() && !quit_) {
      const ScriptAction& action = script_->actions[next_action_++];
      if (RunAction(action)) break;  // wait for frames
    }
    if (next_action_ >= script_->actions.size() && walk_frames_ <= 0 && wait_frames_ <= 0 &&
        !screenshot_path_) {
      quit_ = true;
    }
    return in;
  }

  // Returns true when the action needs frames before the next one runs.
  bool RunAction(const ScriptAction& a) {
    const Script& s = *script_;
    const auto has = [&](const char* key) { return a.args.contains(key); };
    spdlog::debug("script action {}: {}", a.index, a.args.dump());
    if (a.kind == "camera") {
      if (has("mode")) nav_.SetMode(ParseNavMode(ScriptText(s, a, "mode")));
      if (has("eye") || has("target")) {
        const Eigen::Vector3d eye = has("eye") ? ScriptVec3(s, a, "eye") : nav_.Eye();
        const Eigen::Vector3d target = has("target") ? ScriptVec3(s, a, "target") : nav_.Target();
        nav_.LookAt(eye, target);
      }
      return true;
    }
    if (a.kind == "frame") {
      nav_.Frame(box_lo_, box_hi_, fov_deg_ * kDegToRad);
      return true;
    }
    if (a.kind == "viewpoint") {
      GoToViewpoint(ScriptText(s, a, "name"));
      return true;
    }
    if (a.kind == "level") {
      GoToLevel(ScriptText(s, a, "name"));
      return true;
    }
    if (a.kind == "layers") {
      LayerOptions& l = settings_.render.layers;
      if (has("show_observed")) l.show_observed = ScriptBool(s, a, "show_observed");
      if (has("show_inferred")) l.show_inferred = ScriptBool(s, a, "show_inferred");
      if (has("highlight_inferred")) l.highlight_inferred = ScriptBool(s, a, "highlight_inferred");
      if (has("confidence_heatmap")) l.confidence_heatmap = ScriptBool(s, a, "confidence_heatmap");
      if (has("split")) l.split = static_cast<float>(ScriptNumber(s, a, "split"));
      return false;
    }
    if (a.kind == "section") {
      if (has("clear") && ScriptBool(s, a, "clear")) {
        for (AxisSection& x : axis_) x.enabled = false;
        free_planes_.clear();
      }
      if (has("axis")) {
        const std::string axis = ScriptText(s, a, "axis");
        const int i = axis == "x" ? 0 : axis == "y" ? 1 : axis == "z" ? 2 : -1;
        MUTA_CHECK(i >= 0) << s.name << ": action " << a.index << ": \"axis\" must be x, y or z";
        axis_[i].enabled = true;
        if (has("offset")) axis_[i].offset = static_cast<float>(ScriptNumber(s, a, "offset"));
        axis_[i].flip = has("flip") && ScriptBool(s, a, "flip");
      }
      if (has("plane")) {
        const Eigen::Vector4d p = ScriptVec4(s, a, "plane");
        MUTA_CHECK(p.head<3>().norm() > 0)
            << s.name << ": action " << a.index << ": the plane's normal is zero";
        free_planes_.push_back(p);
      }
      MUTA_CHECK(SectionPlanes().size() <= static_cast<std::size_t>(kMaxSectionPlanes))
          << s.name << ": action " << a.index << ": at most " << kMaxSectionPlanes
          << " section planes";
      return false;
    }
    if (a.kind == "measure") {
      measurement_ = Measurement{};
      measurement_.kind = ParseMeasureKind(ScriptText(s, a, "kind"));
      const double snap = has("snap_m") ? ScriptNumber(s, a, "snap_m") : options_.snap_m;
      Json picked = Json::array(), requested = Json::array();
      for (const Eigen::Vector3d& p : ScriptPoints(s, a, "points")) {
        // Pick as a user would: along the ray from the eye through the point.
        const auto hit = scene_->Pick(nav_.Eye(), p - nav_.Eye(), settings_, snap);
        Eigen::Vector3d point = p;
        if (!hit) {
          spdlog::warn("{}: action {}: nothing picked towards {}; using the point as given", s.name,
                       a.index, Vec3Text(p));
        } else {
          point = hit->point;
          if ((point - p).norm() > 0.01) {
            spdlog::warn("{}: action {}: the surface seen towards {} is at {}", s.name, a.index,
                         Vec3Text(p), Vec3Text(point));
          }
        }
        measurement_.Add(point);
        picked.push_back(Vec3Json(point));
        requested.push_back(Vec3Json(p));
      }
      MUTA_CHECK(measurement_.Complete())
          << s.name << ": action " << a.index << ": a " << MeasureKindName(measurement_.kind)
          << " needs " << measurement_.MinPoints() << " points";
      tool_ = Tool::kMeasure;
      Emit({{"action", a.index},
            {"measure", MeasureKindName(measurement_.kind)},
            {"value", measurement_.Value()},
            {"text", measurement_.Describe()},
            {"picked", picked},
            {"requested", requested}});
      return true;
    }
    if (a.kind == "annotate" || a.kind == "edit_annotation" || a.kind == "delete_annotation") {
      MUTA_CHECK(annotations_.has_value())
          << s.name << ": action " << a.index << ": annotations need a site bundle with site.json";
      if (a.kind == "annotate") {
        const Eigen::Vector3d p = ScriptVec3(s, a, "position");
        const std::string id = annotations_->Add(p, ScriptText(s, a, "text"));
        selected_annotation_ = id;
        edit_text_ = ScriptText(s, a, "text");
        Emit({{"action", a.index}, {"annotation", id}, {"position", Vec3Json(p)}});
      } else if (a.kind == "edit_annotation") {
        annotations_->Edit(ScriptText(s, a, "id"), ScriptText(s, a, "text"));
        Emit({{"action", a.index}, {"edited", ScriptText(s, a, "id")}});
      } else {
        annotations_->Remove(ScriptText(s, a, "id"));
        Emit({{"action", a.index}, {"deleted", ScriptText(s, a, "id")}});
      }
      return false;
    }
    if (a.kind == "walk") {
      const double seconds = ScriptNumber(s, a, "seconds");
      MUTA_CHECK(seconds > 0 && seconds <= 600)
          << s.name << ": action " << a.index << ": \"seconds\" must be in (0, 600]";
      if (nav_.mode() == NavMode::kOrbit) nav_.SetMode(NavMode::kWalk);
      walk_frames_ = static_cast<int>(std::ceil(seconds * 30));
      walk_input_ = NavInput{};
      walk_input_.forward = has("forward") ? ScriptNumber(s, a, "forward") : 0;
      walk_input_.right = has("right") ? ScriptNumber(s, a, "right") : 0;
      const double turn = has("turn_deg") ? ScriptNumber(s, a, "turn_deg") * kDegToRad : 0;
      walk_input_.drag.x() = -turn / nav_options_.rotate_rad_per_px / walk_frames_;
      return true;
    }
    if (a.kind == "ui") {
      if (has("show")) show_ui_ = ScriptBool(s, a, "show");
      if (has("panel")) open_panel_ = ScriptText(s, a, "panel");
      return false;
    }
    if (a.kind == "screenshot") {
      RequestScreenshot(ScriptText(s, a, "path"), has("ui") ? ScriptBool(s, a, "ui") : show_ui_);
      return true;
    }
    if (a.kind == "wait") {
      wait_frames_ = static_cast<int>(ScriptNumber(s, a, "frames"));
      return true;
    }
    if (a.kind == "quit") {
      quit_ = true;
      return true;
    }
    MUTA_INTERNAL_CHECK(false) << "unhandled script action " << a.kind;
    return false;
  }

  // ---- screenshots -------------------------------------------------------------------------

  static std::string DefaultScreenshotPath() {
    const std::time_t now = std::time(nullptr);
    std::tm tm{};
    localtime_r(&now, &tm);
    char name[64];
    std::strftime(name, sizeof(name), "muta-%Y%m%d-%H%M%S.png", &tm);
    return name;
  }

  void RequestScreenshot(const std::string& path, bool with_ui) {
    screenshot_path_ = path;
    ui_before_screenshot_ = show_ui_;
    show_ui_ = with_ui;
    // Let the layout (ImGui windows size themselves over two frames) and the tiles settle.
    settle_frames_ = 3;
  }

  void WriteScreenshot(const std::string& path, int width, int height) {
    std::vector<std::uint8_t> rgb(std::size_t(width) * height * 3);
    glPixelStorei(GL_PACK_ALIGNMENT, 1);
    glBindFramebuffer(GL_READ_FRAMEBUFFER, 0);
    glReadBuffer(GL_BACK);
    glReadPixels(0, 0, width, height, GL_RGB, GL_UNSIGNED_BYTE, rgb.data());
    Image image(width, height, 3);
    const std::size_t row = std::size_t(width) * 3;
    for (int y = 0; y < height; ++y) {
      std::copy_n(&rgb[std::size_t(height - 1 - y) * row], row,
                  &image.pixels[std::size_t(y) * row]);
    }
    const fs::path out(path);
    if (out.has_parent_path()) fs::create_directories(out.parent_path());
    WriteImage(out, image);
    show_ui_ = ui_before_screenshot_;
    if (script_ == nullptr) SetStatus("screenshot: " + path);
    spdlog::info("screenshot {} ({}x{})", path, width, height);
    if (script_ != nullptr) Emit({{"screenshot", path}, {"width", width}, {"height", height}});
  }

  // ---- sections ----------------------------------------------------------------------------

  std::vector<Eigen::Vector4d> SectionPlanes() const {
    std::vector<Eigen::Vector4d> planes;
    for (int a = 0; a < 3; ++a) {
      if (!axis_[a].enabled) continue;
      Eigen::Vector3d n = Eigen::Vector3d::Zero();
      n[a] = axis_[a].flip ? -1 : 1;
      planes.emplace_back(n.x(), n.y(), n.z(), -n[a] * axis_[a].offset);
    }
    for (const Eigen::Vector4d& p : free_planes_) planes.push_back(p);
    return planes;
  }

  // ---- drawing: overlays, panels, stats ------------------------------------------------------

  void DrawOverlays(const Camera& camera, const Rigid3d& pose) {
    ImDrawList* draw = ImGui::GetBackgroundDrawList();
    const ImU32 yellow = IM_COL32(255, 214, 10, 255), dark = IM_COL32(20, 20, 20, 220);
    // Measurement: points, segments (closed for an area) and the value at the last point.
    std::vector<std::optional<ImVec2>> screen;
    for (const Eigen::Vector3d& p : measurement_.points) screen.push_back(Project(camera, pose, p));
    const std::size_t n = screen.size();
    for (std::size_t i = 0;
         i + 1 < n || (measurement_.kind == MeasureKind::kArea && n >= 3 && i < n); ++i) {
      const auto& a = screen[i];
      const auto& b = screen[(i + 1) % n];
      if (a && b) {
        draw->AddLine(*a, *b, dark, 4);
        draw->AddLine(*a, *b, yellow, 2);
      }
    }
    for (const auto& s : screen) {
      if (s) draw->AddCircleFilled(*s, 5, yellow);
    }
    if (n > 0 && screen.back() && measurement_.Complete()) {
      const std::string text = measurement_.Describe();
      const ImVec2 at(screen.back()->x + 10, screen.back()->y - 22);
      const ImVec2 size = ImGui::CalcTextSize(text.c_str());
      draw->AddRectFilled(ImVec2(at.x - 4, at.y - 2), ImVec2(at.x + size.x + 4, at.y + size.y + 2),
                          dark, 3);
      draw->AddText(at, yellow, text.c_str());
    }
    // Annotation pins with their text.
    if (annotations_) {
      for (const Annotation& note : annotations_->annotations()) {
        const auto s = Project(camera, pose, note.position);
        if (!s) continue;
        const bool selected = note.id == selected_annotation_;
        const ImU32 colour = selected ? IM_COL32(80, 200, 255, 255) : IM_COL32(235, 70, 60, 255);
        const ImVec2 head(s->x, s->y - 18);
        draw->AddLine(*s, head, dark, 3);
        draw->AddCircleFilled(head, 6, colour);
        const std::string label = note.id + ": " + note.text;
        const ImVec2 size = ImGui::CalcTextSize(label.c_str());
        const ImVec2 at(head.x + 10, head.y - size.y / 2);
        draw->AddRectFilled(ImVec2(at.x - 4, at.y - 2),
                            ImVec2(at.x + size.x + 4, at.y + size.y + 2), dark, 3);
        draw->AddText(at, IM_COL32(255, 255, 255, 255), label.c_str());
      }
    }
    // Crosshair in fly and walk.
    if (nav_.mode() != NavMode::kOrbit) {
      const ImVec2 c(0.5f * win_width_, 0.5f * win_height_);
      draw->AddLine(ImVec2(c.x - 8, c.y), ImVec2(c.x + 8, c.y), IM_COL32(255, 255, 255, 200), 1.5f);
      draw->AddLine(ImVec2(c.x, c.y - 8), ImVec2(c.x, c.y + 8), IM_COL32(255, 255, 255, 200), 1.5f);
    }
    // Split line.
    const float split = settings_.render.layers.split;
    if (split >= 0 && split <= 1) {
      const float x = split * win_width_;
      draw->AddLine(ImVec2(x, 0), ImVec2(x, static_cast<float>(win_height_)),
                    IM_COL32(255, 255, 255, 230), 2);
      draw->AddText(ImVec2(x - 70, 8), IM_COL32(255, 255, 255, 255), "original");
      draw->AddText(ImVec2(x + 8, 8), IM_COL32(255, 255, 255, 255), "restored");
    }
  }

  bool Header(const char* label, const char* id, bool open_by_default) {
    if (!open_panel_.empty()) ImGui::SetNextItemOpen(open_panel_ == id);
    return ImGui::CollapsingHeader(label, open_by_default ? ImGuiTreeNodeFlags_DefaultOpen : 0);
  }

  void DrawPanels() {
    ImGui::SetNextWindowPos(ImVec2(10, 10), ImGuiCond_FirstUseEver);
    ImGui::SetNextWindowSize(ImVec2(330, 0), ImGuiCond_FirstUseEver);
    ImGui::Begin("Muta", nullptr, ImGuiWindowFlags_AlwaysAutoResize);
    ViewPanel();
    if (scene_->HasProvenance()) LayersPanel();
    SectionPanel();
    MeasurePanel();
    AnnotationsPanel();
    if (ImGui::Button("Screenshot (F12)")) RequestScreenshot(DefaultScreenshotPath(), true);
    if (!status_.empty()) ImGui::TextWrapped("%s", status_.c_str());
    ImGui::End();
    open_panel_.clear();
  }

  void ViewPanel() {
    if (!Header("View", "view", true)) return;
    int mode = static_cast<int>(nav_.mode());
    ImGui::RadioButton("Orbit (1)", &mode, 0);
    ImGui::SameLine();
    ImGui::RadioButton("Fly (2)", &mode, 1);
    ImGui::SameLine();
    ImGui::RadioButton("Walk (3)", &mode, 2);
    if (mode != static_cast<int>(nav_.mode())) nav_.SetMode(static_cast<NavMode>(mode));
    if (ImGui::Button("Frame the model (F)")) nav_.Frame(box_lo_, box_hi_, fov_deg_ * kDegToRad);
    ImGui::SliderFloat("Field of view", &fov_deg_, 20, 100, "%.0f deg");
    if (nav_.mode() == NavMode::kWalk) {
      float eye = static_cast<float>(nav_options_.eye_height_m);
      if (ImGui::SliderFloat("Eye height", &eye, 0.5f, 2.5f, "%.2f m")) {
        nav_options_.eye_height_m = eye;
      }
    }
    if (!viewpoints_.empty()) {
      ImGui::TextUnformatted("Viewpoints");
      for (const Viewpoint& v : viewpoints_) {
        if (ImGui::SmallButton(v.name.c_str())) GoToViewpoint(v.name);
        if (!v.description.empty() && ImGui::IsItemHovered())
          ImGui::SetTooltip("%s", v.description.c_str());
        ImGui::SameLine();
      }
      ImGui::NewLine();
    }
    if (!levels_.empty()) {
      ImGui::TextUnformatted("Storeys (walk)");
      for (const Level& l : levels_) {
        if (ImGui::SmallButton(l.name.c_str())) GoToLevel(l.name);
        ImGui::SameLine();
      }
      ImGui::NewLine();
    }
  }

  void LayersPanel() {
    if (!Header("Layers", "layers", true)) return;
    LayerOptions& l = settings_.render.layers;
    ImGui::Checkbox("Observed", &l.show_observed);
    ImGui::SameLine();
    ImGui::Checkbox("Inferred", &l.show_inferred);
    ImGui::Checkbox("Highlight inferred", &l.highlight_inferred);
    ImGui::SameLine();
    ImGui::ColorEdit3("##inferred", l.inferred_color.data(), ImGuiColorEditFlags_NoInputs);
    ImGui::Checkbox("Confidence heat map", &l.confidence_heatmap);
    if (l.confidence_heatmap) ImGui::TextDisabled("red 0 - yellow 0.5 - green 1");
    bool split = l.split >= 0;
    if (ImGui::Checkbox("Compare original | restored", &split)) l.split = split ? 0.5f : -1;
    if (split) ImGui::SliderFloat("Split", &l.split, 0, 1, "%.2f");
  }

  void SectionPanel() {
    if (!Header("Section", "section", false)) return;
    static const char* kAxes[3] = {"X", "Y", "Z"};
    for (int a = 0; a < 3; ++a) {
      ImGui::PushID(a);
      ImGui::Checkbox(kAxes[a], &axis_[a].enabled);
      ImGui::SameLine();
      ImGui::SetNextItemWidth(170);
      ImGui::SliderFloat("##offset", &axis_[a].offset, static_cast<float>(box_lo_[a]),
                         static_cast<float>(box_hi_[a]), "%.3f m");
      ImGui::SameLine();
      ImGui::Checkbox("flip", &axis_[a].flip);
      ImGui::PopID();
    }
    if (ImGui::Button("Free plane from view")) {
      // Through the point looked at, facing the viewer: what lies in front of it is cut.
      const Eigen::Vector3d n = -nav_.Forward();
      const Eigen::Vector3d p = probe_ ? probe_->point : nav_.Target();
      if (SectionPlanes().size() < static_cast<std::size_t>(kMaxSectionPlanes)) {
        free_planes_.emplace_back(n.x(), n.y(), n.z(), -n.dot(p));
      }
    }
    ImGui::SameLine();
    if (ImGui::Button("Clear")) {
      for (AxisSection& x : axis_) x.enabled = false;
      free_planes_.clear();
    }
    if (!free_planes_.empty()) ImGui::Text("%zu free plane(s)", free_planes_.size());
  }

  void MeasurePanel() {
    if (!Header("Measure", "measure", false)) return;
    int tool = static_cast<int>(tool_);
    ImGui::RadioButton("Probe", &tool, 0);
    ImGui::SameLine();
    ImGui::RadioButton("Measure (M)", &tool, 1);
    ImGui::SameLine();
    ImGui::RadioButton("Annotate (N)", &tool, 2);
    tool_ = static_cast<Tool>(tool);
    int kind = static_cast<int>(measurement_.kind);
    const char* kinds[] = {"distance", "height", "polyline", "area"};
    if (ImGui::Combo("Kind", &kind, kinds, 4) && kind != static_cast<int>(measurement_.kind)) {
      measurement_ = Measurement{};
      measurement_.kind = static_cast<MeasureKind>(kind);
    }
    ImGui::Checkbox("Snap to vertices", &snap_);
    ImGui::Text("Result: %s", measurement_.Describe().c_str());
    if (ImGui::Button("Clear points")) measurement_.points.clear();
    if (probe_) {
      ImGui::Text("Picked %s", Vec3Text(probe_->point).c_str());
      if (probe_->provenance) {
        ImGui::Text("%s, confidence %.2f%s",
                    std::string(ProvenanceName(*probe_->provenance)).c_str(), probe_->confidence,
                    probe_->snapped ? " (snapped)" : "");
      }
    }
  }

  void AnnotationsPanel() {
    if (!Header("Annotations", "annotations", false)) return;
    if (!annotations_) {
      ImGui::TextDisabled("Open a site bundle to annotate");
      return;
    }
    ImGui::TextDisabled("Annotate tool (N): click the model to pin a note");
    std::string remove;
    for (const Annotation& note : annotations_->annotations()) {
      ImGui::PushID(note.id.c_str());
      const bool selected = note.id == selected_annotation_;
      if (ImGui::Selectable((note.id + ": " + note.text).c_str(), selected)) {
        selected_annotation_ = note.id;
        edit_text_ = note.text;
      }
      ImGui::PopID();
    }
    if (const Annotation* note = annotations_->Find(selected_annotation_)) {
      ImGui::InputText("Text", &edit_text_);
      if (ImGui::Button("Save text")) annotations_->Edit(note->id, edit_text_);
      ImGui::SameLine();
      if (ImGui::Button("Go to")) {
        nav_.SetMode(NavMode::kOrbit);
        const double d = std::max(2.0, 0.1 * nav_.model_size());
        const Eigen::Vector3d n = note->normal.value_or(-nav_.Forward());
        nav_.LookAt(note->position + d * (n + Eigen::Vector3d(0, 0, 0.3)).normalized(),
                    note->position);
      }
      ImGui::SameLine();
      if (ImGui::Button("Delete")) remove = note->id;
    }
    if (!remove.empty()) {
      annotations_->Remove(remove);
      selected_annotation_.clear();
    }
  }

  void DrawStats() {
    const SceneStats stats = scene_->Stats();
    ImGui::SetNextWindowPos(ImVec2(static_cast<float>(win_width_) - 10, 10), ImGuiCond_Always,
                            ImVec2(1, 0));
    ImGui::SetNextWindowBgAlpha(0.6f);
    ImGui::Begin("Stats", nullptr,
                 ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_AlwaysAutoResize |
                     ImGuiWindowFlags_NoFocusOnAppearing | ImGuiWindowFlags_NoNav |
                     ImGuiWindowFlags_NoMove);
    ImGui::Text("frame %.1f ms (%.0f fps)", frame_ms_, ImGui::GetIO().Framerate);
    if (scene_->IsPointCloud()) {
      ImGui::Text("points %lld", static_cast<long long>(stats.points_drawn));
    } else {
      ImGui::Text("triangles %lld", static_cast<long long>(stats.triangles_drawn));
    }
    if (stats.tiles_resident >= 0) {
      ImGui::Text("tiles %d resident, %d loading", stats.tiles_resident, stats.tiles_loading);
      ImGui::Text("LOD selection %.2f ms", stats.select_ms);
    }
    ImGui::Text("GPU %.1f MB, process %.0f MB", stats.gpu_bytes / 1e6, ResidentBytes() / 1e6);
    ImGui::Text("%s  eye %s", std::string(NavModeName(nav_.mode())).c_str(),
                Vec3Text(nav_.Eye()).c_str());
    ImGui::End();
  }

  void SetStatus(const std::string& text) {
    status_ = text;
    if (script_ != nullptr) spdlog::info("{}", text);
  }

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

}  // namespace

void ViewerOptions::Check() const {
  MUTA_CHECK(width >= 64 && height >= 64 && width <= 16384 && height <= 16384)
      << "window size " << width << "x" << height << " must be 64..16384 pixels per side";
  MUTA_CHECK(fov_deg >= 10 && fov_deg <= 150) << "field of view must be 10..150 degrees";
  MUTA_CHECK(snap_m >= 0) << "snap distance must be >= 0 metres";
}

void RunViewer(LoadedModel model, const ViewerOptions& options, const Script* script) {
  options.Check();
  Viewer viewer(std::move(model), options, script);
  viewer.Run();
}

}  // namespace muta::render::viewer
