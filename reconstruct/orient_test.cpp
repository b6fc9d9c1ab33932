#include "reconstruct/orient.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>
#include <numbers>

#include "core/colmap_model.h"
#include "core/error.h"
#include "tests/test_util.h"

namespace fs = std::filesystem;
using namespace muta;
using namespace muta::reconstruct;

namespace {

// Image `index` (id index + 1) of camera 1, at `eye` looking at `target`, level (world z up).
SparseImage LevelImage(int index, const std::string& prefix, const Eigen::Vector3d& eye,
                       const Eigen::Vector3d& target) {
  SparseImage image;
  image.id = std::uint32_t(index + 1);
  image.name = prefix + std::to_string(index) + ".jpg";
  image.camera_id = 1;
  image.cam_from_world = LookAt(eye, target, Eigen::Vector3d::UnitZ());
  return image;
}

// Eight upright cameras on a ring around a tower-like cloud of points, world z up (metres).
SparseModel RingModel() {
  SparseModel model;
  Camera camera = Camera::Pinhole(640, 480, 500, 500, 320, 240);
  camera.id = 1;
  model.cameras[1] = camera;
  for (int i = 0; i < 8; ++i) {
    const double a = i * 2 * 3.14159265358979 / 8;
    model.images[std::uint32_t(i + 1)] =
        LevelImage(i, "img", {10 * std::cos(a), 10 * std::sin(a), 1.6}, {0, 0, 2.5});
  }
  std::uint64_t id = 1;
  for (int k = 0; k < 200; ++k) {
    SparsePoint p;
    p.id = id++;
    const double a = k * 0.7;
    p.xyz = {2 * std::cos(a), 2 * std::sin(a), 0.05 * k};
    model.points[p.id] = p;
  }
  return model;
}

Sim3d Scramble() {
  Sim3d t;
  t.scale = 0.31;
  t.rotation = Eigen::AngleAxisd(1.1, Eigen::Vector3d(0.3, -1, 0.6).normalized());
  t.translation = {4, -2, 7};
  return t;
}

std::vector<IngestedImage> Manifest(const SparseModel& model) {
  std::vector<IngestedImage> images;
  for (const auto& [id, image] : model.images) {
    IngestedImage im;
    im.name = image.name;
    images.push_back(im);
  }
  return images;
}

}  // namespace

TEST_CASE("Orient stands an unscaled model upright from its cameras", "[unit][orient]") {
  const SparseModel truth = RingModel();
  SparseModel model = truth;
  const Sim3d scramble = Scramble();
  TransformModel(scramble, model);
  const OrientResult r = ComputeOrientation(model, Manifest(model), OrientOptions{});
  CHECK_FALSE(r.metric);
  CHECK(r.scale_source == "none");
  CHECK(r.up_source == "cameras");
  // World up, through the scramble and the orientation, is +z again.
  const Eigen::Vector3d up =
      r.new_from_sfm.rotation * (scramble.rotation * Eigen::Vector3d::UnitZ());
  CHECK(up.z() == Approx(1.0).margin(1e-9));
  // The foot of the point cloud sits at z = 0, its median on the axis.
  TransformModel(r.new_from_sfm, model);
  double min_z = 1e9;
  for (const auto& [id, p] : model.points) min_z = std::min(min_z, p.xyz.z());
  CHECK(std::abs(min_z) < 0.25 * scramble.scale);
}

TEST_CASE("Orient stands a one-sided capture upright though its cameras look down",
          "[unit][orient]") {
  // Seven level cameras along a 120-degree arc, 8 m up, looking down at the foot of the tower:
  // their up vectors all lean towards it (the mean up vector is off by about 20 degrees here),
  // their right axes stay horizontal.
  SparseModel truth = RingModel();
  truth.images.clear();
  for (int i = 0; i < 7; ++i) {
    const double a = (-60.0 + 20.0 * i) * std::numbers::pi / 180;
    truth.images[std::uint32_t(i + 1)] =
        LevelImage(i, "arc", {12 * std::cos(a), 12 * std::sin(a), 8}, {0, 0, 1});
  }
  SparseModel model = truth;
  const Sim3d scramble = Scramble();
  TransformModel(scramble, model);
  const OrientResult r = ComputeOrientation(model, Manifest(model), OrientOptions{});
  CHECK(r.up_source == "cameras");
  CHECK(r.figures["up_method"] == "level right axes");
  CHECK(r.figures["up_from_mean_deg"].get<double>() > 10);
  const Eigen::Vector3d up =
      r.new_from_sfm.rotation * (scramble.rotation * Eigen::Vector3d::UnitZ());
  CHECK(up.z() == Approx(1.0).margin(1e-9));

  // Cameras all facing one way: their right axes are (nearly) parallel and say nothing about
  // the forward lean, so the mean up vector is used.
  for (auto& [id, image] : truth.images) {
    const double a = (-3.0 + id) * std::numbers::pi / 180;
    image.cam_from_world =
        LookAt({12 * std::cos(a), 12 * std::sin(a), 8}, {0, 0, 1}, Eigen::Vector3d::UnitZ());
  }
  const OrientResult narrow = ComputeOrientation(truth, Manifest(truth), OrientOptions{});
  CHECK(narrow.figures["up_method"] == "mean up vector");
}

TEST_CASE("Orient scales from a scale bar marked in the photographs", "[unit][orient]") {
  const SparseModel truth = RingModel();
  SparseModel model = truth;
  TransformModel(Scramble(), model);
  // Mark two points 2 m apart in every photograph (pixel centres at integers).
  const Eigen::Vector3d a(1, 0, 1), b(1, 0, 3);
  muta::Json marks_a = muta::Json::array(), marks_b = muta::Json::array();
  for (const auto& [id, image] : truth.images) {
    const Camera& cam = truth.cameras.at(1);
    const Eigen::Vector2d pa = cam.Project(image.cam_from_world * a) - Eigen::Vector2d(0.5, 0.5);
    const Eigen::Vector2d pb = cam.Project(image.cam_from_world * b) - Eigen::Vector2d(0.5, 0.5);
    marks_a.push_back({{"image", image.name}, {"x", pa.x()}, {"y", pa.y()}});
    marks_b.push_back({{"image", image.name}, {"x", pb.x()}, {"y", pb.y()}});
  }
  muta::test::TempDir dir("scale-bar");
  const fs::path file = dir / "bar.json";
  std::ofstream(file)
      << muta::Json{{"scale_bars", {{{"a", marks_a}, {"b", marks_b}, {"distance", 2.0}}}}}.dump();
  OrientOptions o;
  o.scale_bar = file;
  const OrientResult r = ComputeOrientation(model, Manifest(model), o);
  CHECK(r.metric);
  CHECK(r.scale_source == "scale-bar");
  CHECK(r.new_from_sfm.scale * Scramble().scale == Approx(1.0).epsilon(1e-6));

  SECTION("a bad scale bar file is named") {
    std::ofstream(file) << R"({"scale_bars": [{"a": [], "distance": 1}]})";
    CHECK_THROWS_WITH(ComputeOrientation(model, Manifest(model), o), Catch::Contains("bar.json"));
  }
}

TEST_CASE("Orient moves the model onto control points and GPS", "[unit][orient]") {
  const SparseModel truth = RingModel();
  SparseModel model = truth;
  const Sim3d scramble = Scramble();
  TransformModel(scramble, model);
  muta::test::TempDir dir("control");
  {
    std::ofstream out(dir / "control.txt");
    out << "# image X Y Z\n";
    for (const auto& [id, image] : truth.images) {
      const Eigen::Vector3d c = CameraCenter(image.cam_from_world);
      out << image.name << " " << c.x() << " " << c.y() << " " << c.z() << "\n";
    }
  }
  OrientOptions o;
  o.control = dir / "control.txt";
  const OrientResult r = ComputeOrientation(model, Manifest(model), o);
  CHECK(r.metric);
  CHECK(r.scale_source == "control");
  const Sim3d inv = scramble.Inverse();
  CHECK(r.new_from_sfm.scale == Approx(inv.scale).epsilon(1e-6));
  CHECK((r.new_from_sfm.translation - inv.translation).norm() < 1e-6);
  CHECK(r.figures["control_rms_m"].get<double>() < 1e-6);

  // GPS: cameras at known positions around a reference latitude.
  auto images = Manifest(model);
  for (auto& im : images) {
    const SparseImage* image = truth.FindImage(im.name);
    const Eigen::Vector3d c = CameraCenter(image->cam_from_world);
    im.gps_latitude_deg = 48.0 + c.y() / 111200.0;
    im.gps_longitude_deg = 2.0 + c.x() / (111320.0 * std::cos(48.0 * 3.14159265358979 / 180));
    im.gps_altitude_m = 100 + c.z();
  }
  const OrientResult g = ComputeOrientation(model, images, OrientOptions{});
  CHECK(g.scale_source == "gps");
  CHECK(g.new_from_sfm.scale * scramble.scale == Approx(1.0).epsilon(0.01));

  std::ofstream(dir / "bad.txt") << "img0.jpg 1 2\n";
  o.control = dir / "bad.txt";
  CHECK_THROWS_WITH(ComputeOrientation(model, Manifest(model), o), Catch::Contains("bad.txt:1"));
}

TEST_CASE("Rays intersect where they meet, parallel rays are an error", "[unit][orient]") {
  const Eigen::Vector3d p = IntersectRays({{0, 0, 0}, {10, 0, 0}}, {{1, 1, 0}, {-1, 1, 0}});
  CHECK((p - Eigen::Vector3d(5, 5, 0)).norm() < 1e-9);
  CHECK_THROWS_AS(IntersectRays({{0, 0, 0}, {1, 0, 0}}, {{0, 1, 0}, {0, 1, 0}}), muta::Error);
}
