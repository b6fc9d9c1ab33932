// Muta's PatchMatch stereo against ground truth: the synthetic pagoda (`muta synth`, exact
// PINHOLE cameras, so the photographs are already undistorted), true depth maps rendered by
// `muta render`, sparse points from the ground truth's visible samples; then COLMAP's own CPU
// stereo_fusion reading our depth maps.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <sstream>

#include "core/closest_point.h"
#include "core/colmap_model.h"
#include "core/depth_map_io.h"
#include "core/json.h"
#include "core/ply_io.h"
#include "core/progress.h"
#include "core/subprocess.h"
#include "reconstruct/mvs/analytic_scene.h"
#include "reconstruct/mvs/patch_match.h"
#include "tests/test_util.h"

namespace fs = std::filesystem;
using muta::test::RunMuta;
using muta::test::RunProgram;

namespace {

struct PagodaMvs {
  fs::path dir;    // the synth set
  fs::path dense;  // the dense workspace
  muta::SparseModel model;
  muta::Json figures;
  double seconds = 0;
};

fs::path TruthPath(const fs::path& dir, const std::string& name) {
  return dir / "gt" / "depth" / (name + ".bin");
}

// Sparse points as SfM would give them: samples of the visible surface, observed in every image
// whose true depth map shows them unoccluded.
void AddPoints(const fs::path& dir, muta::SparseModel& model) {
  const muta::PointCloud visible = muta::ReadPlyPointCloud(dir / "gt" / "visible.ply");
  std::map<std::uint32_t, muta::FloatMap> truth;
  for (const auto& [id, image] : model.images)
    truth[id] = muta::ReadColmapArray(TruthPath(dir, image.name));
  const std::size_t step = std::max<std::size_t>(1, visible.size() / 3000);
  std::uint64_t next = 1;
  for (std::size_t i = 0; i < visible.size(); i += step) {
    muta::SparsePoint point;
    point.id = next;
    point.xyz = visible.points[i].cast<double>();
    point.error = 0.5;
    for (auto& [id, image] : model.images) {
      const muta::Camera& camera = model.cameras.at(image.camera_id);
      const Eigen::Vector3d X = image.cam_from_world * point.xyz;
      if (X.z() <= 0) continue;
      const Eigen::Vector2d q = camera.Project(X);
      const int x = int(q.x()), y = int(q.y());
      if (x < 0 || y < 0 || x >= camera.width || y >= camera.height) continue;
      const float d = truth[id].at(x, y);
      if (d <= 0 || std::abs(d - X.z()) > 0.01 * X.z()) continue;
      point.track.push_back({id, std::uint32_t(image.points2d.size())});
      image.points2d.push_back(q);
      image.point3d_ids.push_back(point.id);
    }
    if (point.track.size() < 2) {
      for (const auto& t : point.track) {
        model.images.at(t.image_id).points2d.pop_back();
        model.images.at(t.image_id).point3d_ids.pop_back();
      }
      continue;
    }
    model.points[next++] = point;
  }
}

// 8 photographs of 640x480 of the pagoda (seed 1), their true depth, and our depth maps; made
// once per test run.
const PagodaMvs& Pagoda() {
  static muta::test::TempDir tmp("mvs-accuracy");
  static const PagodaMvs w = [] {
    PagodaMvs p;
    p.dir = tmp / "pagoda";
    auto r = RunMuta({"synth", "--scene", "pagoda", "--images", "8", "--size", "640x480", "--seed",
                      "1", "-o", p.dir.string(), "--progress", "none"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    p.model = muta::ReadSparseModel(p.dir / "gt" / "sparse");
    fs::create_directories(p.dir / "gt" / "depth");
    for (const auto& [id, image] : p.model.images) {
      r = RunMuta({"render", (p.dir / "gt" / "mesh.ply").string(), "--camera",
                   (p.dir / "gt" / "sparse").string(), "--image", image.name, "--depth",
                   TruthPath(p.dir, image.name).string(), "-o",
                   (tmp / (image.name + ".png")).string(), "--samples", "1"});
      INFO(r.err);
      REQUIRE(r.exit_code == 0);
    }
    AddPoints(p.dir, p.model);
    p.dense = p.dir / "dense";
    fs::create_directories(p.dense / "images");
    for (const auto& [id, image] : p.model.images) {
      fs::copy_file(p.dir / "images" / image.name, p.dense / "images" / image.name);
    }
    muta::WriteSparseModel(p.dense / "sparse", p.model);
    muta::Progress progress(muta::ProgressStyle::kQuiet);
    const auto start = std::chrono::steady_clock::now();
    // The standard preset with the geometric pass (which `standard` itself skips): the test
    // measures both passes and COLMAP's stereo_fusion reads the geometric maps.
    muta::reconstruct::PatchMatchOptions options = muta::reconstruct::PatchMatchPreset("standard");
    options.geometric = true;
    p.figures = muta::reconstruct::RunPatchMatchStereo(p.dense, options, progress);
    p.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return p;
  }();
  return w;
}

// COLMAP's own CPU stereo_fusion reads our geometric maps and fuses a cloud on the true surface.
void CheckColmapFusion(const PagodaMvs& p) {
  if (!muta::FindExecutable("colmap").has_value()) {
    WARN("colmap is not on PATH; skipped");
    return;
  }
  REQUIRE(fs::exists(p.dense / "stereo" / "fusion.cfg"));
  const fs::path out = p.dir / "fused.ply";
  const auto r = RunProgram("colmap", {"stereo_fusion", "--workspace_path", p.dense.string(),
                                       "--input_type", "geometric", "--output_path", out.string()});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  const muta::PointCloud cloud = muta::ReadPlyPointCloud(out);
  CHECK(cloud.size() > 15000);
  const muta::Mesh mesh = muta::ReadPlyMesh(p.dir / "gt" / "mesh.ply");
  Eigen::Vector3f lo = mesh.vertices[0], hi = mesh.vertices[0];
  for (const auto& v : mesh.vertices) lo = lo.cwiseMin(v), hi = hi.cwiseMax(v);
  const double diagonal = (hi - lo).norm();
  const muta::TriangleBvh bvh(mesh);
  // The photographs show a ground plane that the ground-truth mesh lacks: leave out points on
  // it (z < 0.1 m; the building stands on z = 0).
  std::vector<muta::Vec3f> building;
  for (const auto& q : cloud.points) {
    if (q.z() >= 0.1f) building.push_back(q);
  }
  REQUIRE(building.size() > 10000);
  const std::vector<double> d = muta::DistancesToMesh(bvh, building);
  const auto within = [&](double tau) {
    return double(std::count_if(d.begin(), d.end(), [&](double x) { return x < tau; })) /
           double(d.size());
  };
  WARN("fused " << cloud.size() << " points, " << building.size() << " above the ground; "
                << within(0.0025 * diagonal) << " / " << within(0.005 * diagonal) << " / "
                << within(0.01 * diagonal) << " within 0.25 / 0.5 / 1 % of the diagonal ("
                << diagonal << " m)");
  CHECK(within(0.005 * diagonal) >= 0.95);
}

}  // namespace

// One test case, so that ctest (a process per test case) synthesizes and matches the set once.
TEST_CASE("PatchMatch on the synthetic pagoda matches the truth, COLMAP fuses its maps",
          "[e2e][mvs]") {
  const PagodaMvs& p = Pagoda();
  INFO(p.figures.dump());
  REQUIRE(p.model.points.size() > 1000);
  CHECK(p.figures["photometric"]["processed"] == 8);
  CHECK(p.figures["geometric"]["processed"] == 8);
  double photo_complete = 0, geo_complete = 0, geo_accurate = 0;
  for (const auto& [id, image] : p.model.images) {
    const muta::FloatMap truth = muta::ReadColmapArray(TruthPath(p.dir, image.name));
    const auto photo = muta::reconstruct::CompareDepthMaps(
        muta::ReadColmapArray(muta::reconstruct::DepthMapPath(p.dense, image.name, false)), truth,
        0.01);
    const auto geo = muta::reconstruct::CompareDepthMaps(
        muta::ReadColmapArray(muta::reconstruct::DepthMapPath(p.dense, image.name, true)), truth,
        0.01);
    WARN(image.name << ": photometric " << photo.completeness << " within 1%, geometric "
                    << geo.completeness << " within 1% (accuracy " << geo.accuracy
                    << ", median error " << geo.median_relative_error << ")");
    photo_complete += photo.completeness;
    geo_complete += geo.completeness;
    geo_accurate += geo.accuracy;
  }
  const double n = double(p.model.images.size());
  WARN("mean: photometric completeness " << photo_complete / n << ", geometric completeness "
                                         << geo_complete / n << ", geometric accuracy "
                                         << geo_accurate / n << "; " << p.seconds << " s");
  // Thresholds measured on this set (docs/mvs.md), with a margin.
  CHECK(photo_complete / n >= 0.70);
  CHECK(geo_complete / n >= 0.50);
  CHECK(geo_accurate / n >= 0.90);
  CheckColmapFusion(p);
}
