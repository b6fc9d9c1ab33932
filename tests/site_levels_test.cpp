// Levels and default viewpoints of synthetic buildings (tools/synth) against their storey
// heights: a pagoda's floors are its platform top and its balcony floors, a hall has one.
#include <cmath>
#include <limits>
#include <numbers>

#include <Eigen/Geometry>
#include <catch2/catch.hpp>

#include "reconstruct/tiles/site_levels.h"
#include "tools/synth/synth.h"

namespace muta::test {
namespace {

using reconstruct::SiteLevel;
using reconstruct::SiteViewpoint;

synth::Building Make(synth::SceneType scene, std::uint64_t seed, std::optional<int> storeys) {
  synth::BuildingOptions options;
  options.scene = scene;
  options.seed = seed;
  options.storeys = storeys;
  return synth::BuildBuilding(options);
}

void CheckLevels(const synth::Building& building) {
  const std::vector<SiteLevel> levels = reconstruct::DetectLevels(building.mesh);
  REQUIRE(levels.size() == building.storeys.size());
  for (std::size_t i = 0; i < levels.size(); ++i) {
    CAPTURE(i, building.storeys[i].base_z, levels[i].elevation_m);
    CHECK(std::abs(levels[i].elevation_m - building.storeys[i].base_z) < 0.05);
    CHECK(levels[i].area_m2 > 10);
    CHECK(levels[i].height_m > 2);
  }
}

}  // namespace

TEST_CASE("a 3-storey synthetic pagoda has three floor levels at its storey heights", "[unit]") {
  for (std::uint64_t seed : {3u, 8u}) {
    CAPTURE(seed);
    CheckLevels(Make(synth::SceneType::kPagoda, seed, 3));
  }
}

TEST_CASE("a 7-storey synthetic pagoda and a hall have their storeys as levels", "[unit]") {
  CheckLevels(Make(synth::SceneType::kPagoda, 5, 7));
  CheckLevels(Make(synth::SceneType::kHall, 2, std::nullopt));
}

TEST_CASE("the default viewpoints of a synthetic pagoda see the building", "[unit]") {
  const synth::Building pagoda = Make(synth::SceneType::kPagoda, 3, 3);
  const std::vector<SiteViewpoint> views = reconstruct::DefaultViewpoints(pagoda.mesh);
  REQUIRE(views.size() == 6);
  const Box3f box = BoundingBox(pagoda.mesh.vertices);
  const Eigen::Vector3d centre = box.Center().cast<double>();
  for (const SiteViewpoint& v : views) {
    CAPTURE(v.name);
    const Eigen::Vector3d f = (v.target - v.eye).normalized();
    const Eigen::Vector3d r = f.cross(v.up).normalized();
    const Eigen::Vector3d u = r.cross(f);
    const double t = std::tan(0.5 * v.fov_deg * std::numbers::pi / 180);
    // Where a point lands in a 4:3 image: |x|, |y| < 1 inside.
    auto project = [&](const Eigen::Vector3d& p) {
      const Eigen::Vector3d d = p - v.eye;
      const double z = d.dot(f);
      return Eigen::Vector3d(d.dot(r) / (z * t * 4.0 / 3.0), d.dot(u) / (z * t), z);
    };
    const Eigen::Vector3d c = project(centre);
    CHECK(c.z() > 0);  // every view looks towards the building
    if (v.name != "close-up") {
      CHECK(std::abs(c.x()) < 1);
      CHECK(std::abs(c.y()) < 1);
    } else {
      // The close-up looks at the building's surface: some vertex lies near its target, and
      // the eye is nearer than the overviews'.
      double nearest = std::numeric_limits<double>::max();
      for (const Vec3f& p : pagoda.mesh.vertices) {
        nearest = std::min(nearest, (p.cast<double>() - v.target).norm());
      }
      CHECK(nearest < 1.0);
      CHECK((v.eye - v.target).norm() < (views[0].eye - views[0].target).norm());
    }
  }
}

}  // namespace muta::test
