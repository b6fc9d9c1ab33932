// muta xr: what the controllers do – snap turn, teleport along the arc, smooth locomotion
// (optional, with the comfort vignette), the two-handed dollhouse grab and the inferred-layer
// toggle.
#include <cmath>

#include "xr/app/viewer_app.h"

namespace muta::xr::detail {

void Viewer::HandleInput(const InputFrame& raw, const TrackedPose& head, double dt_s) {
  InputFrame input = raw;
  if (options_.smooth_locomotion) {
    // The left stick moves; teleport and snap turn stay on the right hand.
    input.hands[0].teleport = 0;
    input.hands[0].turn = 0;
  }
  UpdateLaser(input, head);
  SnapTurn(input, head);
  Teleport(input, head);
  if (options_.smooth_locomotion) SmoothMove(input, head, dt_s);
  Grab(input);
  if (input.toggle_inferred) {
    settings_.render.layers.show_inferred = !settings_.render.layers.show_inferred;
    Log({{"type", "toggle_inferred"},
         {"frame", summary_.frames_rendered},
         {"show_inferred", settings_.render.layers.show_inferred}});
  }
}

void Viewer::SnapTurn(const InputFrame& input, const TrackedPose& head) {
  // A flick of either stick past 0.7, again only after it came back below 0.3.
  const float turn = std::abs(input.hands[0].turn) > std::abs(input.hands[1].turn)
                         ? input.hands[0].turn
                         : input.hands[1].turn;
  if (std::abs(turn) > 0.7f && !turn_latched_) {
    const double angle = (turn > 0 ? -1 : 1) * options_.snap_turn_deg * kDegToRad;
    const Eigen::Vector3d before = rig_.ToWorld(head.position);
    rig_.Turn(head, angle);
    turn_latched_ = true;
    ++summary_.turns;
    Log({{"type", "turn"},
         {"frame", summary_.frames_rendered},
         {"angle_deg", angle / kDegToRad},
         {"head", Vec(before)}});
  } else if (std::abs(turn) < 0.3f) {
    turn_latched_ = false;
  }
}

void Viewer::Teleport(const InputFrame& input, const TrackedPose& head) {
  // Hold to aim the arc (drawn in both eyes), release to go if it ends on walkable floor.
  int aiming = -1;
  for (int hand = 1; hand >= 0; --hand) {
    if (input.hands[hand].teleport > 0.6f && input.hands[hand].aim) aiming = hand;
  }
  if (aiming >= 0) {
    const TrackedPose& aim = *input.hands[aiming].aim;
    const SegmentCast cast = [&](const Eigen::Vector3d& origin, const Eigen::Vector3d& dir,
                                 double length) -> std::optional<SurfaceHit> {
      const auto hit = scene_->Pick(origin, dir, settings_, 0);
      if (!hit || hit->distance > length) return std::nullopt;
      return SurfaceHit{hit->point, hit->normal};
    };
    arc_ = CastTeleportArc(rig_.ToWorld(aim.position),
                           rig_.DirectionToWorld(aim.orientation * -Eigen::Vector3d::UnitZ()),
                           rig_.scale(), cast, teleport_);
    teleport_hand_ = aiming;
  } else if (teleport_hand_ >= 0 && input.hands[teleport_hand_].teleport < 0.3f) {
    const Eigen::Vector3d before = rig_.ToWorld(head.position);
    if (arc_.target) {
      rig_.Teleport(head, *arc_.target);
      ++summary_.teleports;
    }
    Log({{"type", "teleport"},
         {"frame", summary_.frames_rendered},
         {"valid", arc_.target.has_value()},
         {"target", arc_.target ? Vec(*arc_.target) : Json()},
         {"arc_end", Vec(arc_.points.back())},
         {"head_before", Vec(before)},
         {"head_after", Vec(rig_.ToWorld(head.position))}});
    teleport_hand_ = -1;
    arc_ = {};
  }
}

void Viewer::SmoothMove(const InputFrame& input, const TrackedPose& head, double dt_s) {
  const Eigen::Vector2d stick = input.hands[0].move.cast<double>();
  const Eigen::Vector3d offset = SmoothMoveOffset(rig_, head, stick, options_.move_speed_mps, dt_s);
  if (offset.squaredNorm() == 0) return;
  rig_.Move(offset);
  // The vignette follows the speed: full strength at full deflection.
  vignette_ = static_cast<float>(options_.vignette * std::min(1.0, stick.norm()));
}

void Viewer::Grab(const InputFrame& input) {
  // Two hands: move, turn and scale the model (1:1 .. 1:100).
  const HandInput& l = input.hands[0];
  const HandInput& r = input.hands[1];
  if (l.grab > 0.5f && r.grab > 0.5f && l.grip && r.grip) {
    if (!grab_.active()) {
      grab_.Begin(rig_, l.grip->position, r.grip->position);
    } else {
      rig_ = grab_.Update(l.grip->position, r.grip->position);
    }
  } else if (grab_.active()) {
    grab_.End();
    Log({{"type", "grab"}, {"frame", summary_.frames_rendered}, {"rig", RigJson()}});
  }
}

}  // namespace muta::xr::detail
