#include "reconstruct/texture/photo_refine.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>

#include "core/error.h"
#include "core/pose.h"
#include "core/progress.h"

namespace muta::reconstruct {
namespace {

// A textured ground plane z = 0: value noise (hashed lattice, bilinear) at two scales, grey.
double Hash(int x, int y) {
  std::uint32_t h = std::uint32_t(x) * 374761393u + std::uint32_t(y) * 668265263u;
  h = (h ^ (h >> 13)) * 1274126177u;
  return double((h ^ (h >> 16)) & 0xffff) / 65535.0;
}
double Noise(double x, double y) {
  const double fx = std::floor(x), fy = std::floor(y);
  const int ix = int(fx), iy = int(fy);
  const double ax = x - fx, ay = y - fy;
  return (1 - ay) * ((1 - ax) * Hash(ix, iy) + ax * Hash(ix + 1, iy)) +
         ay * ((1 - ax) * Hash(ix, iy + 1) + ax * Hash(ix + 1, iy + 1));
}
double Albedo(double x, double y) {
  return 40 + 120 * Noise(x / 0.06, y / 0.06) + 60 * Noise(x / 0.25 + 7, y / 0.25 + 3);
}

// A camera at (cx, 0, 10) looking straight down (f = 500 px: 2 cm per pixel on the plane),
// photographing the plane exactly.
TextureView Photograph(double cx) {
  TextureView v;
  v.name = "cam.png";
  const int w = 240, h = 240;
  v.camera = Camera::Pinhole(w, h, 500, 500, w / 2.0, h / 2.0);
  v.cam_from_world.rotation = Eigen::Quaterniond(0, 1, 0, 0);  // x, -y, -z
  v.cam_from_world.translation = -(v.cam_from_world.rotation * Eigen::Vector3d(cx, 0, 10));
  v.image = Image(w, h, 3);
  const Rigid3d world_from_cam = v.cam_from_world.Inverse();
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      const Eigen::Vector3d ray =
          world_from_cam.rotation *
          Eigen::Vector3d((x + 0.5 - w / 2.0) / 500, (y + 0.5 - h / 2.0) / 500, 1);
      const Eigen::Vector3d o = world_from_cam.translation;
      const double t = -o.z() / ray.z();
      const double g = Albedo(o.x() + t * ray.x(), o.y() + t * ray.y());
      for (int c = 0; c < 3; ++c) v.image.at(x, y, c) = std::uint8_t(std::clamp(g, 0.0, 255.0));
    }
  }
  return v;
}

// A grid over [-1.6, 1.6]^2 at height z (facing up).
Mesh Grid(double z) {
  Mesh m;
  const int n = 65;
  for (int j = 0; j < n; ++j)
    for (int i = 0; i < n; ++i)
      m.vertices.emplace_back(float(-1.6 + 3.2 * i / (n - 1)), float(-1.6 + 3.2 * j / (n - 1)),
                              float(z));
  for (int j = 0; j + 1 < n; ++j)
    for (int i = 0; i + 1 < n; ++i) {
      const auto a = std::uint32_t(j * n + i), b = a + 1, c = a + n, d = c + 1;
      m.faces.emplace_back(a, b, d);
      m.faces.emplace_back(a, d, c);
    }
  m.ComputeVertexNormals();
  return m;
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
