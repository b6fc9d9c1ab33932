// The viewer's mouse and keyboard input, picking with the active tool, and screenshots.
#include "render/viewer/viewer_app.h"

#include <epoxy/gl.h>
// GLFW after epoxy: epoxy provides the GL declarations, GLFW must not include its own.
#define GLFW_INCLUDE_NONE
#include <GLFW/glfw3.h>
#include <imgui.h>

#include <algorithm>
#include <ctime>

#include <spdlog/spdlog.h>

#include "core/image_io.h"

namespace muta::render::viewer::detail {

NavInput Viewer::ReadInput(double dt) {
  NavInput in;
  in.dt = dt;
  const ImGuiIO& io = ImGui::GetIO();
  if (!io.WantCaptureMouse) {
    const bool orbit = nav_.mode() == NavMode::kOrbit;
    if (ImGui::IsMouseDown(ImGuiMouseButton_Left) &&
        (orbit || tool_ == Tool::kProbe || io.KeyShift || true)) {
      in.drag = Eigen::Vector2d(io.MouseDelta.x, io.MouseDelta.y);
    }
    if (ImGui::IsMouseDown(ImGuiMouseButton_Right) || ImGui::IsMouseDown(ImGuiMouseButton_Middle)) {
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

void Viewer::OnClick(double x, double y) {
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

std::string Viewer::DefaultScreenshotPath() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  localtime_r(&now, &tm);
  char name[64];
  std::strftime(name, sizeof(name), "muta-%Y%m%d-%H%M%S.png", &tm);
  return name;
}

void Viewer::RequestScreenshot(const std::string& path, bool with_ui) {
  screenshot_path_ = path;
  ui_before_screenshot_ = show_ui_;
  show_ui_ = with_ui;
  // Let the layout (ImGui windows size themselves over two frames) and the tiles settle.
  settle_frames_ = 3;
}

void Viewer::WriteScreenshot(const std::string& path, int width, int height) {
  std::vector<std::uint8_t> rgb(std::size_t(width) * height * 3);
  glPixelStorei(GL_PACK_ALIGNMENT, 1);
  glBindFramebuffer(GL_READ_FRAMEBUFFER, 0);
  glReadBuffer(GL_BACK);
  glReadPixels(0, 0, width, height, GL_RGB, GL_UNSIGNED_BYTE, rgb.data());
  Image image(width, height, 3);
  const std::size_t row = std::size_t(width) * 3;
  for (int y = 0; y < height; ++y) {
    std::copy_n(&rgb[std::size_t(height - 1 - y) * row], row, &image.pixels[std::size_t(y) * row]);
  }
  const fs::path out(path);
  if (out.has_parent_path()) fs::create_directories(out.parent_path());
  WriteImage(out, image);
  show_ui_ = ui_before_screenshot_;
  if (script_ == nullptr) SetStatus("screenshot: " + path);
  spdlog::info("screenshot {} ({}x{})", path, width, height);
  if (script_ != nullptr) Emit({{"screenshot", path}, {"width", width}, {"height", height}});
}

}  // namespace muta::render::viewer::detail
