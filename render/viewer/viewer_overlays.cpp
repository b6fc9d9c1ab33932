// What the viewer draws over the scene: measurements, annotation pins, the crosshair and the
// split line.
#include "render/viewer/viewer_app.h"

#include <imgui.h>

#include <optional>
#include <vector>

namespace muta::render::viewer::detail {

void Viewer::DrawOverlays(const Camera& camera, const Rigid3d& pose) {
  ImDrawList* draw = ImGui::GetBackgroundDrawList();
  const ImU32 yellow = IM_COL32(255, 214, 10, 255), dark = IM_COL32(20, 20, 20, 220);
  // Measurement: points, segments (closed for an area) and the value at the last point.
  std::vector<std::optional<ImVec2>> screen;
  for (const Eigen::Vector3d& p : measurement_.points) screen.push_back(Project(camera, pose, p));
  const std::size_t n = screen.size();
  for (std::size_t i = 0; i + 1 < n || (measurement_.kind == MeasureKind::kArea && n >= 3 && i < n);
       ++i) {
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
      draw->AddRectFilled(ImVec2(at.x - 4, at.y - 2), ImVec2(at.x + size.x + 4, at.y + size.y + 2),
                          dark, 3);
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

}  // namespace muta::render::viewer::detail
