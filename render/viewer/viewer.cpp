#include "render/viewer/viewer.h"

#include <epoxy/gl.h>
// GLFW after epoxy: epoxy provides the GL declarations, GLFW must not include its own.
#define GLFW_INCLUDE_NONE
#include <GLFW/glfw3.h>
#include <backends/imgui_impl_glfw.h>
#include <backends/imgui_impl_opengl3.h>
#include <imgui.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>

#include <spdlog/spdlog.h>
#include <Eigen/Geometry>

#include "core/error.h"
#include "render/viewer/viewer_app.h"

namespace muta::render::viewer {
namespace detail {

ImGuiSession::ImGuiSession(GLFWwindow* window) {
  IMGUI_CHECKVERSION();
  ImGui::CreateContext();
  ImGui::GetIO().IniFilename = nullptr;  // no imgui.ini in the user's folder
  ImGui::StyleColorsDark();
  ImGui::GetStyle().WindowRounding = 4;
  ImGui::GetStyle().Colors[ImGuiCol_WindowBg].w = 0.88f;
  MUTA_CHECK(ImGui_ImplGlfw_InitForOpenGL(window, true)) << "Dear ImGui: GLFW backend failed";
  MUTA_CHECK(ImGui_ImplOpenGL3_Init("#version 450")) << "Dear ImGui: OpenGL 3 backend failed";
}

ImGuiSession::~ImGuiSession() {
  ImGui_ImplOpenGL3_Shutdown();
  ImGui_ImplGlfw_Shutdown();
  ImGui::DestroyContext();
}

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

void Emit(const Json& j) {
  std::cout << j.dump() << std::endl;
}

Viewer::Viewer(LoadedModel model, const ViewerOptions& options, const Script* script)
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

void Viewer::Run() {
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
    frame_ms_ = 0.9 * frame_ms_ +
                0.1 * std::chrono::duration<double, std::milli>(Clock::now() - frame_start).count();
    context_->SwapBuffers();
    ++frame_;
  }
}

Camera Viewer::MakeCamera() const {
  const double f = 0.5 * win_height_ / std::tan(0.5 * fov_deg_ * kDegToRad);
  return Camera::Pinhole(win_width_, win_height_, f, f, 0.5 * win_width_, 0.5 * win_height_);
}

void Viewer::UpdateClipPlanes() {
  const double size = (box_hi_ - box_lo_).norm();
  const Eigen::Vector3d centre = 0.5 * (box_lo_ + box_hi_);
  const double reach = (nav_.Eye() - centre).norm() + size;
  settings_.render.far_m = std::max(10.0, 2 * reach);
  // Near: close enough to walk up to a wall, far enough for depth precision.
  settings_.render.near_m =
      nav_.mode() == NavMode::kOrbit ? std::clamp(1e-3 * reach, 0.01, 1.0) : 0.02;
}

// The world ray through window point (x, y) (window coordinates, pixels).
std::pair<Eigen::Vector3d, Eigen::Vector3d> Viewer::RayThrough(double x, double y) const {
  const Camera camera = MakeCamera();
  const Rigid3d pose = nav_.CamFromWorld();
  const Eigen::Vector3d dir_cam((x - camera.PrincipalX()) / camera.FocalX(),
                                (y - camera.PrincipalY()) / camera.FocalY(), 1);
  return {nav_.Eye(), (pose.rotation.conjugate() * dir_cam).normalized()};
}

std::optional<RayHit> Viewer::CastForWalk(const Eigen::Vector3d& origin,
                                          const Eigen::Vector3d& dir) {
  const auto hit = scene_->Pick(origin, dir, settings_, 0);
  if (!hit) return std::nullopt;
  RayHit out;
  out.distance = hit->distance;
  out.point = hit->point;
  out.normal = hit->normal;
  return out;
}

// Window coordinates of a world point, or nullopt behind the camera.
std::optional<ImVec2> Viewer::Project(const Camera& camera, const Rigid3d& pose,
                                      const Eigen::Vector3d& world) const {
  const Eigen::Vector3d p = pose * world;
  if (p.z() <= settings_.render.near_m) return std::nullopt;
  return ImVec2(static_cast<float>(camera.FocalX() * p.x() / p.z() + camera.PrincipalX()),
                static_cast<float>(camera.FocalY() * p.y() / p.z() + camera.PrincipalY()));
}

void Viewer::GoToViewpoint(const std::string& name) {
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

void Viewer::GoToLevel(const std::string& name) {
  for (const Level& l : levels_) {
    if (l.name == name) {
      nav_.GoToFloor(l.elevation_m, nav_options_, l.centre_xy);
      return;
    }
  }
  MUTA_FAIL << "no level '" << name << "' in "
            << (site_dir_.empty() ? std::string("this model") : (site_dir_ / "site.json").string());
}

std::vector<Eigen::Vector4d> Viewer::SectionPlanes() const {
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

void Viewer::SetStatus(const std::string& text) {
  status_ = text;
  if (script_ != nullptr) spdlog::info("{}", text);
}

}  // namespace detail

void ViewerOptions::Check() const {
  MUTA_CHECK(width >= 64 && height >= 64 && width <= 16384 && height <= 16384)
      << "window size " << width << "x" << height << " must be 64..16384 pixels per side";
  MUTA_CHECK(fov_deg >= 10 && fov_deg <= 150) << "field of view must be 10..150 degrees";
  MUTA_CHECK(snap_m >= 0) << "snap distance must be >= 0 metres";
}

void RunViewer(LoadedModel model, const ViewerOptions& options, const Script* script) {
  options.Check();
  detail::Viewer viewer(std::move(model), options, script);
  viewer.Run();
}

}  // namespace muta::render::viewer
