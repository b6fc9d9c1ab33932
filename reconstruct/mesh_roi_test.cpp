// Region of interest from camera configurations with a known answer.
#include "reconstruct/mesh_roi.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <numbers>
#include <vector>

#include "core/camera.h"
#include "core/error.h"
#include "core/pose.h"

namespace muta::reconstruct {
namespace {

// A model with one camera per (eye, target) pair.
SparseModel Cameras(const std::vector<std::pair<Eigen::Vector3d, Eigen::Vector3d>>& views) {
  SparseModel model;
  Camera camera = Camera::Pinhole(640, 480, 500, 500, 320, 240);
  camera.id = 1;
  model.cameras[1] = camera;
  std::uint32_t id = 1;
  for (const auto& [eye, target] : views) {
    SparseImage image;
    image.id = id;
    image.name = "view_" + std::to_string(id) + ".jpg";
    image.camera_id = 1;
    image.cam_from_world = LookAt(eye, target);
    model.images[id++] = image;
  }
  return model;
}

}  // namespace

TEST_CASE("the region of interest is where the cameras look", "[unit][mesh]") {
  const Eigen::Vector3d target(2, -1, 5);
  SECTION("a full ring at two heights") {
    std::vector<std::pair<Eigen::Vector3d, Eigen::Vector3d>> views;
    for (int i = 0; i < 12; ++i) {
      const double a = 2 * std::numbers::pi * i / 12;
      views.emplace_back(
          target + Eigen::Vector3d(10 * std::cos(a), 10 * std::sin(a), i % 2 == 0 ? 2.0 : -1.0),
          target);
    }
    const auto roi = EstimateRegionOfInterest(Cameras(views), 1.5);
    REQUIRE(roi);
    CHECK((roi->center - target).norm() < 1e-6);
    const double d_high = std::sqrt(100.0 + 4), d_low = std::sqrt(100.0 + 1);
    CHECK(roi->camera_distance >= d_low - 1e-9);
    CHECK(roi->camera_distance <= d_high + 1e-9);
    CHECK(roi->radius == Approx(1.5 * roi->camera_distance));
    CHECK(roi->axis_spread > 0.01);
  }
  SECTION("a partial arc (one side of a building), axes slightly off target") {
    std::vector<std::pair<Eigen::Vector3d, Eigen::Vector3d>> views;
    for (int i = 0; i < 8; ++i) {
      const double a = std::numbers::pi * (0.25 + 0.5 * i / 7.0);  // 45..135 degrees
      const Eigen::Vector3d jitter(0.1 * ((i % 3) - 1), 0.1 * ((i % 2) * 2 - 1), 0.05 * (i % 3));
      views.emplace_back(target + Eigen::Vector3d(8 * std::cos(a), 8 * std::sin(a), 3),
                         target + jitter);
    }
    const auto roi = EstimateRegionOfInterest(Cameras(views), 1.0);
    REQUIRE(roi);
    CHECK((roi->center - target).norm() < 0.3);
    CHECK(roi->radius == Approx(std::sqrt(64.0 + 9)).margin(0.3));
  }
  SECTION("parallel axes (a nadir block) have no region of interest") {
    std::vector<std::pair<Eigen::Vector3d, Eigen::Vector3d>> views;
    for (int i = 0; i < 9; ++i) {
      const Eigen::Vector3d eye(10.0 * (i % 3), 10.0 * (i / 3), 50);
      views.emplace_back(eye, eye + Eigen::Vector3d(0.001 * i, 0, -1));
    }
    CHECK_FALSE(EstimateRegionOfInterest(Cameras(views), 1.0));
  }
  SECTION("cameras looking outwards have no region of interest") {
    std::vector<std::pair<Eigen::Vector3d, Eigen::Vector3d>> views;
    for (int i = 0; i < 8; ++i) {
      const double a = 2 * std::numbers::pi * i / 8;
      const Eigen::Vector3d eye(std::cos(a), std::sin(a), 0);
      views.emplace_back(eye, 2 * eye);
    }
    CHECK_FALSE(EstimateRegionOfInterest(Cameras(views), 1.0));
  }
  SECTION("one image has no region of interest; the factor is checked") {
    const SparseModel one = Cameras({{Eigen::Vector3d(0, -5, 0), Eigen::Vector3d::Zero()}});
    CHECK_FALSE(EstimateRegionOfInterest(one, 1.0));
    CHECK_THROWS_AS(EstimateRegionOfInterest(one, 0.0), Error);
  }
}

}  // namespace muta::reconstruct
