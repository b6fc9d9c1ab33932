// Cameras without a window: framing, gravity onto floors, collision with walls, steps.
#include <cmath>

#include <Eigen/Geometry>
#include <catch2/catch.hpp>

#include "render/viewer/navigation.h"
#include "render/viewer/ray_picker.h"
#include "tests/test_util.h"

namespace muta::render::viewer {
namespace {

using Eigen::Vector3d;

// A 20 x 20 m floor at z = 0, a wall at x = 5 (from y = -10 to 10, 3 m high) and a 0.3 m
// high platform for x in [-6, -2].
Mesh Room() {
  Mesh m;
  const auto quad = [&m](Vec3f a, Vec3f b, Vec3f c, Vec3f d) {
    const auto i = static_cast<std::uint32_t>(m.vertices.size());
    m.vertices.insert(m.vertices.end(), {a, b, c, d});
    m.faces.push_back(Face(i, i + 1, i + 2));
    m.faces.push_back(Face(i, i + 2, i + 3));
  };
  quad({-10, -10, 0}, {10, -10, 0}, {10, 10, 0}, {-10, 10, 0});
  quad({5, -10, 0}, {5, 10, 0}, {5, 10, 3}, {5, -10, 3});
  quad({-6, -10, 0.3f}, {-2, -10, 0.3f}, {-2, 10, 0.3f}, {-6, 10, 0.3f});
  return m;
}

RayCast CastOn(const TrianglePicker& picker) {
  return [&picker](const Vector3d& o, const Vector3d& d) { return picker.Cast(o, d); };
}

void Run(Navigator& nav, const NavOptions& options, const RayCast& cast, double seconds,
         NavInput input = {}) {
  input.dt = 1.0 / 60;
  for (int i = 0; i < static_cast<int>(seconds * 60); ++i) nav.Update(input, options, cast);
}

TEST_CASE("orbit framing shows the whole model from a three-quarter view", "[unit]") {
  Navigator nav;
  nav.Frame({-1, -1, 0}, {1, 1, 3}, 50 * M_PI / 180);
  const Vector3d centre(0, 0, 1.5);
  CHECK((nav.Target() - centre).norm() < 1e-9);
  CHECK(nav.Eye().z() > centre.z());  // from above
  CHECK(nav.Eye().y() < 0);           // from the front (-y)
  const double radius = 0.5 * std::sqrt(4 + 4 + 9);
  CHECK((nav.Eye() - centre).norm() > radius / std::sin(25 * M_PI / 180));
  // The pose looks at the centre: it lies on the camera's +z axis.
  const Vector3d c = nav.CamFromWorld() * centre;
  CHECK(std::abs(c.x()) < 1e-9);
  CHECK(std::abs(c.y()) < 1e-9);
  CHECK(c.z() > 0);
  // Dragging orbits around the centre and keeps the distance.
  const double d = (nav.Eye() - centre).norm();
  NavInput drag;
  drag.drag = {120, -40};
  nav.Update(drag, {}, {});
  CHECK((nav.Eye() - centre).norm() == Approx(d));
  CHECK((nav.Target() - centre).norm() < 1e-9);
}

TEST_CASE("walking falls onto the floor, climbs a step and stops at a wall", "[unit]") {
  const Mesh room = Room();
  const TrianglePicker picker(room);
  const RayCast cast = CastOn(picker);
  NavOptions options;
  Navigator nav;
  nav.Frame({-10, -10, 0}, {10, 10, 3}, 1.0);
  nav.LookAt({0, 0, 6}, {1, 0, 6});  // 6 m up, looking along +x
  nav.SetMode(NavMode::kWalk);
  // The mode switch lands on the floor below at once, eye 1.6 m above it.
  nav.Update({}, options, cast);
  CHECK(nav.Eye().z() == Approx(1.6).margin(1e-6));
  CHECK(nav.on_ground());

  // Gravity: after a jump the eye comes back down to the same height.
  NavInput jump;
  jump.jump = true;
  nav.Update(jump, options, cast);
  CHECK(nav.Eye().z() > 1.6);
  Run(nav, options, cast, 2);
  CHECK(nav.Eye().z() == Approx(1.6).margin(1e-6));

  // Walking along +x for 10 s at 1.4 m/s would pass x = 5: the wall stops it at the body
  // radius.
  NavInput forward;
  forward.forward = 1;
  Run(nav, options, cast, 10, forward);
  CHECK(nav.Eye().x() < 5 - options.body_radius_m + 0.05);
  CHECK(nav.Eye().x() > 5 - options.body_radius_m - 0.1);

  // Turn round (yaw + pi) and walk onto the 0.3 m platform: the eye rises with it.
  NavInput turn;
  turn.drag.x() = -M_PI / options.rotate_rad_per_px;
  nav.Update(turn, options, cast);
  Run(nav, options, cast, 6, forward);
  CHECK(nav.Eye().x() < -2.5);
  CHECK(nav.Eye().z() == Approx(1.9).margin(1e-6));

  // A storey jump puts the eye at the level's height.
  nav.GoToFloor(0, options);
  CHECK(nav.Eye().z() == Approx(1.6));
}

TEST_CASE("flying moves along the view direction", "[unit]") {
  Navigator nav;
  nav.Frame({0, 0, 0}, {10, 0, 0}, 1.0);
  nav.LookAt({0, 0, 0}, {0, 0, 5});  // straight up (clamped to 89 degrees)
  nav.SetMode(NavMode::kFly);
  NavOptions options;
  options.fly_speed_mps = 2;
  NavInput in;
  in.forward = 1;
  in.dt = 0.2;  // (steps are capped at 0.25 s)
  nav.Update(in, options, {});
  CHECK(nav.Eye().z() == Approx(0.4).margin(1e-3));
  CHECK(ParseNavMode("walk") == NavMode::kWalk);
  CHECK_THAT(test::ErrorOf([] { ParseNavMode("swim"); }), Catch::Contains("orbit, fly or walk"));
}

}  // namespace
}  // namespace muta::render::viewer
