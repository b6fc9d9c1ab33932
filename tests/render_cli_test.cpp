// `muta render` as a user runs it: headless pictures of a PLY, turntables, camera files, errors.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <string>

#include "core/depth_map_io.h"
#include "core/image_io.h"
#include "core/mesh.h"
#include "core/ply_io.h"
#include "tests/test_util.h"

using muta::test::RunMuta;
using muta::test::TempDir;

namespace {

// Standard deviation of the image's grey values: 0 for a uniform picture.
double Spread(const muta::Image& image) {
  double sum = 0, sum2 = 0;
  const std::size_t n = image.pixels.size();
  for (std::uint8_t v : image.pixels) {
    sum += v;
    sum2 += double(v) * v;
  }
  return std::sqrt(std::max(0.0, sum2 / n - (sum / n) * (sum / n)));
}

}  // namespace

TEST_CASE("muta render draws a PLY headless", "[gl][cli]") {
  TempDir dir("render");
  const auto ply = dir / "box.ply";
  muta::WritePly(ply, muta::test::ColouredBox());

  const auto out = dir / "box.png";
  auto r = RunMuta({"render", ply.string(), "--size", "320x240", "-o", out.string()});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const muta::Image image = muta::ReadImage(out);
  CHECK(image.width == 320);
  CHECK(image.height == 240);
  CHECK(Spread(image) > 10);

  // A turntable: OUT_000.png ... with the model in every frame.
  r = RunMuta({"render", ply.string(), "--size", "160x120", "--turntable", "3", "--no-shadows",
               "-o", (dir / "turn.png").string()});
  REQUIRE(r.exit_code == 0);
  for (const char* name : {"turn_000.png", "turn_001.png", "turn_002.png"}) {
    INFO(name);
    REQUIRE(std::filesystem::exists(dir / name));
    CHECK(Spread(muta::ReadImage(dir / name)) > 10);
  }
  CHECK_FALSE(std::filesystem::exists(dir / "turn.png"));
}

TEST_CASE("muta render --camera renders that exact view with metric depth", "[gl][cli]") {
  TempDir dir("render-camera");
  const auto ply = dir / "box.ply";
  muta::WritePly(ply, muta::test::ColouredBox());
  // Camera 10 m in front of the box's -y face, looking along +y at height 1.5 m: camera axes
  // x = world x, y = world -z, z = world y (a rotation of +90 degrees about x).
  const double h = std::sqrt(0.5);
  muta::test::WriteBytes(dir / "camera.json", R"({
    "format": "muta.camera", "model": "PINHOLE", "width": 200, "height": 150,
    "params": [180, 180, 100, 75],
    "cam_from_world": {"rotation": [)" + std::to_string(h) +
                                                  ", " + std::to_string(h) +
                                                  R"(, 0, 0], "translation": [0, 1.5, 11]}
  })");
  const auto out = dir / "view.png", depth = dir / "view.bin";
  const auto r = RunMuta({"render", ply.string(), "--camera", (dir / "camera.json").string(),
                          "--depth", depth.string(), "-o", out.string()});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const muta::Image image = muta::ReadImage(out);
  CHECK(image.width == 200);
  CHECK(image.height == 150);
  const muta::FloatMap d = muta::ReadColmapArray(depth);
  REQUIRE(d.width == 200);
  CHECK(d.at(100, 75) == Approx(10.0).margin(1e-3));  // the face at y = -1
  CHECK(d.at(2, 2) == 0.0f);                          // sky

  // Bad camera files are user errors that name the file.
  muta::test::WriteBytes(dir / "bad.json", R"({"model": "PINHOLE", "width": 10})");
  const auto bad = RunMuta(
      {"render", ply.string(), "--camera", (dir / "bad.json").string(), "-o", out.string()});
  CHECK(bad.exit_code == 1);
  CHECK(bad.err.find("bad.json") != std::string::npos);
}

TEST_CASE("muta render rejects bad input with exit code 1", "[gl][cli]") {
  TempDir dir("render-errors");
  const auto out = (dir / "x.png").string();
  auto r = RunMuta({"render", (dir / "missing.ply").string(), "-o", out});
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("not found") != std::string::npos);
  // A folder without model.glb.
  r = RunMuta({"render", dir.path().string(), "-o", out});
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("model.glb") != std::string::npos);
  // A PLY without faces.
  muta::Mesh points;
  points.vertices = {muta::Vec3f(0, 0, 0), muta::Vec3f(1, 0, 0)};
  muta::WritePly(dir / "points.ply", points);
  r = RunMuta({"render", (dir / "points.ply").string(), "-o", out});
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("no faces") != std::string::npos);
  // Bad options.
  muta::WritePly(dir / "box.ply", muta::test::ColouredBox());
  CHECK(RunMuta({"render", (dir / "box.ply").string(), "--size", "big", "-o", out}).exit_code == 1);
  CHECK(
      RunMuta({"render", (dir / "box.ply").string(), "--view", "sideways", "-o", out}).exit_code ==
      1);
  CHECK(RunMuta({"render", (dir / "box.ply").string(), "-o", (dir / "x.tif").string()}).exit_code ==
        1);
  CHECK_FALSE(std::filesystem::exists(out));
}
