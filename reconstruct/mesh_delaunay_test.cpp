// The visibility graph-cut mesher on analytic scenes with known lines of sight: a sphere seen
// from all round (closed, outward, on the points), a trench seen from above (its opening, which
// the cameras look through, stays open – where Poisson would put a lid), and bad input.
#include "reconstruct/mesh_delaunay.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <map>
#include <numbers>
#include <random>
#include <utility>

#include "core/colmap_model.h"
#include "core/error.h"
#include "core/file_io.h"
#include "core/ply_io.h"
#include "core/pose.h"
#include "core/progress.h"
#include "core/ray_bvh.h"
#include "tests/test_util.h"

namespace muta::reconstruct {
namespace {

namespace fs = std::filesystem;
using Catch::Contains;

Progress& Quiet() {
  static Progress progress(ProgressStyle::kQuiet);
  return progress;
}

SparseModel Cameras(const std::vector<Eigen::Vector3d>& eyes, const Eigen::Vector3d& target) {
  SparseModel model;
  Camera camera = Camera::Pinhole(320, 240, 250, 250, 160, 120);
  camera.id = 1;
  model.cameras[1] = camera;
  for (std::size_t i = 0; i < eyes.size(); ++i) {
    SparseImage image;
    image.id = std::uint32_t(i + 1);
    image.name = "view_" + std::to_string(i) + ".jpg";
    image.camera_id = 1;
    image.cam_from_world = LookAt(eyes[i], target);
    model.images[image.id] = image;
  }
  return model;
}

struct Scene {
  PointCloud cloud;
  std::vector<std::vector<std::uint32_t>> vis;
  SparseModel model;
};

// Writes DIR/fused.ply, DIR/fused.ply.vis and DIR/sparse (the dense workspace's layout).
void Write(const fs::path& dir, const Scene& scene) {
  WritePly(dir / "fused.ply", scene.cloud);
  WriteFusedVisibility(dir / "fused.ply.vis", scene.vis);
  WriteSparseModel(dir / "sparse", scene.model);
}

void AddPoint(Scene& scene, const Vec3f& p, const Vec3f& n, const Color3u8& c) {
  scene.cloud.points.push_back(p);
  scene.cloud.normals.push_back(n);
  scene.cloud.colors.push_back(c);
  scene.vis.emplace_back();
}

// A unit sphere (Fibonacci lattice, 1 mm of noise along the normal) seen by ten cameras: a ring
// of eight and one above and below. A camera sees the points facing it (a sphere hides nothing
// else). Images are numbered in file order = id order.
Scene SphereScene(int n) {
  Scene scene;
  std::vector<Eigen::Vector3d> eyes;
  for (int i = 0; i < 8; ++i) {
    const double a = 2 * std::numbers::pi * i / 8;
    eyes.emplace_back(4 * std::cos(a), 4 * std::sin(a), i % 2 ? 1.5 : -1.5);
  }
  eyes.emplace_back(0.3, 0, 4);
  eyes.emplace_back(-0.3, 0, -4);
  scene.model = Cameras(eyes, Eigen::Vector3d::Zero());
  std::mt19937 rng(7);
  std::normal_distribution<float> noise(0.0f, 0.001f);
  const double golden = std::numbers::pi * (3 - std::sqrt(5.0));
  for (int i = 0; i < n; ++i) {
    const double z = 1 - 2 * (i + 0.5) / n;
    const double r = std::sqrt(1 - z * z);
    const Vec3f dir(float(r * std::cos(golden * i)), float(r * std::sin(golden * i)), float(z));
    AddPoint(scene, dir * (1 + noise(rng)), dir,
             dir.z() > 0 ? Color3u8(220, 30, 30) : Color3u8(30, 30, 220));
    for (std::uint32_t k = 0; k < eyes.size(); ++k) {
      const Eigen::Vector3d to_eye = eyes[k] - dir.cast<double>();
      if (to_eye.normalized().dot(dir.cast<double>()) > 0.2) scene.vis.back().push_back(k);
    }
  }
  return scene;
}

Vec3f FaceNormal(const Mesh& m, const Face& f) {
  return (m.vertices[f[1]] - m.vertices[f[0]]).cross(m.vertices[f[2]] - m.vertices[f[0]]);
}

}  // namespace

TEST_CASE("The graph cut meshes a sphere seen from all round into a closed outward sphere",
          "[unit][mesh]") {
  test::TempDir dir("delaunay-sphere");
  Write(dir.path(), SphereScene(8000));
  MeshingOptions options;
  options.method = "delaunay";
  const Json figures =
      MeshFromPointsDelaunay(dir / "fused.ply", dir / "mesh.ply", options, Quiet());
  INFO(figures.dump());
  const Mesh mesh = ReadPlyMesh(dir / "mesh.ply");
  REQUIRE(mesh.NumFaces() > 1000);
  CHECK(figures["faces"] == mesh.NumFaces());
  CHECK(figures["meshed_points"] == 8000);
  CHECK(test::EveryEdgeTwice(mesh));
  // The vertices are the observed points: on the sphere within their noise.
  double worst = 0;
  for (const Vec3f& v : mesh.vertices) worst = std::max(worst, std::abs(double(v.norm()) - 1));
  CHECK(worst < 0.006);
  // Wound to face out, coloured like the points, the sphere's area.
  int inward = 0, wrong_color = 0;
  double area = 0;
  for (const Face& f : mesh.faces) {
    const Vec3f n = FaceNormal(mesh, f);
    area += 0.5 * double(n.norm());
    inward += n.dot(mesh.vertices[f[0]] + mesh.vertices[f[1]] + mesh.vertices[f[2]]) <= 0;
  }
  for (std::size_t i = 0; i < mesh.NumVertices(); ++i) {
    const Vec3f& v = mesh.vertices[i];
    if (v.z() > 0.2f) wrong_color += mesh.colors[i] != Color3u8(220, 30, 30);
    if (v.z() < -0.2f) wrong_color += mesh.colors[i] != Color3u8(30, 30, 220);
  }
  CHECK(inward <= int(mesh.NumFaces()) / 500);  // a few slivers at most
  CHECK(wrong_color == 0);
  CHECK(mesh.NumVertices() > 4000);  // most points are surface vertices
  CHECK(area == Approx(4 * std::numbers::pi).epsilon(0.02));
  REQUIRE(mesh.normals.size() == mesh.NumVertices());
}

TEST_CASE("The graph cut keeps the space the cameras saw through empty", "[unit][mesh]") {
  // A trench 0.6 m wide, 1 m deep and 2 m long (walls x = +-0.3, floor z = 0) seen by cameras
  // above its opening: they see its floor and inner walls through the opening. Poisson closes
  // such a shape with a lid; the lines of sight cross the opening, so the cut must not.
  Scene scene;
  std::vector<Eigen::Vector3d> eyes;
  for (int i = 0; i < 6; ++i) eyes.emplace_back(i % 2 ? 0.15 : -0.15, -1.0 + 0.4 * i, 3.0);
  scene.model = Cameras(eyes, Eigen::Vector3d(0, 0, 0.3));
  const float step = 0.02f;
  auto seen_by_all = [&] {
    for (std::uint32_t k = 0; k < eyes.size(); ++k) scene.vis.back().push_back(k);
  };
  for (float y = -1; y <= 1.0001f; y += step) {
    for (float x = -0.3f + step / 2; x < 0.3f; x += step) {  // floor, facing up
      AddPoint(scene, Vec3f(x, y, 0), Vec3f(0, 0, 1), Color3u8(200, 200, 200));
      seen_by_all();
    }
    for (float z = step / 2; z < 1.0f; z += step) {  // walls, facing the trench
      AddPoint(scene, Vec3f(-0.3f, y, z), Vec3f(1, 0, 0), Color3u8(200, 100, 100));
      seen_by_all();
      AddPoint(scene, Vec3f(0.3f, y, z), Vec3f(-1, 0, 0), Color3u8(100, 100, 200));
      seen_by_all();
    }
  }
  test::TempDir dir("delaunay-trench");
  Write(dir.path(), scene);
  MeshingOptions options;
  options.method = "delaunay";
  options.crop_to_roi = false;
  const Json figures =
      MeshFromPointsDelaunay(dir / "fused.ply", dir / "mesh.ply", options, Quiet());
  INFO(figures.dump());
  const Mesh mesh = ReadPlyMesh(dir / "mesh.ply");
  REQUIRE(mesh.NumFaces() > 1000);
  // No lid: nothing above the walls' tops, and rays down the trench from above reach the floor
  // first. (The concave edges between floor and walls are bevelled over about graph_cut_sigma
  // point spacings – 10 cm here –, where a line of sight's weight fades towards its point: the
  // rays keep 0.2 m from the walls.)
  float top = -1;
  for (const Vec3f& v : mesh.vertices) top = std::max(top, v.z());
  CHECK(top < 1.0f);
  const RayBvh bvh(mesh);
  int on_floor = 0, rays = 0;
  for (float y = -0.8f; y <= 0.8f; y += 0.1f) {
    for (float x = -0.1f; x <= 0.1f; x += 0.05f) {
      const auto hit = bvh.Closest(Eigen::Vector3d(x, y, 2.0), Eigen::Vector3d(0, 0, -1));
      ++rays;
      on_floor += hit && std::abs(hit->t - 2.0) < 0.01;
    }
  }
  CHECK(on_floor == rays);
  // The floor and both walls face into the trench (towards the cameras), away from the bevels.
  int facing_in = 0, facing_out = 0;
  for (const Face& f : mesh.faces) {
    const Vec3f c = (mesh.vertices[f[0]] + mesh.vertices[f[1]] + mesh.vertices[f[2]]) / 3;
    if (c.z() < 0.15f && std::abs(c.x()) > 0.15f) continue;  // a bevel
    const Vec3f n = FaceNormal(mesh, f).normalized();
    const Vec3f in = c.z() < 0.005f ? Vec3f(0, 0, 1) : Vec3f(c.x() < 0 ? 1.0f : -1.0f, 0, 0);
    (n.dot(in) > 0.9f ? facing_in : facing_out)++;
  }
  CHECK(facing_out < facing_in / 50);
}

TEST_CASE("The graph-cut mesher reports missing and inconsistent input clearly", "[unit][mesh]") {
  test::TempDir dir("delaunay-bad");
  Scene scene = SphereScene(500);
  Write(dir.path(), scene);
  MeshingOptions options;
  options.method = "delaunay";
  const fs::path fused = dir / "fused.ply", out = dir / "mesh.ply";

  SECTION("no visibility file") {
    fs::remove(dir / "fused.ply.vis");
    CHECK_THROWS_WITH(MeshFromPointsDelaunay(fused, out, options, Quiet()),
                      Contains("fused.ply.vis") && Contains("fusion stage"));
  }
  SECTION("visibility of another cloud") {
    scene.vis.pop_back();
    WriteFusedVisibility(dir / "fused.ply.vis", scene.vis);
    CHECK_THROWS_WITH(MeshFromPointsDelaunay(fused, out, options, Quiet()),
                      Contains("499 visibility lists for 500 points"));
  }
  SECTION("an image index beyond the model's images") {
    scene.vis[3].push_back(10);
    WriteFusedVisibility(dir / "fused.ply.vis", scene.vis);
    CHECK_THROWS_WITH(MeshFromPointsDelaunay(fused, out, options, Quiet()),
                      Contains("image index beyond the 10 images"));
  }
  SECTION("a truncated visibility file") {
    const std::vector<std::uint8_t> bytes = ReadFileBytes(dir / "fused.ply.vis");
    WriteFileAtomic(dir / "fused.ply.vis",
                    std::span<const std::uint8_t>(bytes.data(), bytes.size() / 2));
    CHECK_THROWS_WITH(MeshFromPointsDelaunay(fused, out, options, Quiet()),
                      Contains("fused.ply.vis"));
  }
  SECTION("no cameras") {
    fs::remove_all(dir / "sparse");
    CHECK_THROWS_WITH(MeshFromPointsDelaunay(fused, out, options, Quiet()),
                      Contains("sparse") && Contains("cameras"));
  }
  SECTION("too few points") {
    Scene few = SphereScene(50);
    Write(dir.path(), few);
    CHECK_THROWS_WITH(MeshFromPointsDelaunay(fused, out, options, Quiet()),
                      Contains("only 50 points"));
  }
  CHECK_FALSE(fs::exists(out));  // nothing written on failure
}

}  // namespace muta::reconstruct
