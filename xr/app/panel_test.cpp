// The panel's placement in front of the head and the laser's hit on it (no OpenXR, no GL).
#include <catch2/catch.hpp>

#include <cmath>

#include "xr/app/panel.h"

namespace muta::xr {
namespace {

TEST_CASE("xr panel: placed ahead of the head, facing it, the laser hits it in image coordinates",
          "[unit]") {
  TrackedPose head;
  head.position = {0.5, 1.7, 0.2};
  // Looking 90 degrees to the left (towards -x) and pitched down: the panel stays upright at
  // 1.2 m along the heading on the floor, 0.1 m below the eyes.
  head.orientation = Eigen::AngleAxisd(M_PI / 2, Eigen::Vector3d::UnitY()) *
                     Eigen::AngleAxisd(-0.4, Eigen::Vector3d::UnitX());
  const PanelPlacement p = PlacePanel(head);
  CHECK((p.centre - Eigen::Vector3d(-0.7, 1.6, 0.2)).norm() < 1e-9);
  const Eigen::Vector3d front = p.orientation * Eigen::Vector3d::UnitZ();
  CHECK((front - Eigen::Vector3d(1, 0, 0)).norm() < 1e-9);  // towards the head
  CHECK((p.orientation * Eigen::Vector3d::UnitY() - Eigen::Vector3d::UnitY()).norm() < 1e-9);

  // From the head straight at the centre: uv (0.5, 0.5), 1.2 m (and a bit) away.
  const Eigen::Vector3d to_centre = (p.centre - head.position).normalized();
  auto hit = HitPanel(p, head.position, to_centre);
  REQUIRE(hit);
  CHECK((hit->uv - Eigen::Vector2d(0.5, 0.5)).norm() < 1e-9);
  CHECK(hit->distance_m == Approx((p.centre - head.position).norm()));
  // At the panel's top-left corner region: the panel's right (+x on its face) is world -z
  // here, so a point 0.2 m towards +z and 0.15 m up is left of the centre and above it.
  const Eigen::Vector3d target = p.centre + Eigen::Vector3d(0, 0.15, 0.2);
  hit = HitPanel(p, head.position, (target - head.position).normalized());
  REQUIRE(hit);
  CHECK(hit->uv.x() == Approx(0.5 - 0.2 / 0.6));
  CHECK(hit->uv.y() == Approx(0.5 - 0.15 / 0.45));
  CHECK((hit->point - target).norm() < 1e-9);
  // Beside the panel, away from it, and from behind it: no hit.
  CHECK(!HitPanel(p, head.position,
                  (p.centre + Eigen::Vector3d(0, 0, 0.31) - head.position).normalized()));
  CHECK(!HitPanel(p, head.position, -to_centre));
  CHECK(!HitPanel(p, p.centre - 0.5 * front, front));
}

}  // namespace
}  // namespace muta::xr
