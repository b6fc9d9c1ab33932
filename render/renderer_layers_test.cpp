// Provenance layers, section planes, Remove and Draw of the renderer (pixel checks, headless).
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdlib>
#include <memory>
#include <vector>

#include <Eigen/Geometry>

#include "core/error.h"
#include "core/image_io.h"
#include "render/gl_context.h"
#include "render/gl_util.h"
#include "render/render_test_util.h"
#include "render/renderer.h"

namespace muta::render {
namespace {

// A horizontal strip x in [x0, x1], y in [-4, 4] at z = 0, two triangles, one provenance.
Mesh Strip(float x0, float x1, Provenance provenance, float confidence) {
  Mesh mesh;
  mesh.vertices = {Vec3f(x0, -4, 0), Vec3f(x1, -4, 0), Vec3f(x1, 4, 0), Vec3f(x0, 4, 0)};
  mesh.faces = {Face(0, 1, 2), Face(0, 2, 3)};
  mesh.provenance.assign(2, provenance);
  mesh.confidence.assign(2, confidence);
  return mesh;
}

// Observed left half (x < 0), inferred right half (x > 0, confidence 0), both light grey.
SceneObject TwoHalves() {
  Mesh mesh = Strip(-4, 0, Provenance::kObserved, 1.0f);
  mesh.Append(Strip(0, 4, Provenance::kInferredSymmetry, 0.0f));
  SceneObject object;
  object.mesh = std::move(mesh);
  object.base_color = {0.5f, 0.5f, 0.5f};
  return object;
}

struct View {
  Camera camera = Camera::Pinhole(64, 64, 64, 64, 32, 32);
  Rigid3d pose =
      LookAt(Eigen::Vector3d(0, 0, 10), Eigen::Vector3d::Zero(), Eigen::Vector3d::UnitY());
  // The pixel where world point p appears.
  Eigen::Vector2i Pixel(const Eigen::Vector3d& p) const {
    const Eigen::Vector2d uv = camera.Project(pose * p);
    return Eigen::Vector2i(int(std::floor(uv.x())), int(std::floor(uv.y())));
  }
};

Eigen::Vector3i Rgb(const Image& image, const Eigen::Vector2i& px) {
  return Eigen::Vector3i(image.at(px.x(), px.y(), 0), image.at(px.x(), px.y(), 1),
                         image.at(px.x(), px.y(), 2));
}

bool IsGrey(const Eigen::Vector3i& c) {
  return c.minCoeff() > 100 && c.maxCoeff() - c.minCoeff() < 8;
}
bool IsBackground(const Eigen::Vector3i& c) {
  return c.maxCoeff() == 0;
}
bool IsOrange(const Eigen::Vector3i& c) {
  return c.x() > 200 && c.y() < 180 && c.z() < 100;
}

TEST_CASE("layers: inferred triangles highlighted, hidden, heat-mapped, split", "[gl]") {
  render::test::SharedHeadlessContext();
  Renderer renderer;
  renderer.Add({TwoHalves()});
  const View view;
  const Eigen::Vector2i left = view.Pixel({-2, 0, 0}), right = view.Pixel({2, 0, 0});
  REQUIRE(left.x() < right.x());
  RenderOptions options = render::test::FlatLighting();

  Image image = renderer.Render(view.camera, view.pose, options).color;
  CHECK(IsGrey(Rgb(image, left)));
  CHECK(IsGrey(Rgb(image, right)));

  options.layers.highlight_inferred = true;
  image = renderer.Render(view.camera, view.pose, options).color;
  CHECK(IsGrey(Rgb(image, left)));
  CHECK(IsOrange(Rgb(image, right)));  // (1, 0.35, 0.1) linear = (255, 160, 89) sRGB

  options.layers.show_inferred = false;
  image = renderer.Render(view.camera, view.pose, options).color;
  CHECK(IsGrey(Rgb(image, left)));
  CHECK(IsBackground(Rgb(image, right)));

  options.layers.show_inferred = true;
  options.layers.show_observed = false;
  image = renderer.Render(view.camera, view.pose, options).color;
  CHECK(IsBackground(Rgb(image, left)));
  CHECK(IsOrange(Rgb(image, right)));

  // Heat map: confidence 1 green, 0 red.
  options = render::test::FlatLighting();
  options.layers.confidence_heatmap = true;
  image = renderer.Render(view.camera, view.pose, options).color;
  const Eigen::Vector3i green = Rgb(image, left), red = Rgb(image, right);
  CHECK(green.y() > 2 * green.x());
  CHECK(red.x() > 4 * red.y());

  // Split at 3/4 of the width: the inferred half is hidden left of x = 48 px, highlighted
  // right of it; the observed half is drawn everywhere.
  options = render::test::FlatLighting();
  options.layers.split = 0.75f;
  image = renderer.Render(view.camera, view.pose, options).color;
  CHECK(IsGrey(Rgb(image, left)));
  CHECK(IsBackground(Rgb(image, {40, right.y()})));
  CHECK(IsOrange(Rgb(image, {56, right.y()})));

  // The metric depth follows the layers too.
  options = render::test::FlatLighting();
  options.layers.show_inferred = false;
  const FloatMap depth = renderer.Render(view.camera, view.pose, options).depth;
  CHECK(depth.at(left.x(), left.y(), 0) == Approx(10).margin(1e-3));
  CHECK(depth.at(right.x(), right.y(), 0) == 0);
}

TEST_CASE("sections: a plane removes what lies beyond it and caps a cut box", "[gl]") {
  render::test::SharedHeadlessContext();
  Renderer renderer;
  renderer.Add({TwoHalves()});
  const View view;
  RenderOptions options = render::test::FlatLighting();
  // n = +x, d = -1: x > 1 is cut away.
  options.section_planes = {Eigen::Vector4d(1, 0, 0, -1)};
  const Image image = renderer.Render(view.camera, view.pose, options).color;
  CHECK(IsGrey(Rgb(image, view.Pixel({-2, 0, 0}))));
  CHECK(IsGrey(Rgb(image, view.Pixel({0.5, 0, 0}))));
  CHECK(IsBackground(Rgb(image, view.Pixel({1.5, 0, 0}))));
  CHECK(IsBackground(Rgb(image, view.Pixel({3, 2, 0}))));
  // Non-unit normals work the same: 2x - 2 > 0.
  options.section_planes = {Eigen::Vector4d(2, 0, 0, -2)};
  const Image scaled = renderer.Render(view.camera, view.pose, options).color;
  CHECK(IsGrey(Rgb(scaled, view.Pixel({0.5, 0, 0}))));
  CHECK(IsBackground(Rgb(scaled, view.Pixel({1.5, 0, 0}))));

  // A closed box (outward, counter-clockwise faces) cut at z = 0 seen from above: the inside
  // shows through the cut as the cap colour; without the section its top is grey.
  renderer.Clear();
  SceneObject object;
  object.mesh = test::ClosedBox(Vec3f(-2, -2, -2), Vec3f(2, 2, 2));
  object.base_color = {0.5f, 0.5f, 0.5f};
  renderer.Add({object});
  options = render::test::FlatLighting();
  const Eigen::Vector2i centre = view.Pixel({0, 0, 0});
  CHECK(IsGrey(Rgb(renderer.Render(view.camera, view.pose, options).color, centre)));
  options.section_planes = {Eigen::Vector4d(0, 0, 1, 0)};
  const Eigen::Vector3i cap = Rgb(renderer.Render(view.camera, view.pose, options).color, centre);
  // section_cap_color (0.62, 0.2, 0.16) linear = (206, 124, 112) sRGB.
  CHECK(cap.x() == Approx(206).margin(3));
  CHECK(cap.y() == Approx(124).margin(3));
  CHECK(cap.z() == Approx(112).margin(3));

  options.section_planes.assign(kMaxSectionPlanes + 1, Eigen::Vector4d(0, 0, 1, 0));
  CHECK_THROWS_AS(renderer.Render(view.camera, view.pose, options), Error);
  options.section_planes = {Eigen::Vector4d(0, 0, 0, 1)};
  CHECK_THROWS_AS(renderer.Render(view.camera, view.pose, options), Error);
}

// With MUTA_TEST_IMAGES=DIR set, writes `image` there to look at.
void KeepForInspection(const char* name, const Image& image) {
  if (const char* dir = std::getenv("MUTA_TEST_IMAGES")) {
    WriteImage(std::filesystem::path(dir) / name, image);
  }
}

// section_cap_color (0.62, 0.2, 0.16) linear = (206, 124, 112) sRGB under flat lighting.
bool IsCap(const Eigen::Vector3i& c) {
  return (c - Eigen::Vector3i(206, 124, 112)).cwiseAbs().maxCoeff() <= 3;
}

TEST_CASE("section caps: the stencil fills the cut of a closed solid, nothing outside", "[gl]") {
  render::test::SharedHeadlessContext();
  Renderer renderer;
  // A closed 4 m box with a small grey block inside it (below the cut): a real cap hides the
  // block; colouring the box's inside faces (the old approximation) would show it.
  SceneObject box;
  box.mesh = test::ClosedBox(Vec3f(-2, -2, -2), Vec3f(2, 2, 2));
  box.base_color = {0.5f, 0.5f, 0.5f};
  SceneObject block;
  block.mesh = test::ClosedBox(Vec3f(-0.5f, -0.5f, -1.5f), Vec3f(0.5f, 0.5f, -1));
  block.base_color = {0.5f, 0.5f, 0.5f};
  renderer.Add({box, block});
  const View view;  // from (0, 0, 10) looking down
  RenderOptions options = render::test::FlatLighting();
  options.section_planes = {Eigen::Vector4d(0, 0, 1, 0)};  // z > 0 cut away
  const Image one = renderer.Render(view.camera, view.pose, options).color;
  KeepForInspection("caps_one.png", one);
  CHECK(IsCap(Rgb(one, view.Pixel({0, 0, 0}))));      // above the block
  CHECK(IsCap(Rgb(one, view.Pixel({1.8, 1.8, 0}))));  // near the corner of the cut
  CHECK(IsCap(Rgb(one, view.Pixel({-1.8, 0.5, 0}))));
  CHECK(IsBackground(Rgb(one, view.Pixel({2.6, 0, 0}))));  // on the plane, outside the box
  CHECK(IsBackground(Rgb(one, view.Pixel({0, -2.6, 0}))));
  // Without the section the box's top is grey.
  options.section_planes.clear();
  CHECK(IsGrey(Rgb(renderer.Render(view.camera, view.pose, options).color, view.Pixel({0, 0, 0}))));

  // Two planes: the z = 0 cap stops where x > 1 is cut away too; past it nothing is left.
  options.section_planes = {Eigen::Vector4d(0, 0, 1, 0), Eigen::Vector4d(1, 0, 0, -1)};
  const Image two = renderer.Render(view.camera, view.pose, options).color;
  KeepForInspection("caps_two.png", two);
  CHECK(IsCap(Rgb(two, view.Pixel({0.5, 0, 0}))));
  CHECK(IsCap(Rgb(two, view.Pixel({-1.5, 1, 0}))));
  CHECK(IsBackground(Rgb(two, view.Pixel({1.5, 0, 0}))));

  // An oblique view onto a vertical cut (x > 0 cut away, seen from the cut side): the cap on
  // x = 0 where the box was, the untouched box (grey) beside it, background beyond.
  const Rigid3d side =
      LookAt(Eigen::Vector3d(9, -3, 4), Eigen::Vector3d::Zero(), Eigen::Vector3d::UnitZ());
  const auto pixel = [&](const Eigen::Vector3d& p) {
    const Eigen::Vector2d uv = view.camera.Project(side * p);
    return Eigen::Vector2i(int(std::floor(uv.x())), int(std::floor(uv.y())));
  };
  options.section_planes = {Eigen::Vector4d(1, 0, 0, 0)};
  const Image oblique = renderer.Render(view.camera, side, options).color;
  KeepForInspection("caps_oblique.png", oblique);
  CHECK(IsCap(Rgb(oblique, pixel({0, 0, 0}))));
  CHECK(IsCap(Rgb(oblique, pixel({0, 1.5, 1.5}))));
  CHECK(IsGrey(Rgb(oblique, pixel({-1, -2, 0}))));  // the box's front face, not cut
  CHECK(IsBackground(Rgb(oblique, pixel({0, 3, 3}))));
  // An open ground sheet under the box has no inside: the plane above it stays uncapped
  // (the ground shows there), only the box's cut is capped.
  SceneObject ground;
  ground.mesh.vertices = {Vec3f(-10, -10, -2), Vec3f(10, -10, -2), Vec3f(10, 10, -2),
                          Vec3f(-10, 10, -2)};
  ground.mesh.faces = {Face(0, 1, 2), Face(0, 2, 3)};
  ground.base_color = {0.5f, 0.5f, 0.5f};
  renderer.Add({ground});
  const Image grounded = renderer.Render(view.camera, side, options).color;
  KeepForInspection("caps_ground.png", grounded);
  CHECK(IsCap(Rgb(grounded, pixel({0, 0, 0}))));
  CHECK(IsGrey(Rgb(grounded, pixel({0, 3, 0}))));
  CHECK(IsGrey(Rgb(grounded, pixel({0, -3.5, 0}))));

  // The window path (Draw) into a framebuffer with a stencil buffer draws the same caps (box
  // and ground seen from above, z > 0 cut away).
  options.section_planes = {Eigen::Vector4d(0, 0, 1, 0)};
  const int w = 64, h = 64;
  gl::Framebuffer fbo = gl::CreateFramebuffer();
  gl::Renderbuffer color = gl::CreateRenderbuffer(), depth = gl::CreateRenderbuffer();
  glNamedRenderbufferStorage(color.get(), GL_SRGB8_ALPHA8, w, h);
  glNamedRenderbufferStorage(depth.get(), GL_DEPTH24_STENCIL8, w, h);
  glNamedFramebufferRenderbuffer(fbo.get(), GL_COLOR_ATTACHMENT0, GL_RENDERBUFFER, color.get());
  glNamedFramebufferRenderbuffer(fbo.get(), GL_DEPTH_STENCIL_ATTACHMENT, GL_RENDERBUFFER,
                                 depth.get());
  glBindFramebuffer(GL_FRAMEBUFFER, fbo.get());
  renderer.Draw(view.camera, view.pose, options, w, h);
  std::vector<std::uint8_t> rgb(std::size_t(w) * h * 3);
  glPixelStorei(GL_PACK_ALIGNMENT, 1);
  glReadPixels(0, 0, w, h, GL_RGB, GL_UNSIGNED_BYTE, rgb.data());
  glBindFramebuffer(GL_FRAMEBUFFER, 0);
  const auto drawn = [&](const Eigen::Vector2i& px) {
    const std::uint8_t* p = &rgb[(std::size_t(h - 1 - px.y()) * w + px.x()) * 3];
    return Eigen::Vector3i(p[0], p[1], p[2]);
  };
  CHECK(IsCap(drawn(view.Pixel({0, 0, 0}))));
  CHECK(IsGrey(drawn(view.Pixel({2.6, 0, 0}))));  // the ground sheet, uncapped
}

TEST_CASE("Remove frees one object, Prepare + Add(PreparedObject) uploads", "[gl]") {
  render::test::SharedHeadlessContext();
  Renderer renderer;
  const View view;
  SceneObject left;
  left.mesh = Strip(-4, 0, Provenance::kObserved, 1);
  left.base_color = {0.5f, 0.5f, 0.5f};
  SceneObject right = left;
  right.mesh = Strip(0, 4, Provenance::kObserved, 1);
  PreparedObject prepared = Renderer::Prepare(right);
  CHECK(prepared.NumFaces() == 2);
  CHECK(prepared.GpuBytes() >= 4 * 36 + 6 * 4 + 2 * 4);
  const int a = renderer.Add({left}).front();
  const int b = renderer.Add(std::move(prepared));
  CHECK(renderer.NumObjects() == 2);
  Image image = renderer.Render(view.camera, view.pose, render::test::FlatLighting()).color;
  CHECK(IsGrey(Rgb(image, view.Pixel({2, 0, 0}))));
  renderer.Remove(b);
  CHECK(renderer.NumObjects() == 1);
  image = renderer.Render(view.camera, view.pose, render::test::FlatLighting()).color;
  CHECK(IsGrey(Rgb(image, view.Pixel({-2, 0, 0}))));
  CHECK(IsBackground(Rgb(image, view.Pixel({2, 0, 0}))));
  CHECK_THROWS_AS(renderer.Remove(b), Error);
  CHECK_THROWS_AS(renderer.SetVisible(b, true), Error);
  renderer.Remove(a);
  CHECK(renderer.NumObjects() == 0);
}

TEST_CASE("Draw renders into the bound framebuffer like Render", "[gl]") {
  render::test::SharedHeadlessContext();
  Renderer renderer;
  renderer.Add({TwoHalves()});
  const View view;
  RenderOptions options = render::test::FlatLighting();
  options.layers.highlight_inferred = true;
  const Image expected = renderer.Render(view.camera, view.pose, options).color;

  // A window-like sRGB framebuffer of twice the camera's size (HiDPI).
  const int w = 128, h = 128;
  gl::Framebuffer fbo = gl::CreateFramebuffer();
  gl::Renderbuffer color = gl::CreateRenderbuffer(), depth = gl::CreateRenderbuffer();
  glNamedRenderbufferStorage(color.get(), GL_SRGB8_ALPHA8, w, h);
  glNamedRenderbufferStorage(depth.get(), GL_DEPTH_COMPONENT32F, w, h);
  glNamedFramebufferRenderbuffer(fbo.get(), GL_COLOR_ATTACHMENT0, GL_RENDERBUFFER, color.get());
  glNamedFramebufferRenderbuffer(fbo.get(), GL_DEPTH_ATTACHMENT, GL_RENDERBUFFER, depth.get());
  glBindFramebuffer(GL_FRAMEBUFFER, fbo.get());
  renderer.Draw(view.camera, view.pose, options, w, h);
  GLint bound = 0;
  glGetIntegerv(GL_DRAW_FRAMEBUFFER_BINDING, &bound);
  CHECK(GLuint(bound) == fbo.get());
  std::vector<std::uint8_t> rgb(std::size_t(w) * h * 3);
  glPixelStorei(GL_PACK_ALIGNMENT, 1);
  glReadPixels(0, 0, w, h, GL_RGB, GL_UNSIGNED_BYTE, rgb.data());
  glBindFramebuffer(GL_FRAMEBUFFER, 0);
  // GL rows are bottom first; compare pixel centres of the two images.
  for (const Eigen::Vector2i& px : {view.Pixel({-2, 1, 0}), view.Pixel({2, -1, 0})}) {
    const int x = 2 * px.x() + 1, y = h - 1 - (2 * px.y() + 1);
    const std::uint8_t* p = &rgb[(std::size_t(y) * w + x) * 3];
    const Eigen::Vector3i drawn(p[0], p[1], p[2]);
    CHECK((drawn - Rgb(expected, px)).cwiseAbs().maxCoeff() <= 2);
  }
}

}  // namespace
}  // namespace muta::render
