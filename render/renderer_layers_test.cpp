// Provenance layers, section planes, Remove and Draw of the renderer (pixel checks, headless).
#include <catch2/catch.hpp>

#include <cmath>
#include <memory>
#include <vector>

#include <Eigen/Geometry>

#include "core/error.h"
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
  Mesh box;
  for (int i = 0; i < 8; ++i) {
    box.vertices.push_back(Vec3f(i & 1 ? 2 : -2, i & 2 ? 2 : -2, i & 4 ? 2 : -2));
  }
  const int quads[6][4] = {{0, 2, 3, 1}, {4, 5, 7, 6}, {0, 1, 5, 4},
                           {2, 6, 7, 3}, {0, 4, 6, 2}, {1, 3, 7, 5}};
  for (const auto& q : quads) {
    box.faces.push_back(Face(q[0], q[1], q[2]));
    box.faces.push_back(Face(q[0], q[2], q[3]));
  }
  SceneObject object;
  object.mesh = box;
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

TEST_CASE("Remove frees one object; Prepare + Add(PreparedObject) uploads", "[gl]") {
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
