// The play-space rig of muta xr: STAGE (y up) to world (z up), eye cameras from OpenXR fields
// of view, teleport, snap turn, two-handed grab and the teleport arc.
#include "xr/app/rig.h"

#include <catch2/catch.hpp>

#include <cmath>

namespace muta::xr {
namespace {

constexpr double kPi = 3.14159265358979323846;

Eigen::Quaterniond Yaw(double deg) {
  return Eigen::Quaterniond(Eigen::AngleAxisd(deg * kPi / 180, Eigen::Vector3d::UnitY()));
}

TEST_CASE("xr rig: an eye camera honours an asymmetric OpenXR field of view", "[unit]") {
  const FovAngles fov{-std::atan(1.0), std::atan(0.5), std::atan(0.75), -std::atan(0.25)};
  const Camera camera = EyeCamera(fov, 300, 200);
  // The edges of the field of view land on the image's edges.
  CHECK(camera.FocalX() * -1.0 + camera.PrincipalX() == Approx(0).margin(1e-9));
  CHECK(camera.FocalX() * 0.5 + camera.PrincipalX() == Approx(300));
  CHECK(camera.FocalY() * -0.75 + camera.PrincipalY() == Approx(0).margin(1e-9));  // up: top row
  CHECK(camera.FocalY() * 0.25 + camera.PrincipalY() == Approx(200));
  CHECK_THROWS(EyeCamera({0.5, -0.5, 0.5, -0.5}, 300, 200));
}

TEST_CASE("xr rig: STAGE maps to the z-up world and the camera looks where the eye does",
          "[unit]") {
  const Rig rig(Eigen::Vector3d(10, 20, 3), 0);
  TrackedPose eye;
  eye.position = {0, 1.6, 0};
  CHECK((rig.ToWorld(eye.position) - Eigen::Vector3d(10, 20, 4.6)).norm() < 1e-12);
  // Forward (-z in STAGE) is world +y at yaw 0.
  CHECK((rig.DirectionToWorld(-Eigen::Vector3d::UnitZ()) - Eigen::Vector3d::UnitY()).norm() <
        1e-12);
  const Rigid3d cam_from_world = rig.CamFromWorld(eye);
  // 5 m straight ahead: the optical axis; 1 m right of it: +x; 1 m above: -y (y down).
  const Eigen::Vector3d ahead = cam_from_world * Eigen::Vector3d(10, 25, 4.6);
  CHECK((ahead - Eigen::Vector3d(0, 0, 5)).norm() < 1e-9);
  CHECK((cam_from_world * Eigen::Vector3d(11, 25, 4.6) - Eigen::Vector3d(1, 0, 5)).norm() < 1e-9);
  CHECK((cam_from_world * Eigen::Vector3d(10, 25, 5.6) - Eigen::Vector3d(0, -1, 5)).norm() < 1e-9);
  // Turning the head 90 degrees left (+yaw about STAGE y) looks along world -x.
  eye.orientation = Yaw(90);
  CHECK((rig.CamFromWorld(eye) * Eigen::Vector3d(7, 20, 4.6) - Eigen::Vector3d(0, 0, 3)).norm() <
        1e-9);
  // At 1:10 the same head sees from ten times as far.
  const Rig small(Eigen::Vector3d::Zero(), 0, 10);
  CHECK((small.ToWorld(eye.position) - Eigen::Vector3d(0, 0, 16)).norm() < 1e-9);
  CHECK_THROWS(Rig(Eigen::Vector3d::Zero(), 0, 200));
}

TEST_CASE("xr rig: teleport puts the feet on the target, snap turn keeps the head in place",
          "[unit]") {
  Rig rig(Eigen::Vector3d(1, 2, 0), 0.3, 4);
  TrackedPose head;
  head.position = {0.5, 1.7, -0.3};
  head.orientation = Yaw(20);
  rig.Teleport(head, Eigen::Vector3d(10, 5, 2));
  CHECK(rig.scale() == 1);
  CHECK((rig.ToWorld(head.position) - Eigen::Vector3d(10, 5, 3.7)).norm() < 1e-12);

  const Eigen::Vector3d before = rig.ToWorld(head.position);
  const Eigen::Vector3d forward_before =
      rig.DirectionToWorld(head.orientation * -Eigen::Vector3d::UnitZ());
  rig.Turn(head, 30 * kPi / 180);
  CHECK((rig.ToWorld(head.position) - before).norm() < 1e-12);
  const Eigen::Vector3d forward =
      rig.DirectionToWorld(head.orientation * -Eigen::Vector3d::UnitZ());
  // Positive = to the left: counter-clockwise seen from above.
  const double turned =
      std::atan2(forward.y(), forward.x()) - std::atan2(forward_before.y(), forward_before.x());
  CHECK(std::remainder(turned, 2 * kPi) == Approx(30 * kPi / 180));
  CHECK(forward.z() == Approx(forward_before.z()).margin(1e-12));
}

TEST_CASE("xr rig: a two-handed grab moves, turns and scales the model within 1:1..1:100",
          "[unit]") {
  const Rig start(Eigen::Vector3d(3, 4, 0), 0.2, 2);
  const Eigen::Vector3d l0(-0.3, 1.0, -0.4), r0(0.3, 1.0, -0.4);
  TwoHandGrab grab;
  grab.Begin(start, l0, r0);
  CHECK(grab.active());
  // Hands held still: nothing moves.
  Rig same = grab.Update(l0, r0);
  CHECK((same.translation() - start.translation()).norm() < 1e-12);
  CHECK(same.scale() == Approx(2));
  // Hands brought to half the distance and moved: the model shrinks to half (1:4), and the
  // world point that was between the hands is between them again.
  const Eigen::Vector3d l1(-0.05, 1.2, -0.5), r1(0.25, 1.2, -0.5);
  const Rig half = grab.Update(l1, r1);
  CHECK(half.scale() == Approx(4));
  CHECK((half.ToWorld(0.5 * (l1 + r1)) - start.ToWorld(0.5 * (l0 + r0))).norm() < 1e-9);
  CHECK(half.yaw() == Approx(start.yaw()));
  // The hands turned 90 degrees counter-clockwise (seen from above) about their centre: the
  // model turns with them, so the world turns the other way under the STAGE.
  const Eigen::Vector3d c(0, 1.0, -0.4);
  const Rig turned = grab.Update(c + Eigen::Vector3d(0, 0, 0.3), c + Eigen::Vector3d(0, 0, -0.3));
  CHECK(std::remainder(turned.yaw() - start.yaw(), 2 * kPi) == Approx(-kPi / 2));
  CHECK((turned.ToWorld(c) - start.ToWorld(c)).norm() < 1e-9);
  // Clamped at both ends.
  CHECK(grab.Update(Eigen::Vector3d(-0.001, 1, 0), Eigen::Vector3d(0.001, 1, 0)).scale() ==
        Approx(Rig::kMaxScale));
  CHECK(grab.Update(Eigen::Vector3d(-3, 1, 0), Eigen::Vector3d(3, 1, 0)).scale() ==
        Approx(Rig::kMinScale));
}

TEST_CASE("xr rig: smooth locomotion moves along the head's heading on the floor", "[unit]") {
  // Facing world +y (yaw 0), head turned 90 degrees left and pitched down 40 degrees.
  const Rig rig(Eigen::Vector3d(1, 2, 0), 0, 1);
  TrackedPose head;
  head.position = {0, 1.6, 0};
  head.orientation =
      Yaw(90) * Eigen::Quaterniond(Eigen::AngleAxisd(-40 * kPi / 180, Eigen::Vector3d::UnitX()));
  // Stick forward for 0.5 s at 2 m/s: 1 m along the heading (world -x), level.
  const Eigen::Vector3d forward = SmoothMoveOffset(rig, head, {0, 1}, 2.0, 0.5);
  CHECK((forward - Eigen::Vector3d(-1, 0, 0)).norm() < 1e-9);
  // Stick right: to the right of the heading (world +y); beyond full deflection it is clamped.
  const Eigen::Vector3d right = SmoothMoveOffset(rig, head, {3, 0}, 2.0, 0.5);
  CHECK((right - Eigen::Vector3d(0, 1, 0)).norm() < 1e-9);
  // Inside the dead zone, or no time: nothing.
  CHECK(SmoothMoveOffset(rig, head, {0.1, 0.05}, 2.0, 0.5).norm() == 0);
  CHECK(SmoothMoveOffset(rig, head, {0, 1}, 2.0, 0).norm() == 0);
  // At 1:10 the same stick moves ten times as far in the world.
  const Rig small(Eigen::Vector3d::Zero(), 0, 10);
  head.orientation = Eigen::Quaterniond::Identity();
  CHECK((SmoothMoveOffset(small, head, {0, 1}, 2.0, 0.5) - Eigen::Vector3d(0, 10, 0)).norm() <
        1e-9);
  Rig moved = rig;
  moved.Move({0.5, -1, 0});
  CHECK((moved.ToWorld(Eigen::Vector3d::Zero()) - Eigen::Vector3d(1.5, 1, 0)).norm() < 1e-12);
}

TEST_CASE("xr rig: the teleport arc lands on walkable floor only", "[unit]") {
  TeleportOptions options;
  options.ground_z = 0.0;
  // Thrown level from 1 m: lands after sqrt(2 h / g) seconds, speed * t ahead.
  const TeleportArc flat = CastTeleportArc(Eigen::Vector3d(0, 0, 1), Eigen::Vector3d::UnitY(), 1,
                                           SegmentCast(), options);
  REQUIRE(flat.target);
  const double t = std::sqrt(2 / options.gravity_mps2);
  CHECK((*flat.target - Eigen::Vector3d(0, options.speed_mps * t, 0)).norm() < 0.01);
  CHECK(flat.points.size() > 3);

  // A wall at y = 2 (normal -y) is hit first: no target.
  const SegmentCast wall = [](const Eigen::Vector3d& o, const Eigen::Vector3d& d,
                              double length) -> std::optional<SurfaceHit> {
    if (d.y() <= 0) return std::nullopt;
    const double s = (2 - o.y()) / d.y();
    if (s < 0 || s > length) return std::nullopt;
    return SurfaceHit{o + s * d, -Eigen::Vector3d::UnitY()};
  };
  const TeleportArc blocked =
      CastTeleportArc(Eigen::Vector3d(0, 0, 1), Eigen::Vector3d::UnitY(), 1, wall, options);
  CHECK(blocked.hit);
  CHECK(!blocked.target);
  CHECK(blocked.points.back().y() == Approx(2));

  // A 20-degree ramp is walkable, a 45-degree one is not.
  const auto ramp = [](double deg) -> SegmentCast {
    return [deg](const Eigen::Vector3d& o, const Eigen::Vector3d& d,
                 double length) -> std::optional<SurfaceHit> {
      const double a = deg * kPi / 180;
      const Eigen::Vector3d n(0, -std::sin(a), std::cos(a));  // through (0, 0, 0.5)
      const double denom = n.dot(d);
      if (std::abs(denom) < 1e-12) return std::nullopt;
      const double s = (n.dot(Eigen::Vector3d(0, 0, 0.5)) - n.dot(o)) / denom;
      if (s < 0 || s > length) return std::nullopt;
      return SurfaceHit{o + s * d, n};
    };
  };
  CHECK(CastTeleportArc(Eigen::Vector3d(0, 0, 1), Eigen::Vector3d::UnitY(), 1, ramp(20), options)
            .target);
  CHECK(!CastTeleportArc(Eigen::Vector3d(0, 0, 1), Eigen::Vector3d::UnitY(), 1, ramp(45), options)
             .target);
  // Upwards into the sky with no ground: nothing within the longest arc.
  TeleportOptions no_ground;
  const TeleportArc sky = CastTeleportArc(Eigen::Vector3d(0, 0, 1), Eigen::Vector3d::UnitZ(), 1,
                                          SegmentCast(), no_ground);
  CHECK(!sky.hit);
  CHECK(!sky.target);
}

}  // namespace
}  // namespace muta::xr
