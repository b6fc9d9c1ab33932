// Scripted viewer runs: the actions of script.h, one after another, without user input.
#include "render/viewer/viewer_app.h"

#include <cmath>

#include <spdlog/spdlog.h>

#include "core/error.h"

namespace muta::render::viewer::detail {

// Runs actions until one needs frames to pass; returns this frame's navigation input.
NavInput Viewer::RunScriptStep() {
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
bool Viewer::RunAction(const ScriptAction& a) {
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

}  // namespace muta::render::viewer::detail
