// Tests of the Strecha .camera reader: layout, conventions (camera-to-world R, COLMAP's pixel
// centres) and broken input, each of which must be a muta::Error naming the file and the fix.

#include "core/strecha_camera.h"

#include <cmath>
#include <functional>
#include <string>
#include <typeinfo>

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include "core/error.h"
#include "tests/test_util.h"

namespace muta {
using muta::test::ErrorOf;

namespace {

namespace fs = std::filesystem;
using Catch::Matchers::Contains;
using test::TempDir;

// The 26 numbers of a camera looking from `center` at `target`, written with 6 significant
// digits as the benchmark's files are.
struct TestCamera {
  Eigen::Matrix3d K;
  Eigen::Matrix3d world_from_cam;
  Eigen::Vector3d center;
  int width = 3072;
  int height = 2048;
};

TestCamera MakeCamera(const Eigen::Vector3d& center, const Eigen::Vector3d& target) {
  TestCamera c;
  c.K << 2759.48, 0, 1520.69, 0, 2764.16, 1006.81, 0, 0, 1;
  c.world_from_cam = LookAt(center, target).rotation.conjugate().toRotationMatrix();
  c.center = center;
  return c;
}

std::string Format(const TestCamera& c, const Eigen::Vector3d& distortion = {0, 0, 0}) {
  std::string s;
  for (int r = 0; r < 3; ++r) {
    s += fmt::format("{:g} {:g} {:g} \n", c.K(r, 0), c.K(r, 1), c.K(r, 2));
  }
  s += fmt::format("{:g} {:g} {:g}\n", distortion[0], distortion[1], distortion[2]);
  for (int r = 0; r < 3; ++r) {
    s += fmt::format("{:g} {:g} {:g} \n", c.world_from_cam(r, 0), c.world_from_cam(r, 1),
                     c.world_from_cam(r, 2));
  }
  s += fmt::format("{:g} {:g} {:g} \n{} {}\n", c.center[0], c.center[1], c.center[2], c.width,
                   c.height);
  return s;
}

// A valid file's text whose numbers (0-based index) are replaced by `token`.
std::string WithToken(const std::string& text, std::size_t index, const std::string& token) {
  std::istringstream in(text);
  std::string out, t;
  for (std::size_t i = 0; in >> t; ++i) out += (i == index ? token : t) + (i % 3 == 2 ? "\n" : " ");
  return out;
}

TEST_CASE("A Strecha camera parses into COLMAP's conventions", "[unit][strecha]") {
  const TestCamera truth = MakeCamera({-7.28, -7.58, 0.2}, {-2.0, 1.0, 1.5});
  const StrechaCamera cam = ParseStrechaCamera(Format(truth), "0000.jpg.camera");
  CHECK(cam.width == 3072);
  CHECK(cam.height == 2048);
  CHECK(cam.K(0, 0) == Approx(2759.48));
  CHECK(cam.K(1, 2) == Approx(1006.81));
  CHECK(cam.distortion.isZero());
  CHECK((cam.center - truth.center).norm() < 1e-5);
  // R was rounded to 6 digits in the text; the reader returns the nearest exact rotation.
  CHECK((cam.world_from_cam.transpose() * cam.world_from_cam - Eigen::Matrix3d::Identity())
            .cwiseAbs()
            .maxCoeff() < 1e-12);
  CHECK((cam.world_from_cam - truth.world_from_cam).cwiseAbs().maxCoeff() < 1e-5);

  // The pose is world-to-camera: the centre maps to the origin, and a world point projects to
  // K R^T (X - C), the same pixel in COLMAP's convention (kStrechaToColmapPrincipalPointOffset).
  const Rigid3d pose = cam.CamFromWorld();
  CHECK((CameraCenter(pose) - cam.center).norm() < 1e-9);
  const Camera colmap = cam.ToColmapCamera(7);
  CHECK(colmap.id == 7);
  CHECK(colmap.model == CameraModel::kPinhole);
  CHECK(colmap.PrincipalX() == Approx(1520.69 + kStrechaToColmapPrincipalPointOffset));
  CHECK(colmap.PrincipalY() == Approx(1006.81 + kStrechaToColmapPrincipalPointOffset));
  const Eigen::Vector3d x(-1.5, 0.5, 1.2);
  const Eigen::Vector3d strecha = cam.K * cam.world_from_cam.transpose() * (x - cam.center);
  const Eigen::Vector2d expected =
      strecha.hnormalized() + Eigen::Vector2d::Constant(kStrechaToColmapPrincipalPointOffset);
  const Eigen::Vector3d in_camera = pose * x;
  REQUIRE(in_camera.z() > 0);
  CHECK((colmap.Project(in_camera) - expected).norm() < 1e-9);
  // The camera looks at its target: the target projects near the image centre region.
  const Eigen::Vector2d target_px = colmap.Project(pose * Eigen::Vector3d(-2.0, 1.0, 1.5));
  CHECK((target_px - Eigen::Vector2d(1520.69, 1006.81)).norm() < 0.6);
}

TEST_CASE("A folder of .camera files reads into a sparse model", "[unit][strecha]") {
  TempDir dir("strecha-folder");
  test::WriteBytes(dir / "0001.jpg.camera", Format(MakeCamera({1, 0, 0}, {0, 5, 0})));
  test::WriteBytes(dir / "0000.jpg.camera", Format(MakeCamera({0, 0, 0}, {0, 5, 0})));
  test::WriteBytes(dir / "0002.jpg.camera", Format(MakeCamera({2, 0, 0.5}, {0, 5, 0})));
  test::WriteBytes(dir / "README.txt", "not a camera");
  fs::create_directories(dir / "sub.camera");  // a folder, not a file: ignored
  REQUIRE(IsStrechaCameraFolder(dir.path()));
  const SparseModel model = ReadStrechaCameras(dir.path());
  REQUIRE(model.images.size() == 3);
  CHECK(model.cameras.size() == 3);
  CHECK(model.points.empty());
  CHECK(model.images.at(1).name == "0000.jpg");
  CHECK(model.images.at(2).name == "0001.jpg");
  CHECK(model.images.at(3).name == "0002.jpg");
  CHECK(model.images.at(3).camera_id == 3);
  CHECK((CameraCenter(model.FindImage("0002.jpg")->cam_from_world) - Eigen::Vector3d(2, 0, 0.5))
            .norm() < 1e-5);
  CHECK_NOTHROW(model.Check());

  TempDir empty("strecha-empty");
  test::WriteBytes(empty / "notes.txt", "x");
  CHECK_FALSE(IsStrechaCameraFolder(empty.path()));
  CHECK_FALSE(IsStrechaCameraFolder(empty / "missing"));
  const std::string e = ErrorOf([&] { ReadStrechaCameras(empty.path()); });
  CHECK_THAT(e, Contains(empty.path().string()) && Contains("no *.camera files"));
  CHECK_THAT(ErrorOf([&] { ReadStrechaCameras(empty / "missing"); }), Contains("no such folder"));
}

TEST_CASE("Broken .camera files give clear errors", "[unit][strecha]") {
  const std::string good = Format(MakeCamera({-7.28, -7.58, 0.2}, {-2.0, 1.0, 1.5}));
  const std::string name = "gt/0003.jpg.camera";
  const auto error = [&](const std::string& text) {
    return ErrorOf([&] { ParseStrechaCamera(text, name); });
  };

  SECTION("empty") {
    CHECK_THAT(error(""), Contains(name) && Contains("empty"));
  }
  SECTION("truncated") {
    const std::string e = error(good.substr(0, good.size() / 2));
    CHECK_THAT(e, Contains(name) && Contains("truncated") && Contains("copy it again"));
  }
  SECTION("non-numeric") {
    const std::string e = error(WithToken(good, 13, "abc"));
    CHECK_THAT(e, Contains(name) && Contains("'abc' is not a number") && Contains("R[0][1]") &&
                      Contains("line 5"));
    CHECK_THAT(error(WithToken(good, 2, "1520.69x")), Contains("'1520.69x' is not a number"));
  }
  SECTION("corrupt bytes") {
    CHECK_THAT(error(std::string("\x89PNG\r\n\x1a\n\0\0\xff", 11)),
               Contains(name) && Contains("is not a number"));
  }
  SECTION("not finite") {
    CHECK_THAT(error(WithToken(good, 21, "nan")), Contains(name) && Contains("finite"));
  }
  SECTION("wrong count") {
    CHECK_THAT(error(good + " 1"),
               Contains(name) && Contains("found 27 numbers, expected 26") && Contains("K (3x3"));
    // A 3x4 projection matrix is the other common layout.
    CHECK_THAT(error("1 0 0 0\n0 1 0 0\n0 0 1 0\n"), Contains(name) && Contains("truncated"));
  }
  SECTION("not a rotation") {
    CHECK_THAT(error(WithToken(good, 12, "2")),
               Contains(name) && Contains("not a rotation") && Contains("camera-to-world"));
    // A reflection (det -1): the third row negated.
    TestCamera c = MakeCamera({0, 0, 0}, {0, 5, 0});
    c.world_from_cam.row(2) *= -1;
    CHECK_THAT(error(Format(c)), Contains(name) && Contains("det R = -1"));
  }
  SECTION("bad K") {
    CHECK_THAT(error(WithToken(good, 8, "0")), Contains(name) && Contains("upper triangular"));
    CHECK_THAT(error(WithToken(good, 0, "-2759.48")), Contains("focal lengths must be positive"));
    CHECK_THAT(error(WithToken(good, 1, "12")), Contains("skew"));
    CHECK_THAT(error(WithToken(good, 2, "4000")), Contains("outside the 3072x2048 image"));
  }
  SECTION("distortion") {
    TestCamera c = MakeCamera({0, 0, 0}, {0, 5, 0});
    CHECK_THAT(error(Format(c, {-0.1, 0, 0})),
               Contains(name) && Contains("not zero") && Contains("gt_dense_cameras"));
  }
  SECTION("size") {
    CHECK_THAT(error(WithToken(good, 24, "3072.5")),
               Contains(name) && Contains("width") && Contains("positive whole number"));
    CHECK_THAT(error(WithToken(good, 25, "0")), Contains("height"));
  }
  SECTION("a broken file in a folder is named") {
    TempDir dir("strecha-broken");
    test::WriteBytes(dir / "0000.jpg.camera", good);
    test::WriteBytes(dir / "0001.jpg.camera", good.substr(0, 40));
    const std::string e = ErrorOf([&] { ReadStrechaCameras(dir.path()); });
    CHECK_THAT(e, Contains((dir / "0001.jpg.camera").string()) && Contains("truncated"));
    CHECK_THAT(ErrorOf([&] { ReadStrechaCamera(dir / "0009.jpg.camera"); }),
               Contains("0009.jpg.camera"));
  }
}

TEST_CASE("The fountain-P11 ground truth parses", "[real][strecha]") {
  const fs::path shared = test::SharedDatasets();
  const fs::path gt =
      shared.empty() ? fs::path() : shared / "strecha" / "fountain-P11" / "gt_dense_cameras";
  if (gt.empty() || !fs::is_directory(gt)) {
    WARN("shared dataset strecha/fountain-P11 absent; skipped");
    return;
  }
  const StrechaCamera first = ReadStrechaCamera(gt / "0000.jpg.camera");
  CHECK(first.width == 3072);
  CHECK(first.height == 2048);
  CHECK(first.K(0, 0) == Approx(2759.48));
  CHECK(first.K(0, 2) == Approx(1520.69));
  CHECK((first.center - Eigen::Vector3d(-7.28137, -7.57667, 0.204446)).norm() < 1e-9);

  const SparseModel model = ReadStrechaCameras(gt);
  REQUIRE(model.images.size() == 11);
  for (int i = 0; i < 11; ++i) {
    const SparseImage* image = model.FindImage(fmt::format("{:04d}.jpg", i));
    REQUIRE(image != nullptr);
    const Camera& camera = model.cameras.at(image->camera_id);
    CHECK(camera.width == 3072);
    CHECK(camera.PrincipalX() == Approx(1520.69));
  }
  // The cameras stand on an arc a few metres around the fountain, neighbours 1.4-2.1 m apart.
  for (int i = 1; i < 11; ++i) {
    const double step = (CameraCenter(model.images.at(std::uint32_t(i + 1)).cam_from_world) -
                         CameraCenter(model.images.at(std::uint32_t(i)).cam_from_world))
                            .norm();
    CHECK(step > 1.0);
    CHECK(step < 2.5);
  }
}

}  // namespace
}  // namespace muta
