// `muta eval` as a user runs it: COLMAP folders and PLY files in, a report or pure JSON out.
#include <cmath>

#include <catch2/catch.hpp>

#include "core/colmap_model.h"
#include "core/json.h"
#include "core/ply_io.h"
#include "core/sampling.h"
#include "tests/test_util.h"

namespace muta {
namespace {

using Eigen::Vector3d;
using test::RunMuta;
using test::TempDir;

// `n` cameras on a helix around the origin, looking at it.
SparseModel MakeCameras(int n) {
  SparseModel model;
  Camera camera = Camera::Pinhole(640, 480, 500, 500, 320, 240);
  camera.id = 1;
  model.cameras[1] = camera;
  for (int i = 0; i < n; ++i) {
    const double angle = 2 * M_PI * i / n;
    const Vector3d center(5 * std::cos(angle), 5 * std::sin(angle), 1 + 0.2 * i);
    SparseImage image;
    image.id = std::uint32_t(i + 1);
    image.name = "view_" + std::to_string(i) + ".png";
    image.camera_id = 1;
    image.cam_from_world = LookAt(center, Vector3d::Zero());
    model.images[image.id] = image;
  }
  return model;
}

Sim3d ModelFromGt() {
  Sim3d s;
  s.scale = 0.4;
  s.rotation = Eigen::AngleAxisd(0.7, Vector3d(1, 2, -0.5).normalized());
  s.translation = Vector3d(2, -3, 0.5);
  return s;
}

SparseModel Transformed(SparseModel model, const Sim3d& world2_from_world1) {
  for (auto& [id, image] : model.images) {
    image.cam_from_world = TransformPose(world2_from_world1, image.cam_from_world);
  }
  return model;
}

Mesh MakeSphere(double radius, int stacks = 24, int slices = 48) {
  Mesh mesh;
  mesh.vertices.emplace_back(0.0f, 0.0f, float(radius));
  for (int i = 1; i < stacks; ++i) {
    const double theta = M_PI * i / stacks;
    for (int j = 0; j < slices; ++j) {
      const double phi = 2 * M_PI * j / slices;
      mesh.vertices.push_back((radius * Vector3d(std::sin(theta) * std::cos(phi),
                                                 std::sin(theta) * std::sin(phi), std::cos(theta)))
                                  .cast<float>());
    }
  }
  mesh.vertices.emplace_back(0.0f, 0.0f, float(-radius));
  const auto ring = [&](int i, int j) { return std::uint32_t(1 + (i - 1) * slices + j % slices); };
  const auto south = std::uint32_t(mesh.vertices.size() - 1);
  for (int j = 0; j < slices; ++j) {
    mesh.faces.emplace_back(0, ring(1, j), ring(1, j + 1));
    mesh.faces.emplace_back(south, ring(stacks - 1, j + 1), ring(stacks - 1, j));
    for (int i = 1; i + 1 < stacks; ++i) {
      mesh.faces.emplace_back(ring(i, j), ring(i + 1, j), ring(i + 1, j + 1));
      mesh.faces.emplace_back(ring(i, j), ring(i + 1, j + 1), ring(i, j + 1));
    }
  }
  return mesh;
}

Json ParseStdout(const test::CommandResult& r) {
  INFO("stderr: " << r.err);
  REQUIRE(r.exit_code == 0);
  return Json::parse(r.out);  // throws (failing the test) unless stdout is pure JSON
}

}  // namespace

TEST_CASE("muta eval cameras --json", "[unit][cli]") {
  TempDir dir("eval-cameras");
  const SparseModel gt = MakeCameras(12);
  WriteSparseModel(dir / "gt", gt);
  WriteSparseModel(dir / "moved", Transformed(gt, ModelFromGt()), SparseFormat::kText);

  SECTION("against itself") {
    const Json j = ParseStdout(RunMuta({"eval", "cameras", "--gt", (dir / "gt").string(), "--model",
                                        (dir / "gt").string(), "--json"}));
    for (const char* key :
         {"registered", "total", "position_error_median", "position_error_max",
          "rotation_error_median_deg", "rotation_error_max_deg", "up_error_deg", "scale"}) {
      INFO(key);
      CHECK(j.contains(key));
    }
    CHECK(j["registered"] == 12);
    CHECK(j["total"] == 12);
    CHECK(j["position_error_max"].get<double>() < 1e-9);
    CHECK(j["rotation_error_max_deg"].get<double>() < 1e-5);
    CHECK(j["up_error_deg"].get<double>() < 1e-5);
    CHECK(j["scale"].get<double>() == Approx(1.0));
    CHECK(j["missing"].empty());
  }
  SECTION("against a moved, scaled copy") {
    const Json j = ParseStdout(RunMuta({"eval", "cameras", "--gt", (dir / "gt").string(), "--model",
                                        (dir / "moved").string(), "--json"}));
    CHECK(j["registered"] == 12);
    CHECK(j["scale"].get<double>() == Approx(1 / 0.4).epsilon(1e-6));
    CHECK(j["position_error_max"].get<double>() < 1e-6);
    CHECK(j["rotation_error_max_deg"].get<double>() < 1e-4);
    // The copy is turned by 0.7 rad about (1, 2, -0.5): its +z leans 39.1 degrees.
    CHECK(j["up_error_deg"].get<double>() == Approx(39.1).margin(0.1));
  }
  SECTION("a text report without --json") {
    const auto r = RunMuta(
        {"eval", "cameras", "--gt", (dir / "gt").string(), "--model", (dir / "moved").string()});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(r.out.find("registered      12 / 12") != std::string::npos);
    CHECK(r.out.find("scale") != std::string::npos);
  }
  SECTION("a missing folder is a user error naming it") {
    const std::string missing = (dir / "no-such-model").string();
    const auto r =
        RunMuta({"eval", "cameras", "--gt", (dir / "gt").string(), "--model", missing, "--json"});
    CHECK(r.exit_code == 1);
    CHECK(r.out.empty());
    CHECK(r.err.find(missing) != std::string::npos);
  }
  SECTION("a required option left out") {
    CHECK(RunMuta({"eval", "cameras", "--gt", (dir / "gt").string()}).exit_code == 1);
    CHECK(RunMuta({"eval"}).exit_code == 1);
  }
}

TEST_CASE("muta eval mesh --json", "[unit][cli]") {
  TempDir dir("eval-mesh");
  const double delta = 0.02;
  WritePly(dir / "gt.ply", MakeSphere(1));
  WritePly(dir / "rec.ply", MakeSphere(1 + delta), PlyFormat::kAscii);
  PointCloud cloud;
  cloud.points = SampleSurface(MakeSphere(1 + delta), 20'000, 1);
  WritePly(dir / "cloud.ply", cloud);
  const std::vector<std::string> base = {"eval", "mesh", "--gt", (dir / "gt.ply").string(),
                                         "--json"};
  auto args = [&](std::vector<std::string> extra) {
    std::vector<std::string> all = base;
    all.insert(all.end(), extra.begin(), extra.end());
    return all;
  };

  SECTION("a mesh") {
    const Json j =
        ParseStdout(RunMuta(args({"--mesh", (dir / "rec.ply").string(), "--tau", "0.03"})));
    for (const char* key : {"tau", "precision", "recall", "f_score", "accuracy_mean",
                            "completeness_mean", "chamfer"}) {
      INFO(key);
      CHECK(j.contains(key));
    }
    CHECK(j["tau"].get<double>() == 0.03);
    CHECK(j["precision"].get<double>() == 1);
    CHECK(j["recall"].get<double>() == 1);
    CHECK(j["f_score"].get<double>() == 1);
    CHECK(j["chamfer"].get<double>() == Approx(delta).epsilon(0.01));

    const Json strict =
        ParseStdout(RunMuta(args({"--mesh", (dir / "rec.ply").string(), "--tau", "0.015"})));
    CHECK(strict["f_score"].get<double>() == 0);
  }
  SECTION("a point cloud, with a sample limit") {
    const Json j = ParseStdout(RunMuta(
        args({"--mesh", (dir / "cloud.ply").string(), "--tau", "0.05", "--samples", "5000"})));
    CHECK(j["num_reconstruction_samples"] == 20'000);
    CHECK(j["num_gt_samples"] == 5000);
    CHECK(j["precision"].get<double>() == 1);
    CHECK(j["recall"].get<double>() > 0.99);
    CHECK(j["accuracy_mean"].get<double>() == Approx(delta).epsilon(0.01));
  }
  SECTION("visible ground truth") {
    PointCloud visible;
    for (const Vec3f& p : SampleSurface(MakeSphere(1), 4000, 2)) {
      if (p.z() > 0.5f) visible.points.push_back(p);
    }
    WritePly(dir / "visible.ply", visible);
    const Json j = ParseStdout(RunMuta(args({"--mesh", (dir / "rec.ply").string(), "--tau", "0.03",
                                             "--gt-visible", (dir / "visible.ply").string()})));
    CHECK(j["num_gt_samples"] == visible.size());
    CHECK(j["recall"].get<double>() == 1);
  }
  SECTION("aligned by the cameras first") {
    // The reconstruction and its cameras in an SfM frame: moved, rotated, scaled.
    const Sim3d model_from_gt = ModelFromGt();
    Mesh rec = MakeSphere(1 + delta);
    for (Vec3f& v : rec.vertices) v = (model_from_gt * v.cast<double>()).cast<float>();
    WritePly(dir / "rec-model.ply", rec);
    const SparseModel gt_cameras = MakeCameras(10);
    WriteSparseModel(dir / "gt-sparse", gt_cameras);
    WriteSparseModel(dir / "sparse", Transformed(gt_cameras, model_from_gt));

    const Json j = ParseStdout(
        RunMuta(args({"--mesh", (dir / "rec-model.ply").string(), "--tau", "0.03", "--model",
                      (dir / "sparse").string(), "--gt-model", (dir / "gt-sparse").string()})));
    CHECK(j["f_score"].get<double>() == 1);
    CHECK(j["chamfer"].get<double>() == Approx(delta).epsilon(0.01));
    CHECK(j["alignment"]["scale"].get<double>() == Approx(1 / 0.4).epsilon(1e-6));

    // Without the alignment the surfaces do not meet.
    const Json raw =
        ParseStdout(RunMuta(args({"--mesh", (dir / "rec-model.ply").string(), "--tau", "0.03"})));
    CHECK(raw["f_score"].get<double>() < 0.1);
    // --model alone is refused.
    CHECK(RunMuta(args({"--mesh", (dir / "rec-model.ply").string(), "--tau", "0.03", "--model",
                        (dir / "sparse").string()}))
              .exit_code == 1);
  }
  SECTION("text report") {
    const auto r = RunMuta({"eval", "mesh", "--gt", (dir / "gt.ply").string(), "--mesh",
                            (dir / "rec.ply").string(), "--tau", "0.03"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(r.out.find("f_score            1.0000") != std::string::npos);
  }
  SECTION("bad input is a user error naming the file or option") {
    const std::string missing = (dir / "missing.ply").string();
    auto r = RunMuta(args({"--mesh", missing, "--tau", "0.03"}));
    CHECK(r.exit_code == 1);
    CHECK(r.out.empty());
    CHECK(r.err.find(missing) != std::string::npos);
    r = RunMuta(args({"--mesh", (dir / "rec.ply").string()}));  // no --tau
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("--tau") != std::string::npos);
    r = RunMuta(args({"--mesh", (dir / "rec.ply").string(), "--tau", "-1"}));
    CHECK(r.exit_code == 1);
    test::WriteBytes(dir / "broken.ply", "ply\nformat ascii 1.0\nelement vertex 3\n");
    r = RunMuta(args({"--mesh", (dir / "broken.ply").string(), "--tau", "0.03"}));
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("broken.ply") != std::string::npos);
  }
}

}  // namespace muta
