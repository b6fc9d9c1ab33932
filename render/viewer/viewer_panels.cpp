// The viewer's Dear ImGui panels (view, layers, section, measure, annotations) and the stats
// overlay.
#include "render/viewer/viewer_app.h"

#include <imgui.h>
#include <imgui_stdlib.h>

#include <algorithm>

#include <Eigen/Geometry>

namespace muta::render::viewer::detail {

bool Viewer::Header(const char* label, const char* id, bool open_by_default) {
  if (!open_panel_.empty()) ImGui::SetNextItemOpen(open_panel_ == id);
  return ImGui::CollapsingHeader(label, open_by_default ? ImGuiTreeNodeFlags_DefaultOpen : 0);
}

void Viewer::DrawPanels() {
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

void Viewer::ViewPanel() {
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

void Viewer::LayersPanel() {
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

void Viewer::SectionPanel() {
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

void Viewer::MeasurePanel() {
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
      ImGui::Text("%s, confidence %.2f%s", std::string(ProvenanceName(*probe_->provenance)).c_str(),
                  probe_->confidence, probe_->snapped ? " (snapped)" : "");
    }
  }
}

void Viewer::AnnotationsPanel() {
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

void Viewer::DrawStats() {
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

}  // namespace muta::render::viewer::detail
