// Camera rigs: count, determinism, intrinsics, and every camera looking at the building.
#include <catch2/catch.hpp>

#include <cmath>

#include "tools/synth/synth.h"

using namespace muta;
using namespace muta::synth;

namespace {

Building Pagoda(std::uint64_t seed) {
  BuildingOptions o;
  o.seed = seed;
  return BuildBuilding(o);
}

}  // namespace

TEST_CASE("camera rigs look at the building", "[unit][synth]") {
  for (SceneType scene : {SceneType::kPagoda, SceneType::kHall, SceneType::kGate}) {
    BuildingOptions bo;
    bo.scene = scene;
    bo.seed = 2;
    const Building b = BuildBuilding(bo);
    for (int n : {2, 5, 12, 24}) {
      INFO(SceneTypeName(scene) << " " << n << " images");
      RigOptions o;
      o.images = n;
      o.width = 640;
      o.height = 480;
      const SparseModel rig = MakeCameraRig(b, o, 2);
      REQUIRE(rig.images.size() == static_cast<std::size_t>(n));
      REQUIRE(rig.cameras.size() == 1);
      const Camera& cam = rig.cameras.at(1);
      CHECK(cam.model == CameraModel::kPinhole);
      CHECK(cam.FocalX() == Approx(0.9 * 640));
      const Box3f box = BoundingBox(b.mesh.vertices);
      for (const auto& [id, image] : rig.images) {
        INFO(image.name);
        // Outside the building, above the ground.
        const Eigen::Vector3d c = CameraCenter(image.cam_from_world);
        CHECK(c.z() > 0.5);
        CHECK(((c.cast<float>().array() < box.min.array()).any() ||
               (c.cast<float>().array() > box.max.array()).any()));
        // Most of the building's vertices are in view (close-ups see a part of it).
        std::size_t inside = 0, total = 0;
        for (std::size_t v = 0; v < b.mesh.vertices.size(); v += 50, ++total) {
          const Eigen::Vector3d p = image.cam_from_world * b.mesh.vertices[v].cast<double>();
          if (p.z() <= 0) continue;
          const Eigen::Vector2d px = cam.Project(p);
          if (px.x() >= 0 && px.y() >= 0 && px.x() < cam.width && px.y() < cam.height) ++inside;
        }
        CHECK(inside > total / 5);
      }
    }
  }
}

TEST_CASE("camera rigs are deterministic and honour the intrinsics options", "[unit][synth]") {
  const Building b = Pagoda(3);
  RigOptions o;
  o.images = 8;
  const SparseModel a = MakeCameraRig(b, o, 3), c = MakeCameraRig(b, o, 3);
  for (const auto& [id, image] : a.images) {
    CHECK(image.name == c.images.at(id).name);
    CHECK(image.cam_from_world.translation == c.images.at(id).cam_from_world.translation);
    CHECK(image.cam_from_world.rotation.coeffs() ==
          c.images.at(id).cam_from_world.rotation.coeffs());
  }
  CHECK(a.images.at(1).name == "view_000.jpg");
  o.radial = -0.05;
  o.focal_px = 700;
  const SparseModel r = MakeCameraRig(b, o, 3);
  CHECK(r.cameras.at(1).model == CameraModel::kSimpleRadial);
  CHECK(r.cameras.at(1).params[0] == 700);
  CHECK(r.cameras.at(1).params[3] == -0.05);
  o.focal_px.reset();
  o.fov_deg = 90;
  CHECK(o.FocalPixels() == Approx(512));
}

TEST_CASE("bad rig options name the field", "[unit][synth]") {
  using Catch::Contains;
  RigOptions o;
  o.images = 1;
  CHECK_THROWS_WITH(o.Check(), Contains("images"));
  o = {};
  o.width = 0;
  CHECK_THROWS_WITH(o.Check(), Contains("--size"));
  o = {};
  o.focal_px = 500;
  o.fov_deg = 60;
  CHECK_THROWS_WITH(o.Check(), Contains("not both"));
  o = {};
  o.focal_px = -3;
  CHECK_THROWS_WITH(o.Check(), Contains("focal_px"));
  o = {};
  o.radial = 2;
  CHECK_THROWS_WITH(o.Check(), Contains("radial"));
  SynthOptions s;
  s.texture_size = 3;
  CHECK_THROWS_WITH(s.Check(), Contains("texture_size"));
  s = {};
  s.visible_density = 0;
  CHECK_THROWS_WITH(s.Check(), Contains("visible_density"));
}

TEST_CASE("held-out views lie between the main ring's photographs", "[unit][synth]") {
  const Building b = Pagoda(4);
  RigOptions o;
  o.width = 480;
  o.height = 360;
  for (const int images : {8, 12, 40}) {  // arcs, and a full circle (20 main-ring views)
    o.images = images;
    const SparseModel rig = MakeCameraRig(b, o, 4);
    const int n_main = images - 2 * static_cast<int>(std::lround(0.25 * images));
    for (const int count : {1, 2, 4, 9}) {
      INFO(images << " images, " << count << " held out");
      const SparseModel holdout = MakeHoldoutRig(b, o, 4, count);
      REQUIRE(holdout.images.size() == static_cast<std::size_t>(count));
      CHECK(holdout.cameras.at(1).width == 480);
      CHECK(holdout.cameras.at(1).FocalX() == rig.cameras.at(1).FocalX());
      CHECK(holdout.images.at(1).name == "holdout_000.jpg");
      // Main-ring azimuths (the first n_main views) and their angular spacing.
      std::vector<double> main_az;
      for (int i = 1; i <= n_main; ++i) {
        const Eigen::Vector3d c = CameraCenter(rig.images.at(i).cam_from_world);
        main_az.push_back(std::atan2(c.y(), c.x()));
      }
      auto angle = [](double x, double y) { return std::abs(std::remainder(x - y, 2.0 * M_PI)); };
      const double step = angle(main_az[0], main_az[1]);
      for (const auto& [id, image] : holdout.images) {
        INFO(image.name);
        const Eigen::Vector3d c = CameraCenter(image.cam_from_world);
        const double az = std::atan2(c.y(), c.x());
        // Never on a training view, never beyond the ring's neighbours: between two of them.
        double nearest = 1e9;
        for (const double m : main_az) nearest = std::min(nearest, angle(az, m));
        CHECK(nearest > 0.1 * step);
        CHECK(nearest < 0.5 * step + 1e-9);
        // At the main ring's height, looking at the building's middle.
        const Eigen::Vector3d centre_cam = image.cam_from_world * Eigen::Vector3d(0, 0, c.z());
        CHECK(centre_cam.z() > 0);
        CHECK(std::abs(centre_cam.x() / centre_cam.z()) < 0.1);
        for (const auto& [tid, train] : rig.images) {
          CHECK((CameraCenter(train.cam_from_world) - c).norm() > 0.05);
        }
      }
    }
  }
  CHECK_THROWS_WITH(MakeHoldoutRig(b, o, 4, 0), Catch::Contains("--holdout"));
  SynthOptions s;
  s.holdout = -1;
  CHECK_THROWS_WITH(s.Check(), Catch::Contains("holdout"));
  s = {};
  s.holdout_close = 1001;
  CHECK_THROWS_WITH(s.Check(), Catch::Contains("--holdout-close"));
}

TEST_CASE("held-out close-ups come after the held-out views, nearer the building",
          "[unit][synth]") {
  const Building b = Pagoda(4);
  RigOptions o;
  o.width = 480;
  o.height = 360;
  o.images = 12;
  const SparseModel ring = MakeHoldoutRig(b, o, 4, 3);
  const SparseModel both = MakeHoldoutRig(b, o, 4, 3, 4);
  REQUIRE(both.images.size() == 7);
  const SparseModel rig = MakeCameraRig(b, o, 4);
  double ring_distance = 0;
  for (int id = 1; id <= 3; ++id) {  // the held-out views themselves are unchanged
    CHECK(both.images.at(id).name == ring.images.at(id).name);
    CHECK(CameraCenter(both.images.at(id).cam_from_world)
              .isApprox(CameraCenter(ring.images.at(id).cam_from_world)));
    ring_distance =
        std::max(ring_distance, CameraCenter(ring.images.at(id).cam_from_world).head<2>().norm());
  }
  double lowest = 1e9, highest = -1e9;
  for (int k = 0; k < 4; ++k) {
    const SparseImage& image = both.images.at(4 + k);
    INFO(image.name);
    CHECK(image.name == "holdout_close_00" + std::to_string(k) + ".jpg");
    const Eigen::Vector3d c = CameraCenter(image.cam_from_world);
    CHECK(c.head<2>().norm() < 0.6 * ring_distance);  // nearer than the ring
    lowest = std::min(lowest, c.z()), highest = std::max(highest, c.z());
    for (const auto& [tid, train] : rig.images) {  // on no photograph
      CHECK((CameraCenter(train.cam_from_world) - c).norm() > 0.05);
    }
  }
  CHECK(highest > lowest + 1.0);  // at several heights
  CHECK(MakeHoldoutRig(b, o, 4, 0, 2).images.at(1).name == "holdout_close_000.jpg");
  CHECK_THROWS_WITH(MakeHoldoutRig(b, o, 4, 0, 0), Catch::Contains("--holdout"));
}
