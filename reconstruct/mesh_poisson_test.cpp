// Poisson meshing on sampled analytic shapes: a sphere (closed, on the surface, coloured), a
// hemisphere (trimming cuts the invented bottom) and a far blob (component removal).
#include "reconstruct/mesh_poisson.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <map>
#include <numbers>
#include <utility>

#include "core/error.h"
#include "core/ply_io.h"
#include "core/progress.h"
#include "tests/test_util.h"

namespace muta::reconstruct {
namespace {

namespace fs = std::filesystem;
using Catch::Contains;

// `n` points spread evenly over a sphere (Fibonacci lattice) with outward normals; red on top
// (z > 0), blue below. Only points with z >= min_z are kept.
PointCloud SphereCloud(int n, const Vec3f& centre = Vec3f::Zero(), float radius = 1,
                       float min_z = -2) {
  PointCloud cloud;
  const double golden = std::numbers::pi * (3 - std::sqrt(5.0));
  for (int i = 0; i < n; ++i) {
    const double z = 1 - 2 * (i + 0.5) / n;
    const double r = std::sqrt(1 - z * z);
    const Vec3f dir(float(r * std::cos(golden * i)), float(r * std::sin(golden * i)), float(z));
    if (dir.z() < min_z) continue;
    cloud.points.push_back(centre + radius * dir);
    cloud.normals.push_back(dir);
    cloud.colors.push_back(dir.z() > 0 ? Color3u8(220, 30, 30) : Color3u8(30, 30, 220));
  }
  return cloud;
}

// The tests mesh with one thread: Open3D's OpenMP threads busy-wait at barriers, which on a
// CI machine whose cores are shared with other jobs makes a solve 10-30x slower.
Progress& Quiet() {
  static Progress progress(ProgressStyle::kQuiet);
  return progress;
}

// Every edge is shared by exactly two triangles.
bool Closed(const Mesh& mesh) {
  std::map<std::pair<std::uint32_t, std::uint32_t>, int> edges;
  for (const Face& f : mesh.faces) {
    for (int k = 0; k < 3; ++k) {
      const std::uint32_t a = f[k], b = f[(k + 1) % 3];
      ++edges[{std::min(a, b), std::max(a, b)}];
    }
  }
  for (const auto& [edge, count] : edges) {
    if (count != 2) return false;
  }
  return !edges.empty();
}

}  // namespace

TEST_CASE("Poisson meshes a sampled sphere into a closed coloured sphere", "[unit][mesh]") {
  test::TempDir dir("poisson-sphere");
  WritePly(dir / "fused.ply", SphereCloud(20000));
  MeshingOptions options;
  options.depth = 6;
  options.threads = 1;           // see Quiet(): no OpenMP spinning on a loaded CI machine
  options.density_quantile = 0;  // keep everything: the surface must be closed
  const Json figures = MeshFromPoints(dir / "fused.ply", dir / "mesh.ply", options, Quiet());
  INFO(figures.dump());
  const Mesh mesh = ReadPlyMesh(dir / "mesh.ply");
  REQUIRE(mesh.NumFaces() > 1000);
  CHECK(figures["faces"] == mesh.NumFaces());
  CHECK(figures["vertices"] == mesh.NumVertices());
  CHECK(figures["points"] == 20000);
  CHECK(Closed(mesh));
  double worst = 0, mean = 0;
  int wrong_color = 0, inward = 0;
  REQUIRE(mesh.colors.size() == mesh.NumVertices());
  REQUIRE(mesh.normals.size() == mesh.NumVertices());
  for (std::size_t i = 0; i < mesh.NumVertices(); ++i) {
    const Vec3f& v = mesh.vertices[i];
    const double e = std::abs(double(v.norm()) - 1);
    worst = std::max(worst, e);
    mean += e;
    inward += mesh.normals[i].dot(v) < 0.5f;
    if (v.z() > 0.2f) wrong_color += !(mesh.colors[i].x() > 150 && mesh.colors[i].z() < 100);
    if (v.z() < -0.2f) wrong_color += !(mesh.colors[i].z() > 150 && mesh.colors[i].x() < 100);
  }
  mean /= double(mesh.NumVertices());
  CHECK(worst < 0.03);  // depth 6: cells of 2.2 / 64 = 3.4 cm
  CHECK(mean < 0.01);
  CHECK(inward == 0);
  CHECK(wrong_color == 0);
}

TEST_CASE("density trimming removes the surface Poisson invents away from the points",
          "[unit][mesh]") {
  // Upper hemisphere only: Poisson closes it with a bottom that no point supports.
  test::TempDir dir("poisson-trim");
  WritePly(dir / "fused.ply", SphereCloud(30000, Vec3f::Zero(), 1, 0.0f));
  MeshingOptions options;
  options.depth = 6;
  options.threads = 1;
  options.density_quantile = 0;
  options.min_component_fraction = 0;
  MeshFromPoints(dir / "fused.ply", dir / "untrimmed.ply", options, Quiet());
  options.density_quantile = 0.3;
  const Json figures = MeshFromPoints(dir / "fused.ply", dir / "mesh.ply", options, Quiet());
  INFO(figures.dump());
  const Mesh untrimmed = ReadPlyMesh(dir / "untrimmed.ply");
  const Mesh trimmed = ReadPlyMesh(dir / "mesh.ply");
  auto lowest = [](const Mesh& m) {
    float z = 10;
    for (const Vec3f& v : m.vertices) z = std::min(z, v.z());
    return z;
  };
  CHECK(lowest(untrimmed) < -0.3f);  // the invented bottom
  CHECK(lowest(trimmed) > -0.1f);    // cut away
  CHECK(figures["trimmed_vertices"].get<std::size_t>() > 0);
  // The supported top survives: vertices near the pole and near the equator.
  int top = 0, rim = 0;
  for (const Vec3f& v : trimmed.vertices) {
    top += v.z() > 0.95f;
    rim += v.z() > 0.0f && v.z() < 0.2f;
  }
  CHECK(top > 0);
  CHECK(rim > 0);
}

TEST_CASE("small disconnected pieces are removed", "[unit][mesh]") {
  test::TempDir dir("poisson-blob");
  PointCloud cloud = SphereCloud(20000);
  const PointCloud blob = SphereCloud(2000, Vec3f(3, 0, 0), 0.2f);
  cloud.points.insert(cloud.points.end(), blob.points.begin(), blob.points.end());
  cloud.normals.insert(cloud.normals.end(), blob.normals.begin(), blob.normals.end());
  cloud.colors.insert(cloud.colors.end(), blob.colors.begin(), blob.colors.end());
  WritePly(dir / "fused.ply", cloud);
  MeshingOptions options;
  options.depth = 7;
  options.threads = 1;
  options.density_quantile = 0;
  options.min_component_fraction = 0;
  const Json kept = MeshFromPoints(dir / "fused.ply", dir / "all.ply", options, Quiet());
  options.min_component_fraction = 0.1;
  const Json cleaned = MeshFromPoints(dir / "fused.ply", dir / "mesh.ply", options, Quiet());
  INFO(kept.dump() << "\n" << cleaned.dump());
  auto far = [](const Mesh& m) {
    int n = 0;
    for (const Vec3f& v : m.vertices) n += v.x() > 2;
    return n;
  };
  CHECK(far(ReadPlyMesh(dir / "all.ply")) > 0);
  CHECK(far(ReadPlyMesh(dir / "mesh.ply")) == 0);
  CHECK(cleaned["removed_components"].get<int>() >= 1);
  CHECK(Closed(ReadPlyMesh(dir / "mesh.ply")));
}

TEST_CASE("meshing reports bad input and options clearly", "[unit][mesh]") {
  test::TempDir dir("poisson-bad");
  MeshingOptions options;
  options.depth = 6;
  options.threads = 1;
  SECTION("missing file") {
    CHECK_THROWS_WITH(MeshFromPoints(dir / "nope.ply", dir / "mesh.ply", options, Quiet()),
                      Contains("nope.ply"));
  }
  SECTION("no normals") {
    PointCloud cloud = SphereCloud(1000);
    cloud.normals.clear();
    WritePly(dir / "fused.ply", cloud);
    CHECK_THROWS_WITH(MeshFromPoints(dir / "fused.ply", dir / "mesh.ply", options, Quiet()),
                      Contains("fused.ply") && Contains("normals"));
  }
  SECTION("too few points") {
    WritePly(dir / "fused.ply", SphereCloud(50));
    CHECK_THROWS_WITH(MeshFromPoints(dir / "fused.ply", dir / "mesh.ply", options, Quiet()),
                      Contains("at least 100"));
  }
  SECTION("truncated cloud") {
    WritePly(dir / "full.ply", SphereCloud(1000));
    test::WriteTruncatedCopy(dir / "full.ply", dir / "fused.ply", 5000);
    CHECK_THROWS_WITH(MeshFromPoints(dir / "fused.ply", dir / "mesh.ply", options, Quiet()),
                      Contains("fused.ply"));
  }
  SECTION("interrupted: nothing written") {
    WritePly(dir / "fused.ply", SphereCloud(1000));
    RequestInterrupt();
    CHECK_THROWS_AS(MeshFromPoints(dir / "fused.ply", dir / "mesh.ply", options, Quiet()),
                    Cancelled);
    ResetInterrupt();
  }
  CHECK_FALSE(fs::exists(dir / "mesh.ply"));

  MeshingOptions o;
  CHECK_NOTHROW(o.Check());
  o.depth = 4;
  CHECK_THROWS_WITH(o.Check(), Contains("depth"));
  o = {};
  o.density_quantile = 1;
  CHECK_THROWS_WITH(o.Check(), Contains("density_quantile"));
  o = {};
  o.min_component_fraction = -0.1;
  CHECK_THROWS_WITH(o.Check(), Contains("min_component_fraction"));
  o = {};
  o.threads = 0;
  CHECK_THROWS_WITH(o.Check(), Contains("threads"));
  CHECK(MeshingPreset("preview").depth < MeshingPreset("standard").depth);
  CHECK(MeshingPreset("standard").depth < MeshingPreset("high").depth);
  CHECK_THROWS_WITH(MeshingPreset("max"), Contains("max"));
}

}  // namespace muta::reconstruct
