// The renderer against the camera model: exact projection (pinhole and distorted), metric
// depth, colour sources and shadows. Headless (EGL surfaceless; llvmpipe without a GPU).
#include "render/renderer.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <memory>
#include <numbers>
#include <vector>

#include <epoxy/gl.h>
#include <Eigen/Geometry>

#include "core/error.h"
#include "render/gl_context.h"
#include "render/render_test_util.h"

namespace muta::render {
namespace {

Renderer& TheRenderer() {
  test::SharedHeadlessContext();
  static Renderer renderer;
  renderer.Clear();
  return renderer;
}

Mesh Sphere(const Vec3f& centre, float radius, int rings = 16, int segments = 32) {
  Mesh mesh;
  for (int i = 0; i <= rings; ++i) {
    const float theta = std::numbers::pi_v<float> * i / rings;
    for (int j = 0; j < segments; ++j) {
      const float phi = 2 * std::numbers::pi_v<float> * j / segments;
      const Vec3f n(std::sin(theta) * std::cos(phi), std::sin(theta) * std::sin(phi),
                    std::cos(theta));
      mesh.vertices.push_back(centre + radius * n);
      mesh.normals.push_back(n);
    }
  }
  for (int i = 0; i < rings; ++i) {
    for (int j = 0; j < segments; ++j) {
      const auto a = static_cast<std::uint32_t>(i * segments + j);
      const auto b = static_cast<std::uint32_t>(i * segments + (j + 1) % segments);
      const auto c = a + segments, d = b + segments;
      mesh.faces.push_back(Face(a, c, b));
      mesh.faces.push_back(Face(b, c, d));
    }
  }
  return mesh;
}

// A parallelogram origin + s u + t v, s, t in [0, 1], with UVs (s, t) * uv_scale.
Mesh Quad(const Vec3f& origin, const Vec3f& u, const Vec3f& v, float uv_scale = 1) {
  Mesh mesh;
  mesh.vertices = {origin, origin + u, origin + u + v, origin + v};
  mesh.uvs = {Vec2f(0, 0), Vec2f(uv_scale, 0), Vec2f(uv_scale, uv_scale), Vec2f(0, uv_scale)};
  mesh.faces = {Face(0, 1, 2), Face(0, 2, 3)};
  return mesh;
}

double Linear(std::uint8_t srgb) {
  const double c = srgb / 255.0;
  return c <= 0.04045 ? c / 12.92 : std::pow((c + 0.055) / 1.055, 2.4);
}

double Luminance(const Image& image, int x, int y) {
  return 0.2126 * Linear(image.at(x, y, 0)) + 0.7152 * Linear(image.at(x, y, 1)) +
         0.0722 * Linear(image.at(x, y, 2));
}

// Bright blobs on black: intensity-weighted centroids of 4-connected components.
std::vector<Eigen::Vector2d> BlobCentroids(const Image& image, double threshold = 0.01) {
  std::vector<int> label(std::size_t(image.width) * image.height, -1);
  std::vector<Eigen::Vector2d> centroids;
  std::vector<std::pair<int, int>> stack;
  for (int y0 = 0; y0 < image.height; ++y0) {
    for (int x0 = 0; x0 < image.width; ++x0) {
      if (label[std::size_t(y0) * image.width + x0] >= 0 || Luminance(image, x0, y0) < threshold) {
        continue;
      }
      const int id = static_cast<int>(centroids.size());
      Eigen::Vector2d sum = Eigen::Vector2d::Zero();
      double weight = 0;
      stack = {{x0, y0}};
      label[std::size_t(y0) * image.width + x0] = id;
      while (!stack.empty()) {
        const auto [x, y] = stack.back();
        stack.pop_back();
        const double w = Luminance(image, x, y);
        sum += w * Eigen::Vector2d(x + 0.5, y + 0.5);  // pixel centres at +0.5
        weight += w;
        const int nx[4] = {x - 1, x + 1, x, x}, ny[4] = {y, y, y - 1, y + 1};
        for (int k = 0; k < 4; ++k) {
          if (nx[k] < 0 || ny[k] < 0 || nx[k] >= image.width || ny[k] >= image.height) continue;
          int& l = label[std::size_t(ny[k]) * image.width + nx[k]];
          if (l >= 0 || Luminance(image, nx[k], ny[k]) < threshold) continue;
          l = id;
          stack.push_back({nx[k], ny[k]});
        }
      }
      centroids.push_back(sum / weight);
    }
  }
  return centroids;
}

// Spheres whose centres project to `targets` at depths `depths` must appear there.
void CheckProjection(const Camera& camera) {
  Renderer& renderer = TheRenderer();
  const Rigid3d cam_from_world = LookAt({3, -8, 4}, {0.5, 0.2, 1.2});
  const Rigid3d world_from_cam = cam_from_world.Inverse();
  const std::vector<Eigen::Vector2d> targets = {{45.3, 38.9},  {600.1, 41.7},  {320.0, 240.0},
                                                {52.8, 441.2}, {588.6, 437.4}, {200.2, 150.9},
                                                {455.5, 333.3}};
  std::vector<SceneObject> objects;
  std::vector<Eigen::Vector3d> centres;
  for (std::size_t i = 0; i < targets.size(); ++i) {
    const double depth = 6.0 + 1.1 * i;
    const Eigen::Vector3d cam_point = depth * camera.Unproject(targets[i]);
    centres.push_back(world_from_cam * cam_point);
    SceneObject object;
    const float radius = static_cast<float>(4.5 * depth / camera.FocalX());  // ~4.5 px
    object.mesh = Sphere(centres.back().cast<float>(), radius);
    object.base_color = Eigen::Vector3f::Ones();
    objects.push_back(std::move(object));
  }
  renderer.Add(std::move(objects));
  const RenderResult result = renderer.Render(camera, cam_from_world, test::FlatLighting(4));
  REQUIRE(result.color.width == camera.width);
  REQUIRE(result.color.height == camera.height);
  const std::vector<Eigen::Vector2d> blobs = BlobCentroids(result.color);
  REQUIRE(blobs.size() == targets.size());
  double worst = 0;
  for (const Eigen::Vector3d& centre : centres) {
    const Eigen::Vector2d expected = camera.Project(cam_from_world * centre);
    double best = 1e9;
    for (const auto& blob : blobs) best = std::min(best, (blob - expected).norm());
    INFO("expected at " << expected.transpose());
    CHECK(best < 0.5);
    worst = std::max(worst, best);
  }
  // Measured: under 0.07 px (the rest is antialiasing and the sphere's perspective).
  INFO(CameraModelName(camera.model) << ": worst blob offset " << worst << " px");
  CHECK(worst < 0.2);
}

}  // namespace

TEST_CASE("World points land exactly at Camera::Project's pixel (pinhole)", "[gl][render]") {
  CheckProjection(Camera::Pinhole(640, 480, 520.0, 580.0, 301.7, 227.3));
}

TEST_CASE("World points land exactly at Camera::Project's pixel (distorted)", "[gl][render]") {
  // About 20 px of barrel distortion in the corners.
  CheckProjection(Camera::SimpleRadial(640, 480, 520.0, 318.2, 243.9, -0.12));
  Camera opencv;
  opencv.model = CameraModel::kOpenCV;
  opencv.width = 640;
  opencv.height = 480;
  opencv.params = {530.0, 515.0, 330.4, 236.1, 0.09, -0.03, 0.002, -0.0015};
  CheckProjection(opencv);
}

namespace {

// A tilted quad ~10 m in front of the camera; depth must match the ray-plane intersection.
void CheckPlaneDepth(const Camera& camera) {
  Renderer& renderer = TheRenderer();
  const Rigid3d cam_from_world = LookAt({1, 2, 3}, {4, 12, 2});
  const Rigid3d world_from_cam = cam_from_world.Inverse();
  const Eigen::Vector3d p0(0.3, -0.2, 10.0);  // camera frame
  const Eigen::Matrix3d tilt = (Eigen::AngleAxisd(0.6, Eigen::Vector3d::UnitX()) *
                                Eigen::AngleAxisd(-0.35, Eigen::Vector3d::UnitY()))
                                   .toRotationMatrix();
  const Eigen::Vector3d e1 = tilt.col(0), e2 = tilt.col(1), normal = tilt.col(2);
  const double half1 = 3.3, half2 = 2.5;  // metres
  SceneObject quad;
  const Eigen::Vector3d corner = p0 - half1 * e1 - half2 * e2;
  quad.mesh = Quad((world_from_cam * corner).cast<float>(),
                   (world_from_cam.rotation * (2 * half1 * e1)).cast<float>(),
                   (world_from_cam.rotation * (2 * half2 * e2)).cast<float>());
  renderer.Add({quad});
  const RenderResult result = renderer.Render(camera, cam_from_world);
  REQUIRE(result.depth.width == camera.width);
  REQUIRE(result.depth.height == camera.height);
  REQUIRE(result.depth.channels == 1);

  // Where the ray through a pixel meets the plane: depth (z) and whether inside the quad.
  const auto hit = [&](double x, double y, double& z) {
    const Eigen::Vector3d ray = camera.Unproject({x, y});
    const double t = normal.dot(p0) / normal.dot(ray);
    const Eigen::Vector3d q = t * ray - p0;
    z = t * ray.z();
    return t > 0 && std::abs(q.dot(e1)) <= half1 && std::abs(q.dot(e2)) <= half2;
  };
  int inside = 0, outside = 0;
  double worst = 0;
  for (int y = 0; y < camera.height; ++y) {
    for (int x = 0; x < camera.width; ++x) {
      double z = 0, unused = 0;
      const bool centre = hit(x + 0.5, y + 0.5, z);
      bool all = centre, none = !centre;
      for (const auto& [dx, dy] : {std::pair{-1.5, 0.0}, {1.5, 0.0}, {0.0, -1.5}, {0.0, 1.5}}) {
        const bool h = hit(x + 0.5 + dx, y + 0.5 + dy, unused);
        all = all && h;
        none = none && !h;
      }
      const float depth = result.depth.at(x, y);
      if (all) {
        ++inside;
        worst = std::max(worst, std::abs(depth - z));
        if (std::abs(depth - z) > 1e-3) {
          FAIL_CHECK("pixel " << x << "," << y << ": depth " << depth << " expected " << z);
        }
      } else if (none) {
        ++outside;
        if (depth != 0.0f) FAIL_CHECK("pixel " << x << "," << y << ": background depth " << depth);
      }
    }
  }
  CHECK(inside > camera.width * camera.height / 5);
  CHECK(outside > camera.width * camera.height / 10);
  // Measured: 0.002 mm (pinhole), 0.02 mm (OPENCV, bilinear through the distortion map).
  INFO(CameraModelName(camera.model) << ": worst depth error " << worst * 1000 << " mm");
  CHECK(worst < 1e-4);
}

}  // namespace

TEST_CASE("Depth is metric camera z, 0 on background", "[gl][render]") {
  CheckPlaneDepth(Camera::Pinhole(320, 240, 300.0, 310.0, 165.2, 118.9));
  Camera opencv;
  opencv.model = CameraModel::kOpenCV;
  opencv.width = 320;
  opencv.height = 240;
  opencv.params = {300.0, 305.0, 158.4, 121.6, -0.1, 0.02, 0.001, 0.002};
  CheckPlaneDepth(opencv);
}

TEST_CASE("Background colour is the sRGB encoding of Lighting.background", "[gl][render]") {
  Renderer& renderer = TheRenderer();
  RenderOptions options;
  options.lighting.background = {0.2f, 0.5f, 0.8f};
  const RenderResult r = renderer.Render(Camera::Pinhole(64, 48, 50, 50, 32, 24),
                                         LookAt({0, -5, 0}, {0, 0, 0}), options);
  // sRGB(0.2) = 124, sRGB(0.5) = 188, sRGB(0.8) = 231
  CHECK(std::abs(int(r.color.at(10, 10, 0)) - 124) <= 1);
  CHECK(std::abs(int(r.color.at(10, 10, 1)) - 188) <= 1);
  CHECK(std::abs(int(r.color.at(10, 10, 2)) - 231) <= 1);
  CHECK(r.depth.at(10, 10) == 0.0f);
}

TEST_CASE("Textures, vertex colours and base colours all show", "[gl][render]") {
  Renderer& renderer = TheRenderer();
  // Left: a red/blue checkerboard texture repeated 3x3; middle: green vertex colours;
  // right: no colours (base colour, grey). All in the x-z plane, facing -y.
  Image checker(8, 8, 3);
  for (int y = 0; y < 8; ++y) {
    for (int x = 0; x < 8; ++x) {
      const bool red = ((x / 4) + (y / 4)) % 2 == 0;
      checker.at(x, y, 0) = red ? 220 : 20;
      checker.at(x, y, 2) = red ? 20 : 220;
      checker.at(x, y, 1) = 20;
    }
  }
  SceneObject textured;
  textured.mesh = Quad({-3.2f, 0, -1}, {2, 0, 0}, {0, 0, 2}, 3);
  textured.texture = checker;
  SceneObject coloured;
  coloured.mesh = Quad({-1, 0, -1}, {2, 0, 0}, {0, 0, 2});
  coloured.mesh.colors.assign(4, Color3u8(30, 200, 40));
  SceneObject plain;
  plain.mesh = Quad({1.2f, 0, -1}, {2, 0, 0}, {0, 0, 2});
  renderer.Add({textured, coloured, plain});
  const Camera camera = Camera::Pinhole(480, 160, 300, 300, 240, 80);
  const RenderResult r = renderer.Render(camera, LookAt({0, -4.5, 0}, {0, 0, 0}));

  // Region of each quad: the middle third of its columns, rows 40..120.
  const auto stats = [&](int x0, int x1, int& red, int& green, int& blue, int& grey) {
    red = green = blue = grey = 0;
    for (int y = 40; y < 120; ++y) {
      for (int x = x0; x < x1; ++x) {
        const int cr = r.color.at(x, y, 0), cg = r.color.at(x, y, 1), cb = r.color.at(x, y, 2);
        if (cr > cg + 60 && cr > cb + 60) ++red;
        if (cg > cr + 60 && cg > cb + 60) ++green;
        if (cb > cr + 60 && cb > cg + 60) ++blue;
        if (std::abs(cr - cg) < 25 && std::abs(cg - cb) < 25 && cr > 60) ++grey;
      }
    }
  };
  const int n = 40 * 80;
  int red, green, blue, grey;
  stats(50, 90, red, green, blue, grey);  // textured
  CHECK(red > n / 4);
  CHECK(blue > n / 4);
  CHECK(green == 0);
  stats(220, 260, red, green, blue, grey);  // vertex colours
  CHECK(green > n * 9 / 10);
  stats(390, 430, red, green, blue, grey);  // base colour
  CHECK(grey > n * 9 / 10);
}

TEST_CASE("exact_colors draws vertex colours and texels as they are, unlit", "[gl][render]") {
  Renderer& renderer = TheRenderer();
  // Left: bright vertex colours (above the shoulder at linear 0.8); right: a 2x2 texture of the
  // same bright colour, magnified (bilinear between equal texels).
  const Color3u8 bright(250, 240, 120);
  SceneObject coloured;
  coloured.mesh = Quad({-2.1f, 0, -1}, {2, 0, 0}, {0, 0, 2});
  coloured.mesh.colors.assign(4, bright);
  SceneObject textured;
  textured.mesh = Quad({0.1f, 0, -1}, {2, 0, 0}, {0, 0, 2});
  textured.texture = Image(2, 2, 3);
  for (int y = 0; y < 2; ++y) {
    for (int x = 0; x < 2; ++x) {
      for (int k = 0; k < 3; ++k) textured.texture->at(x, y, k) = bright[k];
    }
  }
  renderer.Add({coloured, textured});
  const Camera camera = Camera::Pinhole(320, 160, 300, 300, 160, 80);
  const Rigid3d pose = LookAt({0, -4.5, 0}, {0, 0, 0});
  RenderOptions options;
  options.exact_colors = true;
  const RenderResult exact = renderer.Render(camera, pose, options);
  const RenderResult lit = renderer.Render(camera, pose);
  for (const int x : {80, 240}) {
    for (int k = 0; k < 3; ++k) {
      CHECK(std::abs(int(exact.color.at(x, 80, k)) - int(bright[k])) <= 1);
    }
    // The default (lit, shoulder) look is unchanged: the same pixel differs there.
    int diff = 0;
    for (int k = 0; k < 3; ++k) diff += std::abs(int(lit.color.at(x, 80, k)) - int(bright[k]));
    CHECK(diff > 10);
  }
}

TEST_CASE("A texture larger than the GL allows is shown downscaled, not refused", "[gl][render]") {
  Renderer& renderer = TheRenderer();
  GLint max_texture = 0;
  glGetIntegerv(GL_MAX_TEXTURE_SIZE, &max_texture);
  REQUIRE(max_texture > 0);
  // One texel wider than the limit: left half red, right half blue.
  SceneObject wide;
  wide.mesh = Quad({-2, 0, -1}, {4, 0, 0}, {0, 0, 2});
  wide.texture = Image(max_texture + 1, 2, 3);
  for (int y = 0; y < 2; ++y) {
    for (int x = 0; x <= max_texture; ++x) {
      const bool red = x < (max_texture + 1) / 2;
      wide.texture->at(x, y, 0) = red ? 230 : 10;
      wide.texture->at(x, y, 2) = red ? 10 : 230;
    }
  }
  REQUIRE_NOTHROW(renderer.Add({wide}));
  RenderOptions options;
  options.exact_colors = true;
  const RenderResult r = renderer.Render(Camera::Pinhole(320, 160, 300, 300, 160, 80),
                                         LookAt({0, -4.5, 0}, {0, 0, 0}), options);
  CHECK(r.color.at(80, 80, 0) > 200);
  CHECK(r.color.at(80, 80, 2) < 40);
  CHECK(r.color.at(240, 80, 0) < 40);
  CHECK(r.color.at(240, 80, 2) > 200);
}

TEST_CASE("Shadows darken the ground behind a box, hidden objects vanish", "[gl][render]") {
  Renderer& renderer = TheRenderer();
  SceneObject ground;
  ground.mesh = Quad({-10, -10, 0}, {20, 0, 0}, {0, 20, 0});
  SceneObject box;
  box.mesh = test::ClosedBox({-1, -1, 0}, {1, 1, 4});
  const std::vector<int> ids = renderer.Add({ground, box});
  const Camera camera = Camera::Pinhole(400, 300, 300, 300, 200, 150);
  const Rigid3d pose = LookAt({-2, -14, 9}, {0, -1, 0});
  RenderOptions options;
  const Eigen::Vector3f sun = options.lighting.sun_direction;
  // The shadow of the top of the box, and a lit point on the ground.
  const Eigen::Vector3d shadowed = (Eigen::Vector3f(0, 0, 4) - 4 / sun.z() * sun).cast<double>();
  const Eigen::Vector3d lit(3, -3, 0);
  const auto luminance_at = [&](const RenderResult& r, const Eigen::Vector3d& p) {
    const Eigen::Vector2d px = camera.Project(pose * p);
    return Luminance(r.color, static_cast<int>(px.x()), static_cast<int>(px.y()));
  };
  const RenderResult with = renderer.Render(camera, pose, options);
  CHECK(luminance_at(with, shadowed) < 0.6 * luminance_at(with, lit));
  options.lighting.shadows = false;
  const RenderResult without = renderer.Render(camera, pose, options);
  // (Only the small specular term differs between the two points.)
  const double a = luminance_at(without, shadowed), b = luminance_at(without, lit);
  CHECK(std::abs(a - b) < 0.1 * std::max(a, b));

  // Hiding the box removes it from colour and depth.
  const Eigen::Vector2d box_px = camera.Project(pose * Eigen::Vector3d(0, -1, 3));
  const int bx = static_cast<int>(box_px.x()), by = static_cast<int>(box_px.y());
  const double box_z = (pose * Eigen::Vector3d(0, -1, 3)).z();
  CHECK(std::abs(with.depth.at(bx, by) - box_z) < 0.1);
  renderer.SetVisible(ids[1], false);
  const RenderResult hidden = renderer.Render(camera, pose, options);
  CHECK(hidden.depth.at(bx, by) > box_z + 0.5);  // the ground behind it
  CHECK_THROWS_AS(renderer.SetVisible(12345, true), Error);
}

TEST_CASE("Render rejects bad options and unsupported cameras", "[gl][render]") {
  Renderer& renderer = TheRenderer();
  const Rigid3d pose = LookAt({0, -5, 0}, {0, 0, 0});
  RenderOptions options;
  options.near_m = 0;
  CHECK_THROWS_AS(renderer.Render(Camera::Pinhole(8, 8, 8, 8, 4, 4), pose, options), Error);
  options = RenderOptions{};
  options.samples = 0;
  CHECK_THROWS_AS(renderer.Render(Camera::Pinhole(8, 8, 8, 8, 4, 4), pose, options), Error);
  Camera fisheye;
  fisheye.model = CameraModel::kOpenCVFisheye;
  fisheye.width = fisheye.height = 8;
  fisheye.params = {8, 8, 4, 4, 0.1, 0, 0, 0};
  CHECK_THROWS_AS(renderer.Render(fisheye, pose), Error);

  // A texture without UVs is refused, and Add is all or nothing.
  SceneObject good, bad;
  good.mesh.vertices = {Vec3f(-1, 0, -1), Vec3f(1, 0, -1), Vec3f(0, 0, 1)};
  good.mesh.faces = {Face(0, 1, 2)};
  bad = good;
  bad.texture = Image(4, 4, 3, 128);
  CHECK_THROWS_AS(renderer.Add({good, bad}), Error);
  const RenderResult r = renderer.Render(Camera::Pinhole(8, 8, 8, 8, 4, 4), pose);
  CHECK(r.depth.at(4, 4) == 0.0f);
  CHECK(renderer.Add({good}).size() == 1);
  CHECK(renderer.Render(Camera::Pinhole(8, 8, 8, 8, 4, 4), pose).depth.at(4, 4) == Approx(5.0f));
}

TEST_CASE("LookAt puts the target at the principal point with +z up", "[unit][render]") {
  const Eigen::Vector3d eye(3, -7, 2), target(0.5, 1, 1.5);
  const Rigid3d pose = LookAt(eye, target);
  const Camera camera = Camera::Pinhole(100, 80, 90, 90, 50, 40);
  const Eigen::Vector2d centre = camera.Project(pose * target);
  CHECK(centre.x() == Approx(50).margin(1e-9));
  CHECK(centre.y() == Approx(40).margin(1e-9));
  // Above the target is up in the image (smaller v).
  CHECK(camera.Project(pose * (target + Eigen::Vector3d(0, 0, 1))).y() < 40);
  CHECK((CameraCenter(pose) - eye).norm() < 1e-12);
  // Straight down still gives a valid rotation.
  const Rigid3d down = LookAt({0, 0, 10}, {0, 0, 0});
  CHECK((down * Eigen::Vector3d(0, 0, 0)).z() == Approx(10));
  CHECK_THROWS_AS(LookAt(eye, eye), Error);
}

}  // namespace muta::render
