#include "xr/app/panel.h"

#include <backends/imgui_impl_opengl3.h>
#include <imgui.h>

#include <algorithm>
#include <cfloat>
#include <cmath>

namespace muta::xr {

PanelPlacement PlacePanel(const TrackedPose& head, double distance_m, double drop_m, double width_m,
                          double height_m) {
  Eigen::Vector3d forward = head.orientation * -Eigen::Vector3d::UnitZ();
  forward.y() = 0;
  forward = forward.norm() > 1e-6 ? forward.normalized() : Eigen::Vector3d(0, 0, -1);
  PanelPlacement p;
  p.centre = head.position + distance_m * forward;
  p.centre.y() = head.position.y() - drop_m;
  // Ry(a) turns +z into (sin a, 0, cos a): the panel's front (+z) towards the head.
  p.orientation =
      Eigen::AngleAxisd(std::atan2(-forward.x(), -forward.z()), Eigen::Vector3d::UnitY());
  p.width_m = width_m;
  p.height_m = height_m;
  return p;
}

std::optional<PanelHit> HitPanel(const PanelPlacement& panel, const Eigen::Vector3d& origin,
                                 const Eigen::Vector3d& direction) {
  const Eigen::Vector3d n = panel.orientation * Eigen::Vector3d::UnitZ();
  const double towards = direction.dot(n);
  if (!(towards < -1e-9)) return std::nullopt;  // parallel, or seen from behind
  const double t = (panel.centre - origin).dot(n) / towards;
  if (!(t > 0)) return std::nullopt;
  const Eigen::Vector3d point = origin + t * direction;
  const Eigen::Vector3d local = panel.orientation.conjugate() * (point - panel.centre);
  const double u = local.x() / panel.width_m + 0.5, v = 0.5 - local.y() / panel.height_m;
  if (u < 0 || u > 1 || v < 0 || v > 1) return std::nullopt;
  return PanelHit{{u, v}, point, t};
}

PanelUi::PanelUi(int width, int height) : width_(width), height_(height) {
  ImGuiContext* previous = ImGui::GetCurrentContext();
  context_ = ImGui::CreateContext();
  ImGui::SetCurrentContext(context_);
  ImGuiIO& io = ImGui::GetIO();
  io.IniFilename = nullptr;
  io.LogFilename = nullptr;
  io.MouseDrawCursor = true;  // the laser's cursor, drawn on the panel
  io.DisplaySize = ImVec2(static_cast<float>(width), static_cast<float>(height));
  // Large text: the panel spans ~28 degrees at arm's length, ~1 px per texel in a headset.
  ImFontConfig font;
  font.SizePixels = 26;
  io.Fonts->AddFontDefault(&font);
  ImGui::StyleColorsDark();
  ImGuiStyle& style = ImGui::GetStyle();
  style.ScaleAllSizes(2.0f);
  style.WindowRounding = 0;
  style.Colors[ImGuiCol_WindowBg].w = 1.0f;  // opaque: the layer's alpha is exact
  const bool ok = ImGui_ImplOpenGL3_Init("#version 450");
  ImGui::SetCurrentContext(previous);
  MUTA_INTERNAL_CHECK(ok) << "Dear ImGui: the OpenGL 3 backend failed to start";
  glCreateFramebuffers(1, &fbo_);
}

PanelUi::~PanelUi() {
  if (fbo_ != 0) glDeleteFramebuffers(1, &fbo_);
  if (context_ != nullptr) {
    ImGuiContext* previous = ImGui::GetCurrentContext();
    ImGui::SetCurrentContext(context_);
    ImGui_ImplOpenGL3_Shutdown();
    ImGui::DestroyContext(context_);
    ImGui::SetCurrentContext(previous == context_ ? nullptr : previous);
  }
}

void PanelUi::Render(GLuint texture, const std::optional<Eigen::Vector2d>& mouse_px, bool down,
                     double dt_s, const std::function<void()>& build) {
  ImGui::SetCurrentContext(context_);
  ImGuiIO& io = ImGui::GetIO();
  io.DisplaySize = ImVec2(static_cast<float>(width_), static_cast<float>(height_));
  io.DeltaTime = static_cast<float>(std::clamp(dt_s, 1e-4, 0.25));
  io.MousePos = mouse_px
                    ? ImVec2(static_cast<float>(mouse_px->x()), static_cast<float>(mouse_px->y()))
                    : ImVec2(-FLT_MAX, -FLT_MAX);
  io.MouseDown[0] = mouse_px.has_value() && down;
  ImGui_ImplOpenGL3_NewFrame();
  ImGui::NewFrame();
  ImGui::SetNextWindowPos(ImVec2(0, 0));
  ImGui::SetNextWindowSize(io.DisplaySize);
  ImGui::Begin("Muta", nullptr,
               ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove |
                   ImGuiWindowFlags_NoSavedSettings | ImGuiWindowFlags_NoBringToFrontOnFocus);
  build();
  ImGui::End();
  ImGui::Render();

  glNamedFramebufferTexture(fbo_, GL_COLOR_ATTACHMENT0, texture, 0);
  const GLenum status = glCheckNamedFramebufferStatus(fbo_, GL_DRAW_FRAMEBUFFER);
  MUTA_INTERNAL_CHECK(status == GL_FRAMEBUFFER_COMPLETE)
      << "the panel framebuffer is incomplete (status 0x" << std::hex << status << ")";
  glBindFramebuffer(GL_DRAW_FRAMEBUFFER, fbo_);
  // ImGui's colours are display (sRGB) values: stored as they are, no conversion.
  glDisable(GL_FRAMEBUFFER_SRGB);
  glViewport(0, 0, width_, height_);
  glClearColor(0, 0, 0, 0);
  glClear(GL_COLOR_BUFFER_BIT);
  // The backend draws with GL's lower-left origin and its own clip range: reset ours.
  glClipControl(GL_LOWER_LEFT, GL_NEGATIVE_ONE_TO_ONE);
  ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
  glBindFramebuffer(GL_DRAW_FRAMEBUFFER, 0);
  glNamedFramebufferTexture(fbo_, GL_COLOR_ATTACHMENT0, 0, 0);
}

}  // namespace muta::xr
