#include "reconstruct/undistort.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <string>

#include "core/colmap_model.h"
#include "core/image_io.h"
#include "core/pose.h"
#include "core/progress.h"
#include "tests/test_util.h"

namespace muta::reconstruct {
namespace {

namespace fs = std::filesystem;

// Two photographs of 160 x 120 taken by `camera`, written with their model into `dir`.
void WriteTwoViews(const fs::path& dir, const Camera& camera) {
  SparseModel model;
  model.cameras[camera.id] = camera;
  for (int i = 0; i < 2; ++i) {
    SparseImage image;
    image.id = std::uint32_t(i + 1);
    image.name = "view_" + std::to_string(i) + ".png";
    image.camera_id = camera.id;
    image.cam_from_world = LookAt({4.0 * i - 2.0, -4, 1}, Eigen::Vector3d::Zero());
    model.images[image.id] = image;
    Image photo(camera.width, camera.height, 3, 0);
    for (int y = 0; y < photo.height; ++y) {
      for (int x = 0; x < photo.width; ++x) photo.at(x, y, 0) = std::uint8_t((x * 7 + y * 3) % 256);
    }
    WriteImage(dir / "images" / image.name, photo);
  }
  WriteSparseModel(dir / "sparse", model);
}

TEST_CASE("Undistortion leaves only pinhole cameras, also where the distortion is zero",
          "[unit][undistort]") {
  test::TempDir dir("undistort");
  Progress progress(ProgressStyle::kQuiet);
  // COLMAP's undistorter copies a camera without distortion unchanged – SIMPLE_RADIAL k = 0
  // stayed SIMPLE_RADIAL, which the mvs stage refuses.
  const double k = GENERATE(0.0, 0.02);
  CAPTURE(k);
  Camera camera = Camera::SimpleRadial(160, 120, 150, 81, 59, k);
  camera.id = 3;
  WriteTwoViews(dir.path(), camera);
  const Json figures = RunUndistort(dir.path() / "images", dir.path() / "sparse",
                                    dir.path() / "dense", UndistortOptions{}, progress);
  CHECK(figures["images"] == 2);
  const SparseModel dense = ReadSparseModel(dir.path() / "dense" / "sparse");
  REQUIRE(dense.cameras.size() == 1);
  const Camera& out = dense.cameras.begin()->second;
  CHECK(out.model == CameraModel::kPinhole);
  if (k == 0.0) {  // the same camera, only named for what it is
    CHECK(out.width == 160);
    CHECK(out.height == 120);
    CHECK(out.FocalX() == 150);
    CHECK(out.FocalY() == 150);
    CHECK(out.PrincipalX() == 81);
    CHECK(out.PrincipalY() == 59);
  }
  CHECK(fs::is_regular_file(dir.path() / "dense" / "images" / "view_1.png"));
}

TEST_CASE(
    "Texturing gets the photographs undistorted at full size when dense matching works on "
    "smaller images",
    "[unit][undistort]") {
  test::TempDir dir("undistort_texture");
  Progress progress(ProgressStyle::kQuiet);
  Camera camera = Camera::SimpleRadial(160, 120, 150, 81, 59, 0.02);
  camera.id = 1;
  WriteTwoViews(dir.path(), camera);
  UndistortOptions options;
  options.max_image_size = 80;  // dense matching at half size
  Json figures = RunUndistort(dir.path() / "images", dir.path() / "sparse", dir.path() / "dense",
                              options, progress);
  const fs::path tex = dir.path() / "dense" / "texture";
  CHECK(figures["texture_images"] == "dense/texture");
  CHECK(figures["width_max"].get<int>() <= 80);
  CHECK(figures["texture_width_max"].get<int>() >= 150);
  const SparseModel dense = ReadSparseModel(dir.path() / "dense" / "sparse");
  const SparseModel full = ReadSparseModel(tex / "sparse");
  REQUIRE(full.images.size() == 2);
  CHECK(full.cameras.begin()->second.model == CameraModel::kPinhole);
  for (const auto& [id, image] : full.images) {
    // The same views and poses as the dense model, only larger.
    const SparseImage& d = dense.images.at(id);
    CHECK(image.name == d.name);
    CHECK((image.cam_from_world.translation - d.cam_from_world.translation).norm() < 1e-12);
    const Camera& fc = full.cameras.at(image.camera_id);
    const Camera& dc = dense.cameras.at(d.camera_id);
    CHECK(fc.FocalX() / dc.FocalX() == Approx(double(fc.width) / dc.width).epsilon(0.03));
    const ImageInfo info = ReadImageInfo(tex / "images" / image.name);
    CHECK(info.width == int(fc.width));
    CHECK(info.height == int(fc.height));
  }
  // Only the images and the model are kept (no stereo/ or scripts).
  for (const auto& entry : fs::directory_iterator(tex)) {
    const std::string name = entry.path().filename().string();
    CHECK((name == "images" || name == "sparse"));
  }

  // --texture-max-size 0: no copy; and none when the dense images are the photographs' size.
  options.texture_max_size = 0;
  figures = RunUndistort(dir.path() / "images", dir.path() / "sparse", dir.path() / "dense",
                         options, progress);
  CHECK(figures["texture_images"] == "dense/images");
  CHECK_FALSE(fs::exists(tex));
  figures = RunUndistort(dir.path() / "images", dir.path() / "sparse", dir.path() / "dense",
                         UndistortOptions{}, progress);
  CHECK(figures["texture_images"] == "dense/images");
  CHECK_FALSE(fs::exists(tex));
  options.texture_max_size = 32;
  CHECK_THROWS_WITH(RunUndistort(dir.path() / "images", dir.path() / "sparse", dir.path() / "dense",
                                 options, progress),
                    Catch::Contains("--texture-max-size"));
}

}  // namespace
}  // namespace muta::reconstruct
