#include "reconstruct/texture/photo_refine.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>

#include "core/error.h"
#include "core/pose.h"
#include "core/progress.h"
#include "reconstruct/texture/plane_scene_test_support.h"

namespace muta::reconstruct {
namespace {

using test::PlanePhotograph;

TextureView Photograph(double cx) {
  return PlanePhotograph(cx);
}

// A grid over [-1.6, 1.6]^2 at height z (facing up).
Mesh Grid(double z) {
  return test::PlaneGrid(1.6, 65, z);
}

double MeanAbsHeight(const Mesh& m) {
  double s = 0;
  for (const Vec3f& v : m.vertices) s += std::abs(v.z());
  return s / double(m.vertices.size());
}

TEST_CASE("photometric refinement moves a mesh onto the surface the photographs agree on",
          "[unit][texture]") {
  const std::vector<TextureView> views{Photograph(-1.5), Photograph(0), Photograph(1.5)};
  Progress progress(ProgressStyle::kQuiet);
  // 4 cm (2 pixels) above the photographed plane.
  Mesh mesh = Grid(0.04);
  const std::size_t faces = mesh.faces.size();
  const Json figures = PhotoRefine(mesh, views, PhotoRefineOptions{}, progress);
  INFO(figures.dump());
  CHECK(mesh.faces.size() == faces);
  REQUIRE(figures["rounds"].size() == 3);
  CHECK(figures["rounds"][0]["matched"].get<std::size_t>() > mesh.vertices.size() / 2);
  // Within a quarter of a pixel (5 mm) on average, from 40 mm.
  CHECK(MeanAbsHeight(mesh) < 0.005);
  for (const Vec3f& n : mesh.normals) CHECK(n.z() > 0.9f);  // still a plane facing up

  SECTION("a mesh already on the surface stays there") {
    Mesh flat = Grid(0.0);
    PhotoRefine(flat, views, PhotoRefineOptions{}, progress);
    CHECK(MeanAbsHeight(flat) < 0.003);
  }
  SECTION("a surface without texture is not moved") {
    std::vector<TextureView> blank = views;
    for (TextureView& v : blank) std::fill(v.image.pixels.begin(), v.image.pixels.end(), 128);
    Mesh off = Grid(0.04);
    const Json f = PhotoRefine(off, blank, PhotoRefineOptions{}, progress);
    CHECK(f["rounds"][0]["matched"].get<std::size_t>() == 0);
    CHECK(MeanAbsHeight(off) == Approx(0.04).margin(1e-6));
  }
  SECTION("bad options are refused") {
    PhotoRefineOptions o;
    o.patch = 4;
    CHECK_THROWS_AS(PhotoRefine(mesh, views, o, progress), Error);
  }
}

}  // namespace
}  // namespace muta::reconstruct
