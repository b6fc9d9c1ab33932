#include "core/camera.h"

#include <catch2/catch.hpp>

#include "core/error.h"
#include "core/pose.h"

TEST_CASE("Camera models project and unproject consistently", "[unit][camera]") {
  std::vector<muta::Camera> cameras;
  cameras.push_back(muta::Camera::Pinhole(640, 480, 500, 510, 320.5, 240.25));
  cameras.push_back(muta::Camera::SimpleRadial(640, 480, 500, 320, 240, -0.08));
  muta::Camera radial{0, muta::CameraModel::kRadial, 640, 480, {500, 320, 240, -0.1, 0.02}};
  muta::Camera opencv{
      0, muta::CameraModel::kOpenCV, 640, 480, {500, 505, 321, 239, -0.1, 0.01, 0.001, -0.002}};
  muta::Camera simple{0, muta::CameraModel::kSimplePinhole, 640, 480, {450, 320, 240}};
  muta::Camera full{0,
                    muta::CameraModel::kFullOpenCV,
                    640,
                    480,
                    {500, 505, 321, 239, -0.1, 0.01, 0.001, -0.002, 0.001, 0.01, 0.0, 0.0}};
  cameras.insert(cameras.end(), {radial, opencv, simple, full});
  for (const auto& camera : cameras) {
    INFO(muta::CameraModelName(camera.model));
    REQUIRE_NOTHROW(camera.Check());
    for (double x : {-0.5, -0.1, 0.0, 0.2, 0.45}) {
      for (double y : {-0.3, 0.0, 0.35}) {
        const Eigen::Vector3d p(x * 3, y * 3, 3.0);
        const Eigen::Vector2d pixel = camera.Project(p);
        const Eigen::Vector3d ray = camera.Unproject(pixel);
        CHECK(ray.x() == Approx(x).margin(1e-9));
        CHECK(ray.y() == Approx(y).margin(1e-9));
        const Eigen::Vector2d ideal = camera.UndistortPixel(pixel);
        CHECK(ideal.x() == Approx(camera.FocalX() * x + camera.PrincipalX()).margin(1e-6));
      }
    }
  }
}

TEST_CASE("Pinhole projection follows K", "[unit][camera]") {
  const auto camera = muta::Camera::Pinhole(100, 80, 50, 60, 49.5, 39.5);
  const Eigen::Vector2d px = camera.Project({1.0, -2.0, 4.0});
  CHECK(px.x() == Approx(50 * 0.25 + 49.5));
  CHECK(px.y() == Approx(60 * -0.5 + 39.5));
  CHECK(camera.K()(1, 1) == 60);
  CHECK(!camera.HasDistortion());
}

TEST_CASE("Camera::Check rejects bad parameters", "[unit][camera]") {
  muta::Camera c = muta::Camera::Pinhole(100, 80, 50, 60, 49.5, 39.5);
  c.params.pop_back();
  CHECK_THROWS_WITH(c.Check(), Catch::Contains("PINHOLE needs 4"));
  c = muta::Camera::Pinhole(0, 80, 50, 60, 49.5, 39.5);
  CHECK_THROWS_AS(c.Check(), muta::Error);
  c = muta::Camera::Pinhole(100, 80, -50, 60, 49.5, 39.5);
  CHECK_THROWS_AS(c.Check(), muta::Error);
  c = muta::Camera::Pinhole(100, 80, std::nan(""), 60, 49.5, 39.5);
  CHECK_THROWS_AS(c.Check(), muta::Error);
  CHECK(muta::CameraModelFromName("OPENCV") == muta::CameraModel::kOpenCV);
  CHECK(!muta::CameraModelFromName("NOPE").has_value());
  CHECK(!muta::CameraModelFromId(11).has_value());
}

TEST_CASE("Poses compose, invert and transform", "[unit][pose]") {
  muta::Rigid3d a;
  a.rotation = Eigen::AngleAxisd(0.3, Eigen::Vector3d(1, 2, 3).normalized());
  a.translation = {1, -2, 0.5};
  const Eigen::Vector3d p(0.2, 0.7, -1.1);
  CHECK((a.Inverse() * (a * p) - p).norm() < 1e-12);
  CHECK(((a * a.Inverse()).translation).norm() < 1e-12);

  muta::Sim3d s;
  s.scale = 2.5;
  s.rotation = Eigen::AngleAxisd(-0.7, Eigen::Vector3d::UnitZ());
  s.translation = {3, 4, 5};
  CHECK((s.Inverse() * (s * p) - p).norm() < 1e-12);
  // A world point seen by the camera is the same pixel ray after moving both.
  const muta::Rigid3d moved = muta::TransformPose(s, a);
  const Eigen::Vector3d before = a * p;
  const Eigen::Vector3d after = moved * (s * p);
  CHECK((after / s.scale - before).norm() < 1e-12);
  CHECK((muta::CameraCenter(moved) - s * muta::CameraCenter(a)).norm() < 1e-12);
  CHECK(muta::RotationAngleDeg(a.rotation, a.rotation) == Approx(0).margin(1e-6));
  CHECK(muta::RotationAngleDeg(Eigen::Quaterniond::Identity(),
                               Eigen::Quaterniond(Eigen::AngleAxisd(
                                   0.5, Eigen::Vector3d::UnitY()))) == Approx(0.5 * 180 / M_PI));
}
