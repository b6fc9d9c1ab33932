// muta xr: the laser pointer and the world-locked panel – Dear ImGui drawn into its own
// swapchain and submitted as an XrCompositionLayerQuad in the STAGE space (layers, section
// plane, measure tool, annotation pins), the laser driving its pointer, and what the laser
// does on the model (measure points, pin selection).
#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "xr/app/viewer_app.h"

namespace muta::xr::detail {
namespace {

// Linear RGB of the marks drawn into the scene.
const Eigen::Vector3f kLaserColour(0.2f, 0.75f, 1.0f);
const Eigen::Vector3f kLaserOnPanelColour(0.95f, 0.95f, 0.95f);
const Eigen::Vector3f kMeasureColour(1.0f, 0.85f, 0.0f);
const Eigen::Vector3f kPinColour(0.85f, 0.1f, 0.75f);
const Eigen::Vector3f kSelectedPinColour(1.0f, 0.85f, 0.0f);
constexpr double kLaserLengthM = 5.0;  // tracked metres, when it meets nothing
constexpr double kPinHeightM = 0.35;   // tracked metres (scaled with the model)
constexpr double kPinPickM = 0.25;     // a trigger press this close to a pin selects it
constexpr double kLineWidthM = 0.006;  // tracked metres
constexpr double kMarkAngle = 0.003;   // radians: the least width of measure lines and pins

XrPosef ToXrPose(const Eigen::Vector3d& position, const Eigen::Quaterniond& orientation) {
  XrPosef pose;
  pose.position = {static_cast<float>(position.x()), static_cast<float>(position.y()),
                   static_cast<float>(position.z())};
  const Eigen::Quaterniond q = orientation.normalized();
  pose.orientation = {static_cast<float>(q.x()), static_cast<float>(q.y()),
                      static_cast<float>(q.z()), static_cast<float>(q.w())};
  return pose;
}

}  // namespace

void Viewer::UpdateLaser(InputFrame& input, const TrackedPose& head) {
  if (input.summon_panel) {
    panel_ = PlacePanel(head);
    panel_open_ = true;
    panel_layout_logged_ = false;
    Log({{"type", "panel_summoned"}, {"frame", summary_.frames_rendered}});
  }
  laser_ = {};
  // The right hand points unless only the left is tracked; not while it aims a teleport.
  const int hand = input.hands[1].aim ? 1 : input.hands[0].aim ? 0 : -1;
  for (int h = 0; h < 2; ++h) {
    if (input.hands[h].click < 0.3f) click_latched_[h] = false;
  }
  if (hand < 0 || teleport_hand_ == hand) return;
  HandInput& h = input.hands[hand];
  const bool held = h.click > 0.6f;
  const bool pressed = held && !click_latched_[hand];
  if (held) click_latched_[hand] = true;
  const TrackedPose& aim = *h.aim;
  const Eigen::Vector3d dir = (aim.orientation * -Eigen::Vector3d::UnitZ()).normalized();
  laser_.shown = true;
  laser_.hand = hand;
  laser_.from = rig_.ToWorld(aim.position);
  // The panel is composited over the scene: on it, the laser belongs to the panel.
  if (panel_open_ && panel_) {
    if (const auto hit = HitPanel(*panel_, aim.position, dir)) {
      laser_.to = rig_.ToWorld(hit->point);
      laser_.panel_px = Eigen::Vector2d(hit->uv.x() * kPanelWidthPx, hit->uv.y() * kPanelHeightPx);
      laser_.down = held;
      h.teleport = 0;  // the simple controller's select both clicks and teleports
      return;
    }
  }
  const Eigen::Vector3d dir_world = rig_.DirectionToWorld(dir);
  const auto hit = scene_->Pick(laser_.from, dir_world, settings_, 0);
  laser_.to = hit ? hit->point : laser_.from + dir_world * (kLaserLengthM * rig_.scale());
  if (!hit || !pressed) return;
  if (measuring_) {
    measurement_.Add(hit->point);
    Json points = Json::array();
    for (const Eigen::Vector3d& p : measurement_.points) points.push_back(Vec(p));
    Log({{"type", "measure"},
         {"frame", summary_.frames_rendered},
         {"points", points},
         {"complete", measurement_.Complete()},
         {"distance_m", measurement_.Value()}});
    return;
  }
  // Not measuring: a press near a pin selects it (its text shows on the panel).
  int nearest = -1;
  double best = kPinPickM * rig_.scale();
  for (std::size_t i = 0; i < pins_.size(); ++i) {
    const double d = (pins_[i].position - hit->point).norm();
    if (d < best) {
      best = d;
      nearest = static_cast<int>(i);
    }
  }
  if (nearest >= 0) {
    selected_pin_ = nearest;
    Log({{"type", "pin_selected"}, {"frame", summary_.frames_rendered}, {"id", pins_[nearest].id}});
  }
}

bool Viewer::RenderPanel(double dt_s, XrCompositionLayerQuad& quad) {
  if (!panel_open_ || !panel_ || panel_swapchain_.handle == XR_NULL_HANDLE) return false;
  const double t0 = ThreadCpuMs();
  const GLuint image = Acquire(panel_swapchain_);
  panel_ui_->Render(image, laser_.panel_px, laser_.down, dt_s, [this] { BuildPanel(); });
  MUTA_XR_CHECK(xrReleaseSwapchainImage(panel_swapchain_.handle, nullptr));
  panel_ms_ = ThreadCpuMs() - t0;
  if (!panel_layout_logged_) LogPanelLayout();
  quad = {XR_TYPE_COMPOSITION_LAYER_QUAD};
  quad.layerFlags = XR_COMPOSITION_LAYER_BLEND_TEXTURE_SOURCE_ALPHA_BIT;
  quad.space = base_space_;
  quad.eyeVisibility = XR_EYE_VISIBILITY_BOTH;
  quad.subImage = {panel_swapchain_.handle, {{0, 0}, {kPanelWidthPx, kPanelHeightPx}}, 0};
  quad.pose = ToXrPose(panel_->centre, panel_->orientation);
  quad.size = {static_cast<float>(panel_->width_m), static_cast<float>(panel_->height_m)};
  return true;
}

void Viewer::LogPanelLayout() {
  Json items = Json::object();
  for (const auto& [name, r] : panel_items_) items[name] = {r[0], r[1], r[2], r[3]};
  const Eigen::Quaterniond& q = panel_->orientation;
  Log({{"type", "panel_layout"},
       {"frame", summary_.frames_rendered},
       {"centre", Vec(panel_->centre)},
       {"orientation", {q.x(), q.y(), q.z(), q.w()}},
       {"size_m", {panel_->width_m, panel_->height_m}},
       {"pixels", {kPanelWidthPx, kPanelHeightPx}},
       {"items", items}});
  panel_layout_logged_ = true;
}

void Viewer::BuildPanel() {
  const auto remember = [this](const char* name) {
    const ImVec2 lo = ImGui::GetItemRectMin(), hi = ImGui::GetItemRectMax();
    panel_items_[name] = {lo.x, lo.y, hi.x, hi.y};
  };
  const auto changed = [this](const char* item, const Json& value) {
    Log({{"type", "panel"}, {"frame", summary_.frames_rendered}, {"item", item}, {"value", value}});
  };
  ImGui::Text("Muta - %s", path_.filename().string().c_str());
  ImGui::Separator();
  auto& layers = settings_.render.layers;
  if (scene_->HasProvenance()) {
    if (ImGui::Checkbox("Observed", &layers.show_observed)) {
      changed("observed", layers.show_observed);
    }
    remember("observed");
    ImGui::SameLine();
    if (ImGui::Checkbox("Inferred", &layers.show_inferred)) {
      changed("inferred", layers.show_inferred);
    }
    remember("inferred");
    if (ImGui::Checkbox("Highlight inferred", &layers.highlight_inferred)) {
      changed("highlight", layers.highlight_inferred);
    }
    remember("highlight");
  }
  const Box3f b = scene_->Bounds();
  if (ImGui::Checkbox("Section", &section_on_)) changed("section", section_on_);
  remember("section");
  ImGui::SameLine();
  ImGui::SetNextItemWidth(-1);
  if (ImGui::SliderFloat("##cut", &section_z_, b.min.z(), b.max.z(), "cut at z %.2f m")) {
    changed("section_z", section_z_);
  }
  remember("section_z");
  settings_.render.section_planes.clear();
  if (section_on_) settings_.render.section_planes.emplace_back(0, 0, 1, -section_z_);
  if (ImGui::Checkbox("Measure", &measuring_)) {
    changed("measure", measuring_);
    measurement_ = {};
  }
  remember("measure");
  ImGui::SameLine();
  if (measuring_ || !measurement_.points.empty()) {
    ImGui::TextUnformatted(measurement_.points.empty() ? "point, pull the trigger"
                                                       : measurement_.Describe().c_str());
  }
  ImGui::Separator();
  if (pins_.empty()) {
    ImGui::TextDisabled("No annotations in site.json");
  } else {
    ImGui::Text("Annotations (%zu)", pins_.size());
    for (std::size_t i = 0; i < pins_.size() && i < 6; ++i) {
      const std::string label = pins_[i].id + "  " + pins_[i].text.substr(0, 40);
      if (ImGui::Selectable(label.c_str(), selected_pin_ == static_cast<int>(i))) {
        selected_pin_ = static_cast<int>(i);
        changed("pin", pins_[i].id);
      }
      remember(("pin_" + pins_[i].id).c_str());
    }
    if (selected_pin_ >= 0) ImGui::TextWrapped("%s", pins_[selected_pin_].text.c_str());
  }
  ImGui::SetCursorPosY(ImGui::GetWindowHeight() - ImGui::GetFrameHeightWithSpacing() -
                       ImGui::GetStyle().WindowPadding.y);
  if (ImGui::Button("Hide panel")) {
    panel_open_ = false;
    changed("hide", true);
  }
  remember("hide");
}

void Viewer::DrawSceneMarks(const Camera& camera, const Rigid3d& cam_from_world) {
  const double near = settings_.render.near_m, far = settings_.render.far_m;
  const double width = kLineWidthM * rig_.scale();
  // Marks far away keep a visible size: at least kMarkAngle (radians) wide.
  const Eigen::Vector3d eye = cam_from_world.Inverse().translation;
  const auto seen = [&](const Eigen::Vector3d& at, double size) {
    return std::max(size, kMarkAngle * (at - eye).norm());
  };
  if (laser_.shown) {
    overlays_->DrawPolyline({laser_.from, laser_.to},
                            laser_.panel_px ? kLaserOnPanelColour : kLaserColour, camera,
                            cam_from_world, near, far, width);
  }
  const auto& points = measurement_.points;
  for (const Eigen::Vector3d& p : points) {
    const double w = seen(p, width);
    overlays_->DrawPolyline({p, p + Eigen::Vector3d(0, 0, 8 * w)}, kMeasureColour, camera,
                            cam_from_world, near, far, w);
  }
  if (points.size() >= 2) {
    overlays_->DrawPolyline(points, kMeasureColour, camera, cam_from_world, near, far,
                            seen(0.5 * (points[0] + points[1]), width));
  }
  for (std::size_t i = 0; i < pins_.size(); ++i) {
    const bool selected = selected_pin_ == static_cast<int>(i);
    const Eigen::Vector3d& p = pins_[i].position;
    const double w = seen(p, 2 * width) * (selected ? 1.5 : 1.0);
    const double h = std::max(kPinHeightM * rig_.scale(), 12 * w);
    overlays_->DrawPolyline({p, p + Eigen::Vector3d(0, 0, h)},
                            selected ? kSelectedPinColour : kPinColour, camera, cam_from_world,
                            near, far, w);
  }
}

}  // namespace muta::xr::detail
