// Weakly supported regions: a welded 40 x 40 m grid whose fused cloud is dense and well seen on
// most of it, seen by one image in a 10 m square, and absent from another.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "core/ply_io.h"
#include "reconstruct/restore/support.h"

namespace {

using namespace muta;
using namespace muta::restore;

// n x n cells of 1 m, two triangles each, shared vertices.
Mesh Grid(int n) {
  Mesh m;
  for (int y = 0; y <= n; ++y) {
    for (int x = 0; x <= n; ++x) m.vertices.emplace_back(float(x), float(y), 0.0f);
  }
  auto v = [n](int x, int y) { return std::uint32_t(y * (n + 1) + x); };
  for (int y = 0; y < n; ++y) {
    for (int x = 0; x < n; ++x) {
      m.faces.emplace_back(v(x, y), v(x + 1, y), v(x + 1, y + 1));
      m.faces.emplace_back(v(x, y), v(x + 1, y + 1), v(x, y + 1));
    }
  }
  return m;
}

}  // namespace

TEST_CASE("weak support: few views and no fused points make reported regions", "[unit]") {
  const Mesh grid = Grid(40);
  FusedSupport fused;
  for (int y = 0; y < 80; ++y) {
    for (int x = 0; x < 80; ++x) {
      const float px = 0.25f + 0.5f * x, py = 0.25f + 0.5f * y;
      if (px > 25 && px < 35 && py < 10) continue;  // south-east square: nothing fused
      fused.points.emplace_back(px, py, 0.0f);
      const bool one_view = px > 25 && px < 35 && py > 25 && py < 35;  // north-east square
      fused.views.push_back(one_view ? 1u : 5u);
    }
  }
  const WeakSupport weak = FindWeakRegions(grid, fused, WeakSupportOptions{});
  REQUIRE(weak.known);
  REQUIRE(weak.regions.size() == 2);
  // Both 10 x 10 m squares, within a cell of their true extent.
  for (const WeakRegion& r : weak.regions) {
    CHECK(r.area == Approx(100).margin(25));
    CHECK(r.box.min.x() == Approx(25).margin(1.01));
    CHECK(r.box.max.x() == Approx(35).margin(1.01));
  }
  const WeakRegion& unsupported =
      weak.regions[0].box.min.y() < 10 ? weak.regions[0] : weak.regions[1];
  const WeakRegion& one_view = &unsupported == &weak.regions[0] ? weak.regions[1] : weak.regions[0];
  CHECK(unsupported.unsupported_fraction > 0.6);
  CHECK(one_view.unsupported_fraction == 0);
  CHECK(one_view.mean_views == Approx(1).margin(0.5));
  CHECK(weak.weak_fraction == Approx(200.0 / 1600.0).margin(0.04));
  const Json j = ToJson(weak);
  CHECK(j["regions"].size() == 2);
  CHECK(j["min_views"] == 3);

  // A well-seen, dense cloud everywhere: nothing weak.
  FusedSupport all;
  for (int y = 0; y < 80; ++y) {
    for (int x = 0; x < 80; ++x) {
      all.points.emplace_back(0.25f + 0.5f * x, 0.25f + 0.5f * y, 0.0f);
      all.views.push_back(4);
    }
  }
  CHECK(FindWeakRegions(grid, all, WeakSupportOptions{}).regions.empty());
}

TEST_CASE("weak support: a visibility file that disagrees with fused.ply is named", "[unit]") {
  const auto dir = std::filesystem::temp_directory_path() / "muta-support-test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  CHECK(!ReadFusedSupport(dir));  // no cloud: support unknown, not an error
  PointCloud cloud;
  cloud.points = {Vec3f(0, 0, 0), Vec3f(1, 0, 0), Vec3f(0, 1, 0)};
  WritePly(dir / "fused.ply", cloud);
  WriteFusedVisibility(dir / "fused.ply.vis", {{0, 1}, {1, 2}});
  try {
    ReadFusedSupport(dir);
    FAIL("no error");
  } catch (const Error& e) {
    CHECK_THAT(e.what(), Catch::Contains("fused.ply.vis") && Catch::Contains("--from fusion"));
  }
  WriteFusedVisibility(dir / "fused.ply.vis", {{0, 1}, {1, 2}, {0, 2, 3}});
  const auto s = ReadFusedSupport(dir);
  REQUIRE(s);
  CHECK(s->views == std::vector<std::uint32_t>{2, 2, 3});
  std::filesystem::remove_all(dir);
}
