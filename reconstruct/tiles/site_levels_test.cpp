// Levels and default viewpoints on procedural meshes: stacked floor slabs with walls, beams
// and a pitched roof (tests/site_levels_test.cpp checks the synthetic pagoda and hall).
#include "reconstruct/tiles/site_levels.h"

#include <cmath>
#include <numbers>

#include <Eigen/Geometry>
#include <catch2/catch.hpp>

#include "core/error.h"

namespace muta::reconstruct {
namespace {

// An axis-aligned box (12 triangles, wound counter-clockwise seen from outside).
void AddBox(Mesh& mesh, const Eigen::Vector3f& lo, const Eigen::Vector3f& hi) {
  const auto base = static_cast<std::uint32_t>(mesh.vertices.size());
  for (int k = 0; k < 8; ++k) {
    mesh.vertices.emplace_back(k & 1 ? hi.x() : lo.x(), k & 2 ? hi.y() : lo.y(),
                               k & 4 ? hi.z() : lo.z());
  }
  const int quads[6][4] = {{0, 2, 3, 1}, {4, 5, 7, 6}, {0, 1, 5, 4},
                           {2, 6, 7, 3}, {0, 4, 6, 2}, {1, 3, 7, 5}};
  for (const auto& q : quads) {
    mesh.faces.push_back(
        {base + std::uint32_t(q[0]), base + std::uint32_t(q[1]), base + std::uint32_t(q[2])});
    mesh.faces.push_back(
        {base + std::uint32_t(q[0]), base + std::uint32_t(q[2]), base + std::uint32_t(q[3])});
  }
}

// A building of `floors` storeys: 0.3 m slabs 10 x 8 m whose tops are at `floor_z[i]`, thin
// walls, a ring of 0.3 m beams 2.4 m above each floor, a narrow ridge and a pitched roof.
Mesh Building(const std::vector<float>& floor_z) {
  Mesh mesh;
  for (std::size_t i = 0; i < floor_z.size(); ++i) {
    const float z = floor_z[i];
    AddBox(mesh, {-5, -4, z - 0.3f}, {5, 4, z});
    const float top = i + 1 < floor_z.size() ? floor_z[i + 1] - 0.3f : z + 3.0f;
    AddBox(mesh, {-4.8f, -3.8f, z}, {-4.6f, 3.8f, top});  // walls
    AddBox(mesh, {4.6f, -3.8f, z}, {4.8f, 3.8f, top});
    AddBox(mesh, {-4.6f, -3.8f, z}, {4.6f, -3.6f, top});
    AddBox(mesh, {-4.6f, 3.6f, z}, {4.6f, 3.8f, top});
    AddBox(mesh, {-4.9f, -3.9f, z + 2.4f}, {4.9f, -3.6f, z + 2.7f});  // beams
    AddBox(mesh, {-4.9f, 3.6f, z + 2.4f}, {4.9f, 3.9f, z + 2.7f});
  }
  // Roof: two pitched planes (30 degrees) and a 0.3 m ridge on top.
  const float z = floor_z.back() + 3.0f;
  const auto base = static_cast<std::uint32_t>(mesh.vertices.size());
  const float rise = 4.0f * std::tan(0.5236f);
  mesh.vertices.insert(mesh.vertices.end(),
                       {Vec3f(-5, -4, z), Vec3f(5, -4, z), Vec3f(5, 0, z + rise),
                        Vec3f(-5, 0, z + rise), Vec3f(-5, 4, z), Vec3f(5, 4, z)});
  mesh.faces.push_back({base, base + 1, base + 2});
  mesh.faces.push_back({base, base + 2, base + 3});
  mesh.faces.push_back({base + 3, base + 2, base + 5});
  mesh.faces.push_back({base + 3, base + 5, base + 4});
  AddBox(mesh, {-5, -0.15f, z + rise}, {5, 0.15f, z + rise + 0.3f});
  return mesh;
}

// Where `p` lands in a view with an image of aspect `aspect` (width / height): x, y in [-1, 1]
// inside the image; z the depth (> 0 in front of the eye).
Eigen::Vector3d Project(const SiteViewpoint& v, const Eigen::Vector3d& p, double aspect) {
  const Eigen::Vector3d f = (v.target - v.eye).normalized();
  const Eigen::Vector3d r = f.cross(v.up).normalized();
  const Eigen::Vector3d u = r.cross(f);
  const Eigen::Vector3d d = p - v.eye;
  const double t = std::tan(0.5 * v.fov_deg * std::numbers::pi / 180);
  const double z = d.dot(f);
  return {d.dot(r) / (z * t * aspect), d.dot(u) / (z * t), z};
}

}  // namespace

TEST_CASE("DetectLevels finds stacked floors and ignores beams, ridge and roof", "[unit]") {
  const std::vector<float> floors = {0.5f, 4.1f, 7.4f};
  const Mesh mesh = Building(floors);
  const std::vector<SiteLevel> levels = DetectLevels(mesh);
  REQUIRE(levels.size() == floors.size());
  for (std::size_t i = 0; i < floors.size(); ++i) {
    CAPTURE(i);
    CHECK(levels[i].name == "Level " + std::to_string(i + 1));
    CHECK(levels[i].elevation_m == Approx(floors[i]).margin(0.01));
    // The slab top (80 m^2); the wall tops stand on it, beams and ridge are not floors.
    CHECK(levels[i].area_m2 == Approx(80).epsilon(0.05));
    CHECK(levels[i].box.min.x() == Approx(-5).margin(1e-4));
    CHECK(levels[i].box.max.y() == Approx(4).margin(1e-4));
  }
  CHECK(levels[0].height_m == Approx(3.6).margin(0.01));
  CHECK(levels[2].height_m == Approx(3.0 + 4.0 * std::tan(0.5236) + 0.3).margin(0.02));
  const Json json = levels[1].ToJson();
  CHECK(json["name"] == "Level 2");
  CHECK(json["elevation_m"].get<double>() == Approx(4.1).margin(0.01));
  CHECK(json["bounding_box"]["max"].size() == 3);
}

TEST_CASE("DetectLevels: close floors merge, and no floor gives no level", "[unit]") {
  // A split level 1 m above the ground floor: closer than min_separation_m, the larger wins.
  Mesh mesh = Building({0.0f, 3.5f});
  AddBox(mesh, {6, -2, 0.7f}, {9, 2, 1.0f});  // a 12 m^2 landing 1 m up
  std::vector<SiteLevel> levels = DetectLevels(mesh);
  REQUIRE(levels.size() == 2);
  CHECK(levels[0].elevation_m == Approx(0.0).margin(0.01));
  SiteLevelOptions options;
  options.min_separation_m = 0.5;
  levels = DetectLevels(mesh, options);
  REQUIRE(levels.size() == 3);
  CHECK(levels[1].elevation_m == Approx(1.0).margin(0.01));

  Mesh wall;  // vertical only
  AddBox(wall, {0, 0, 0}, {0.2f, 0.2f, 0.2f});
  wall.faces.erase(wall.faces.begin() + 2, wall.faces.begin() + 4);  // drop the top
  CHECK(DetectLevels(wall).empty());
  CHECK(DetectLevels(Mesh{}).empty());

  options = {};
  options.bin_m = 0;
  CHECK_THROWS_WITH(DetectLevels(mesh, options), Catch::Contains("bin_m"));
  options = {};
  options.min_fill = 2;
  CHECK_THROWS_WITH(DetectLevels(mesh, options), Catch::Contains("min_fill"));
}

TEST_CASE("DefaultViewpoints frame the building from each side, above and close up", "[unit]") {
  Mesh mesh = Building({0.5f, 4.1f, 7.4f});
  // A dense detail (many small boxes) on the right front corner: the close-up's region.
  for (int i = 0; i < 60; ++i) {
    const float x = 3.2f + 0.02f * float(i % 10), z = 2.0f + 0.02f * float(i / 10);
    AddBox(mesh, {x, -4.2f, z}, {x + 0.01f, -4.0f, z + 0.01f});
  }
  const std::vector<SiteViewpoint> views = DefaultViewpoints(mesh);
  REQUIRE(views.size() == 6);
  const Box3f box = BoundingBox(mesh.vertices);
  const Eigen::Vector3d centre = box.Center().cast<double>();
  const char* names[] = {"front", "right", "back", "left", "above", "close-up"};
  for (std::size_t k = 0; k < views.size(); ++k) {
    const SiteViewpoint& v = views[k];
    CAPTURE(v.name);
    CHECK(v.name == names[k]);
    CHECK(v.fov_deg == 40);
    // The eye is outside the model's bounds and looks towards the building's centre.
    const Vec3f eye = v.eye.cast<float>();
    CHECK(((eye.array() < box.min.array()).any() || (eye.array() > box.max.array()).any()));
    const Eigen::Vector3d c = Project(v, centre, 4.0 / 3.0);
    CHECK(c.z() > 0);
    if (k < 5) {  // the overviews: the centre is in view (4:3 image), and every corner of the
                  // bounding box (square image)
      CHECK(std::abs(c.x()) < 1);
      CHECK(std::abs(c.y()) < 1);
      for (int corner = 0; corner < 8; ++corner) {
        const Eigen::Vector3d p(corner & 1 ? box.max.x() : box.min.x(),
                                corner & 2 ? box.max.y() : box.min.y(),
                                corner & 4 ? box.max.z() : box.min.z());
        const Eigen::Vector3d q = Project(v, p, 1.0);
        CHECK(q.z() > 0);
        CHECK(std::abs(q.x()) < 1);
        CHECK(std::abs(q.y()) < 1);
      }
    }
    const Json json = v.ToJson();
    CHECK(json["eye"].size() == 3);
    CHECK(json["up"].size() == 3);
  }
  CHECK(views[0].eye.y() < box.min.y());
  CHECK(views[1].eye.x() > box.max.x());
  CHECK(views[2].eye.y() > box.max.y());
  CHECK(views[3].eye.x() < box.min.x());
  CHECK(views[4].eye.z() > box.max.z());
  // The close-up looks at the detail, from the front (-y), nearer than the overviews.
  const SiteViewpoint& close = views[5];
  CHECK(close.target.x() == Approx(3.3).margin(0.4));
  CHECK(close.target.y() == Approx(-4.1).margin(0.4));
  CHECK(close.target.z() == Approx(2.05).margin(0.4));
  CHECK(close.eye.y() < close.target.y());
  CHECK((close.eye - close.target).norm() < (views[0].eye - views[0].target).norm());

  SiteViewpointOptions options;
  options.fov_deg = 0;
  CHECK_THROWS_WITH(DefaultViewpoints(mesh, options), Catch::Contains("fov_deg"));
  CHECK_THROWS_WITH(DefaultViewpoints(Mesh{}), Catch::Contains("faces"));
}

}  // namespace muta::reconstruct
