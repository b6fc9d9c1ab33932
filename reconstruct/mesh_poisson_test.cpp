// Poisson meshing on sampled analytic shapes: a sphere (closed, on the surface, coloured), a
// hemisphere (density and distance trimming cut the invented bottom), a far blob (component
// removal), far clutter outside the cameras' region of interest, and clouds of different
// spacing (automatic depth).
#include "reconstruct/mesh_poisson.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <map>
#include <numbers>
#include <utility>

#include "core/colmap_model.h"
#include "core/error.h"
#include "core/ply_io.h"
#include "core/pose.h"
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

float Lowest(const Mesh& m) {
  float z = 10;
  for (const Vec3f& v : m.vertices) z = std::min(z, v.z());
  return z;
}

void Append(PointCloud& cloud, const PointCloud& more) {
  cloud.points.insert(cloud.points.end(), more.points.begin(), more.points.end());
  cloud.normals.insert(cloud.normals.end(), more.normals.begin(), more.normals.end());
  cloud.colors.insert(cloud.colors.end(), more.colors.begin(), more.colors.end());
}

// Eight cameras on a ring of radius 4 around the origin, looking at it.
SparseModel RingCameras() {
  SparseModel model;
  Camera camera = Camera::Pinhole(320, 240, 250, 250, 160, 120);
  camera.id = 1;
  model.cameras[1] = camera;
  for (std::uint32_t i = 0; i < 8; ++i) {
    const double a = 2 * std::numbers::pi * i / 8;
    SparseImage image;
    image.id = i + 1;
    image.name = "view_" + std::to_string(i) + ".jpg";
    image.camera_id = 1;
    image.cam_from_world =
        LookAt(Eigen::Vector3d(4 * std::cos(a), 4 * std::sin(a), i % 2 ? 1.0 : -0.5),
               Eigen::Vector3d::Zero());
    model.images[image.id] = image;
  }
  return model;
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
  CHECK(test::EveryEdgeTwice(mesh));
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
  options.max_distance_cells = 0;  // density trimming alone
  options.min_component_fraction = 0;
  MeshFromPoints(dir / "fused.ply", dir / "untrimmed.ply", options, Quiet());
  options.density_quantile = 0.3;
  const Json figures = MeshFromPoints(dir / "fused.ply", dir / "mesh.ply", options, Quiet());
  INFO(figures.dump());
  const Mesh untrimmed = ReadPlyMesh(dir / "untrimmed.ply");
  const Mesh trimmed = ReadPlyMesh(dir / "mesh.ply");
  CHECK(Lowest(untrimmed) < -0.3f);  // the invented bottom
  CHECK(Lowest(trimmed) > -0.1f);    // cut away
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

TEST_CASE("distance trimming removes the surface far from every point", "[unit][mesh]") {
  // The upper hemisphere again, with density trimming off: the invented bottom is far from all
  // points, the supported top is not.
  test::TempDir dir("poisson-distance");
  WritePly(dir / "fused.ply", SphereCloud(30000, Vec3f::Zero(), 1, 0.0f));
  MeshingOptions options;
  options.depth = 6;
  options.threads = 1;
  options.density_quantile = 0;
  options.min_component_fraction = 0;
  options.max_distance_cells = 0;
  MeshFromPoints(dir / "fused.ply", dir / "untrimmed.ply", options, Quiet());
  options.max_distance_cells = 1.5;
  const Json figures = MeshFromPoints(dir / "fused.ply", dir / "mesh.ply", options, Quiet());
  INFO(figures.dump());
  const Mesh untrimmed = ReadPlyMesh(dir / "untrimmed.ply");
  const Mesh trimmed = ReadPlyMesh(dir / "mesh.ply");
  CHECK(Lowest(untrimmed) < -0.3f);
  const double max_distance = figures["max_distance"].get<double>();
  CHECK(max_distance == Approx(1.5 * figures["cell_size"].get<double>()));
  CHECK(figures["far_vertices"].get<std::size_t>() > 0);
  // Every vertex left is within max_distance of the sampled hemisphere (sphere, z >= 0), and
  // the top and the rim are still there.
  int far = 0, top = 0, rim = 0;
  for (const Vec3f& v : trimmed.vertices) {
    const double to_surface = v.z() >= 0 ? std::abs(double(v.norm()) - 1)
                                         : (v - Vec3f(v.x(), v.y(), 0).normalized()).norm();
    far += to_surface > max_distance;
    top += v.z() > 0.95f;
    rim += v.z() > 0.0f && v.z() < 0.2f;
  }
  CHECK(far == 0);
  CHECK(Lowest(trimmed) > -float(max_distance));
  CHECK(top > 0);
  CHECK(rim > 0);
  CHECK(trimmed.colors.size() == trimmed.NumVertices());
}

TEST_CASE("the octree depth follows the point spacing", "[unit][mesh]") {
  test::TempDir dir("poisson-depth");
  MeshingOptions options;
  options.depth = 9;
  options.threads = 1;
  WritePly(dir / "sparse.ply", SphereCloud(5000));
  WritePly(dir / "dense.ply", SphereCloud(40000));
  const Json coarse = MeshFromPoints(dir / "sparse.ply", dir / "a.ply", options, Quiet());
  const Json fine = MeshFromPoints(dir / "dense.ply", dir / "b.ply", options, Quiet());
  INFO(coarse.dump() << "\n" << fine.dump());
  // 8x the points: spacing ~1/sqrt(8) as large, 1.5 octree levels deeper.
  CHECK(fine["point_spacing"].get<double>() < 0.45 * coarse["point_spacing"].get<double>());
  CHECK(fine["depth"].get<int>() > coarse["depth"].get<int>());
  for (const Json* f : {&coarse, &fine}) {
    const double cell = (*f)["cell_size"].get<double>(),
                 spacing = (*f)["point_spacing"].get<double>();
    CHECK(cell <= options.cell_spacing_ratio * spacing);     // fine enough
    CHECK(2 * cell > options.cell_spacing_ratio * spacing);  // not finer than needed
  }
  // Off: the depth given.
  options.auto_depth = false;
  options.depth = 7;
  CHECK(MeshFromPoints(dir / "sparse.ply", dir / "c.ply", options, Quiet())["depth"] == 7);
}

TEST_CASE("only the cameras' region of interest is meshed", "[unit][mesh]") {
  // A sphere at the centre of a camera ring, and a blob of clutter far outside it.
  test::TempDir dir("poisson-roi");
  PointCloud cloud = SphereCloud(20000);
  Append(cloud, SphereCloud(5000, Vec3f(30, 0, 0), 1.5f));
  WritePly(dir / "fused.ply", cloud);
  WriteSparseModel(dir / "sparse", RingCameras());
  MeshingOptions options;
  options.depth = 7;
  options.threads = 1;
  options.density_quantile = 0;  // keep the sphere closed
  const Json cropped = MeshFromPoints(dir / "fused.ply", dir / "mesh.ply", options, Quiet());
  INFO(cropped.dump());
  REQUIRE(cropped["roi"].is_object());
  CHECK(cropped["roi"]["radius"].get<double>() ==
        Approx(options.roi_radius_factor * cropped["roi"]["camera_distance"].get<double>()));
  CHECK(cropped["points"] == 25000);
  CHECK(cropped["meshed_points"] == 20000);
  const Mesh mesh = ReadPlyMesh(dir / "mesh.ply");
  double worst = 0;
  for (const Vec3f& v : mesh.vertices) worst = std::max(worst, std::abs(double(v.norm()) - 1));
  CHECK(worst < 0.03);
  CHECK(test::EveryEdgeTwice(mesh));

  // Without the crop the clutter is meshed, and the octree spans it: coarser cells.
  options.crop_to_roi = false;
  const Json all = MeshFromPoints(dir / "fused.ply", dir / "all.ply", options, Quiet());
  CHECK(all["roi"].is_null());
  CHECK(all["meshed_points"] == 25000);
  CHECK(all["cell_size"].get<double>() > 5 * cropped["cell_size"].get<double>());
  int clutter = 0;
  for (const Vec3f& v : ReadPlyMesh(dir / "all.ply").vertices) clutter += v.x() > 20;
  CHECK(clutter > 0);

  // An unreadable sparse model beside the cloud: no region of interest, all points meshed.
  options.crop_to_roi = true;
  test::WriteBytes(dir / "sparse" / "cameras.bin", "garbage");
  const Json unread = MeshFromPoints(dir / "fused.ply", dir / "unread.ply", options, Quiet());
  CHECK(unread["roi"].is_null());
  CHECK(unread["meshed_points"] == 25000);

  // A sparse model named explicitly must exist.
  options.crop_to_roi = true;
  options.sparse_model = dir / "nowhere";
  CHECK_THROWS_WITH(MeshFromPoints(dir / "fused.ply", dir / "x.ply", options, Quiet()),
                    Contains("nowhere"));
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
  CHECK(test::EveryEdgeTwice(ReadPlyMesh(dir / "mesh.ply")));
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
  o = {};
  o.max_distance_cells = 0.2;
  CHECK_THROWS_WITH(o.Check(), Contains("max_distance_cells"));
  o = {};
  o.roi_radius_factor = 0;
  CHECK_THROWS_WITH(o.Check(), Contains("roi_radius_factor"));
  o = {};
  o.cell_spacing_ratio = -1;
  CHECK_THROWS_WITH(o.Check(), Contains("cell_spacing_ratio"));
  CHECK(MeshingPreset("preview").depth < MeshingPreset("standard").depth);
  CHECK(MeshingPreset("standard").depth < MeshingPreset("high").depth);
  CHECK_THROWS_WITH(MeshingPreset("max"), Contains("max"));
}

}  // namespace muta::reconstruct
