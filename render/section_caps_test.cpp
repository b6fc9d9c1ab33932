// Section caps on open geometry (section_caps.cpp): a cut-away open sheet between the eye and
// the plane caps nothing unless a solid lies beyond – no "earth" below a cut-away ground, no
// flap where a cut-away roof sheet is seen against the sky – while closed parts keep their caps.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdlib>
#include <filesystem>

#include <Eigen/Geometry>

#include "core/image_io.h"
#include "render/render_test_util.h"
#include "render/renderer.h"

namespace muta::render {
namespace {

// One open quad (two triangles) with the given corners, counter-clockwise seen from its front.
Mesh Sheet(const Vec3f& a, const Vec3f& b, const Vec3f& c, const Vec3f& d) {
  Mesh mesh;
  mesh.vertices = {a, b, c, d};
  mesh.faces = {Face(0, 1, 2), Face(0, 2, 3)};
  return mesh;
}

SceneObject Grey(Mesh mesh) {
  SceneObject object;
  object.mesh = std::move(mesh);
  object.base_color = {0.5f, 0.5f, 0.5f};
  return object;
}

Eigen::Vector3i Rgb(const Image& image, const Eigen::Vector2i& px) {
  return Eigen::Vector3i(image.at(px.x(), px.y(), 0), image.at(px.x(), px.y(), 1),
                         image.at(px.x(), px.y(), 2));
}

// section_cap_color (0.62, 0.2, 0.16) linear = (206, 124, 112) sRGB under flat lighting.
bool IsCap(const Eigen::Vector3i& c) {
  return (c - Eigen::Vector3i(206, 124, 112)).cwiseAbs().maxCoeff() <= 3;
}
bool IsGrey(const Eigen::Vector3i& c) {
  return c.minCoeff() > 100 && c.maxCoeff() - c.minCoeff() < 8;
}
bool IsBackground(const Eigen::Vector3i& c) {
  return c.maxCoeff() == 0;
}

TEST_CASE("section caps: cut-away open sheets leave no flaps and solids keep their caps", "[gl]") {
  render::test::SharedHeadlessContext();
  Renderer renderer;
  // An open ground sheet (z = 0, facing up), a closed 4 m box standing on it, and an open
  // "roof" sheet above the box, tilted, facing up.
  renderer.Add({Grey(Sheet(Vec3f(-8, -8, 0), Vec3f(8, -8, 0), Vec3f(8, 8, 0), Vec3f(-8, 8, 0))),
                Grey(test::ClosedBox(Vec3f(-2, -2, 0), Vec3f(2, 2, 4))),
                Grey(Sheet(Vec3f(-3, -5, 5), Vec3f(6, -5, 7), Vec3f(6, 5, 7), Vec3f(-3, 5, 5)))});
  // x > 1 cut away, seen from the cut side, from above the roof.
  const Camera camera = Camera::Pinhole(160, 120, 110, 110, 80, 60);
  const Rigid3d pose =
      LookAt(Eigen::Vector3d(14, -6, 12), Eigen::Vector3d(1, 0, 2), Eigen::Vector3d::UnitZ());
  const auto pixel = [&](const Eigen::Vector3d& p) {
    const Eigen::Vector2d uv = camera.Project(pose * p);
    REQUIRE(uv.x() >= 0);
    REQUIRE(uv.y() >= 0);
    REQUIRE(uv.x() < camera.width);
    REQUIRE(uv.y() < camera.height);
    return Eigen::Vector2i(int(std::floor(uv.x())), int(std::floor(uv.y())));
  };
  RenderOptions options = render::test::FlatLighting();
  options.section_planes = {Eigen::Vector4d(1, 0, 0, -1)};
  const Image image = renderer.Render(camera, pose, options).color;
  if (const char* dir = std::getenv("MUTA_TEST_IMAGES")) {
    WriteImage(std::filesystem::path(dir) / "caps_open_sheets.png", image);
  }
  // The box's cut is capped, also where the ground lies behind it.
  CHECK(IsCap(Rgb(image, pixel({1, 0, 2}))));
  CHECK(IsCap(Rgb(image, pixel({1, -1.5, 0.5}))));
  // Below the cut-away ground, on the plane: nothing beyond it, no "earth" cap.
  CHECK(IsBackground(Rgb(image, pixel({1, -6, -2}))));
  CHECK(IsBackground(Rgb(image, pixel({1, 5, -3}))));
  // The kept ground beside the box stays visible (no cap over it).
  CHECK(IsGrey(Rgb(image, pixel({-1, -5, 0}))));
  // Seen through the cut-away roof, with only the sky beyond: no flap.
  CHECK(IsBackground(Rgb(image, pixel({1, 3.5, 5.5}))));
}

}  // namespace
}  // namespace muta::render
