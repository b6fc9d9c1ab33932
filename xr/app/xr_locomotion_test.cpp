// What the user sees of locomotion in `muta xr`, from the simulated headset's captured eye
// images and the viewer's log, under the Khronos core validation layer: the teleport arc and
// its marker in the valid colour over walkable floor and in the invalid one against a wall;
// smooth locomotion at the configured speed with the comfort vignette only while moving.
#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <vector>

#include "core/image_io.h"
#include "xr/app/xr_test_util.h"

namespace muta::xr {
namespace {

namespace fs = std::filesystem;
using namespace xr_test;  // NOLINT(google-build-using-namespace)

/// A 20 x 20 m floor at z = 0 and, 3 m ahead of the origin, a wall 4 m tall across it (the
/// plane y = 3, facing -y).
fs::path FloorAndWallSite(const test::TempDir& dir) {
  Mesh mesh;
  AddQuad(mesh, {-10, -10, 0}, {10, -10, 0}, {10, 10, 0}, {-10, 10, 0});
  AddQuad(mesh, {-10, 3, 0}, {10, 3, 0}, {10, 3, 4}, {-10, 3, 4});
  return ExportSite(dir, "floor_wall", mesh);
}

// The arc's colours (eye_overlays.h, linear) as the sRGB swapchain stores them, loosely.
bool ValidColour(const Image& im, int x, int y) {
  const int r = im.at(x, y, 0), g = im.at(x, y, 1), b = im.at(x, y, 2);
  return g > 190 && r < 150 && b < 200 && g - r > 70 && g - b > 50;
}
bool InvalidColour(const Image& im, int x, int y) {
  const int r = im.at(x, y, 0), g = im.at(x, y, 1), b = im.at(x, y, 2);
  return r > 200 && g < 130 && b < 120;
}

struct ArcPixels {
  int valid = 0, invalid = 0;
};
ArcPixels CountArcPixels(const Image& im) {
  ArcPixels n;
  for (int y = 0; y < im.height; ++y) {
    for (int x = 0; x < im.width; ++x) {
      n.valid += ValidColour(im, x, y);
      n.invalid += InvalidColour(im, x, y);
    }
  }
  return n;
}

/// Index controllers; the right hand 1 m above the floor, 0.2 m right of and 0.3 m ahead of
/// the eyes, pitched by `pitch_deg`; its stick pushed up (aiming the teleport) from 0.1 s on
/// and held. The head looks 20 degrees down.
void WriteAimScript(const fs::path& dir, double pitch_deg) {
  WriteJsonFile(
      dir / "head.json",
      ParseJson(R"({"keyframes": [{"t": 0, "position": [0, 1.6, 0], "pitch_deg": -20}]})", "head"));
  Json controllers = ParseJson(R"({
    "profile": "/interaction_profiles/valve/index_controller",
    "right": {"keyframes": [{"t": 0, "position": [0.2, 1.0, -0.3]}]},
    "inputs": [{"t": 0.1, "path": "/user/hand/right/input/thumbstick", "value": [0, 1]}]})",
                               "controllers");
  controllers["right"]["keyframes"][0]["pitch_deg"] = pitch_deg;
  WriteJsonFile(dir / "controllers.json", controllers);
}

TEST_CASE("muta xr draws the teleport arc in the valid colour on the floor, invalid at a wall",
          "[xr]") {
  test::TempDir dir("xr_arc");
  const fs::path site = FloorAndWallSite(dir);
  struct Aim {
    const char* name;
    double pitch_deg;
    bool valid;
  };
  // 30 degrees down: the arc lands on the floor 1.6 m ahead (before the wall). 10 degrees up:
  // it meets the wall at about 0.7 m height.
  for (const Aim aim : {Aim{"floor", -30, true}, Aim{"wall", 10, false}}) {
    DYNAMIC_SECTION(aim.name) {
      const fs::path run = dir / aim.name;
      fs::create_directories(run);
      WriteAimScript(run, aim.pitch_deg);
      RunXrValidated(
          {"MUTA_XR_SIM_WIDTH=160", "MUTA_XR_SIM_HEIGHT=144",
           "MUTA_XR_SIM_TIMELINE=" + (run / "head.json").string(),
           "MUTA_XR_SIM_CONTROLLERS=" + (run / "controllers.json").string(),
           "MUTA_XR_SIM_CAPTURE_DIR=" + (run / "capture").string(), "MUTA_XR_SIM_CAPTURE_EVERY=4"},
          {site.string(), "--frames", "22", "--start", "0,0,0", "--complete-tiles", "--log",
           (run / "log.jsonl").string()});
      const auto frames = OfType(ReadLog(run / "log.jsonl"), "frame");
      REQUIRE(frames.size() == 22);
      CHECK_FALSE(frames.at(2)["aiming"].get<bool>());
      CHECK(frames.at(20)["aiming"].get<bool>());
      // Before the stick: no arc colour anywhere (the scene has none).
      for (const char* eye : {"left", "right"}) {
        const ArcPixels before = CountArcPixels(
            ReadImage(run / "capture" / ("frame_000004_" + std::string(eye) + ".png"), 4));
        CHECK(before.valid == 0);
        CHECK(before.invalid == 0);
        // While aiming: the arc in both eyes, in the colour saying where it ends.
        const Image image =
            ReadImage(run / "capture" / ("frame_000020_" + std::string(eye) + ".png"), 4);
        const ArcPixels during = CountArcPixels(image);
        INFO(eye << ": " << during.valid << " valid, " << during.invalid << " invalid pixels");
        if (aim.valid) {
          CHECK(during.valid > 60);
          CHECK(during.invalid == 0);
        } else {
          CHECK(during.invalid > 60);
          CHECK(during.valid == 0);
        }
      }
    }
  }
}

/// Mean of the RGB channels over the w x h patch at (x0, y0).
double MeanBrightness(const Image& im, int x0, int y0, int w, int h) {
  double sum = 0;
  for (int y = y0; y < y0 + h; ++y) {
    for (int x = x0; x < x0 + w; ++x) sum += im.at(x, y, 0) + im.at(x, y, 1) + im.at(x, y, 2);
  }
  return sum / (3.0 * w * h);
}

TEST_CASE("muta xr smooth locomotion moves at the set speed with a vignette while moving", "[xr]") {
  test::TempDir dir("xr_smooth");
  const fs::path site = FloorAndWallSite(dir);
  // Touch controllers: the left stick pushed fully forward from 0.2 s to 0.5 s.
  WriteJsonFile(dir / "controllers.json", ParseJson(R"({
    "profile": "/interaction_profiles/oculus/touch_controller",
    "left": {"keyframes": [{"t": 0, "position": [-0.2, 1.0, -0.3]}]},
    "right": {"keyframes": [{"t": 0, "position": [0.2, 1.0, -0.3]}]},
    "inputs": [
      {"t": 0.2, "path": "/user/hand/left/input/thumbstick", "value": [0, 1]},
      {"t": 0.5, "path": "/user/hand/left/input/thumbstick", "value": [0, 0]}]})",
                                                    "controllers"));
  const double speed = 1.5;
  RunXrValidated(
      {"MUTA_XR_SIM_WIDTH=160", "MUTA_XR_SIM_HEIGHT=144",
       "MUTA_XR_SIM_CONTROLLERS=" + (dir / "controllers.json").string(),
       "MUTA_XR_SIM_CAPTURE_DIR=" + (dir / "capture").string(), "MUTA_XR_SIM_CAPTURE_EVERY=5"},
      {site.string(), "--frames", "60", "--start", "0,-2,0", "--smooth-locomotion", "--move-speed",
       "1.5", "--vignette", "0.8", "--log", (dir / "log.jsonl").string()});
  const auto frames = OfType(ReadLog(dir / "log.jsonl"), "frame");
  REQUIRE(frames.size() == 60);
  const auto mid = [&](std::size_t i) -> Eigen::Vector3d {
    return 0.5 *
           (Vec(frames.at(i)["eyes"][0]["position"]) + Vec(frames.at(i)["eyes"][1]["position"]));
  };
  const auto time_s = [&](std::size_t i) {
    return 1e-9 * frames.at(i)["predicted_display_time"].get<double>();
  };
  int moving = 0;
  for (std::size_t i = 1; i < frames.size(); ++i) {
    const Eigen::Vector3d step = mid(i) - mid(i - 1);
    const double vignette = frames[i]["vignette"].get<double>();
    if (vignette > 0) {
      // Moving: straight ahead (+y, the heading) at the set speed, with the full vignette.
      ++moving;
      CHECK(step.y() / (time_s(i) - time_s(i - 1)) == Approx(speed).epsilon(1e-4));
      CHECK(std::abs(step.x()) < 1e-9);
      CHECK(std::abs(step.z()) < 1e-9);
      CHECK(vignette == Approx(0.8));
    } else {
      CHECK(step.norm() < 1e-9);  // still
    }
  }
  // About 0.3 s of motion at 90 Hz.
  CHECK(moving >= 25);
  CHECK(moving <= 29);
  CHECK(mid(59).y() - mid(0).y() == Approx(speed * moving / 90.0).epsilon(0.01));

  // The eye images: the periphery darkens while moving and not when still. Compare the top
  // corners with a patch of the same sky nearer the middle (which the vignette leaves alone).
  const auto ratio = [&](int frame, const char* eye) {
    const Image im = ReadImage(dir / "capture" /
                                   ("frame_" + std::string(6 - std::to_string(frame).size(), '0') +
                                    std::to_string(frame) + "_" + eye + ".png"),
                               4);
    const double corners =
        0.5 * (MeanBrightness(im, 0, 0, 12, 12) + MeanBrightness(im, im.width - 12, 0, 12, 12));
    return corners / MeanBrightness(im, im.width / 3, im.height / 5, 12, 12);
  };
  // Capture frame k is the log's frame k - 1 (the first ended frame is not yet visible).
  for (const char* eye : {"left", "right"}) {
    REQUIRE(frames.at(9)["vignette"].get<double>() == 0);
    REQUIRE(frames.at(34)["vignette"].get<double>() > 0);
    REQUIRE(frames.at(54)["vignette"].get<double>() == 0);
    CHECK(ratio(10, eye) > 0.95);  // still
    CHECK(ratio(35, eye) < 0.5);   // moving
    CHECK(ratio(55, eye) > 0.95);  // still again
  }
}

}  // namespace
}  // namespace muta::xr
