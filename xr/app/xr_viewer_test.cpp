// `muta xr` as a user runs it, against the simulated headset (xr/sim) through the real Khronos
// loader: no runtime -> a helpful message; a scripted session on a synthetic pagoda under the
// core validation layer; the exact session state sequence through a scripted session loss;
// stereo disparity of a known point in the captured eye images; a scripted teleport and snap
// turn moving the view by the scripted amounts.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "core/file_io.h"
#include "core/image_io.h"
#include "core/json.h"
#include "core/ply_io.h"
#include "core/subprocess.h"
#include "tests/test_util.h"
#include "xr/app/xr_test_util.h"

namespace muta::xr {
namespace {

namespace fs = std::filesystem;
using namespace xr_test;  // NOLINT(google-build-using-namespace)
constexpr double kPi = 3.14159265358979323846;

/// A flat 20 x 20 m floor at z = 0 and a thin post 3 m tall whose front face is the plane
/// y = 1 (x in [-0.05, 0.05]), exported as a site bundle.
fs::path FloorAndPostSite(const test::TempDir& dir) {
  Mesh mesh;
  const auto quad = [&](Vec3f a, Vec3f b, Vec3f c, Vec3f d) { AddQuad(mesh, a, b, c, d); };
  quad({-10, -10, 0}, {10, -10, 0}, {10, 10, 0}, {-10, 10, 0});
  const float x0 = -0.05f, x1 = 0.05f, y0 = 1.0f, y1 = 1.02f, h = 3.0f;
  quad({x0, y0, 0}, {x1, y0, 0}, {x1, y0, h}, {x0, y0, h});  // front, facing -y
  quad({x1, y1, 0}, {x0, y1, 0}, {x0, y1, h}, {x1, y1, h});  // back
  quad({x0, y1, 0}, {x0, y0, 0}, {x0, y0, h}, {x0, y1, h});  // left
  quad({x1, y0, 0}, {x1, y1, 0}, {x1, y1, h}, {x1, y0, h});  // right
  quad({x0, y0, h}, {x1, y0, h}, {x1, y1, h}, {x0, y1, h});  // top
  return ExportSite(dir, "floor_post", mesh);
}

/// Mean column of the pixels that differ clearly from the renderer's background in rows
/// [y0, y1) of an RGBA image.
double MeanForegroundColumn(const Image& image, int y0, int y1) {
  const int bg[3] = {228, 237, 247};
  double sum = 0;
  std::size_t n = 0;
  for (int y = y0; y < y1; ++y) {
    for (int x = 0; x < image.width; ++x) {
      int diff = 0;
      for (int c = 0; c < 3; ++c) diff += std::abs(int(image.at(x, y, c)) - bg[c]);
      if (diff > 60) {
        sum += x + 0.5;
        ++n;
      }
    }
  }
  REQUIRE(n > 0);
  return sum / static_cast<double>(n);
}

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += s + " ";
  return out;
}

TEST_CASE("muta xr without an OpenXR runtime exits 1 and says how to get one", "[xr]") {
  test::TempDir dir("xr_no_runtime");
  fs::create_directories(dir / "xdg");
  // No manifest anywhere the loader looks (XDG dirs point at an empty folder).
  const auto r = test::RunProgram(
      "env",
      {"-u", "XR_RUNTIME_JSON", "-u", "DISPLAY", "XDG_CONFIG_HOME=" + (dir / "xdg").string(),
       "XDG_CONFIG_DIRS=" + (dir / "xdg").string(), MUTA_BIN, "xr", (dir / "nowhere").string()});
  INFO(r.err);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("no OpenXR runtime") && Catch::Contains("Monado") &&
                        Catch::Contains("SteamVR") && Catch::Contains("XR_RUNTIME_JSON=") &&
                        Catch::Contains("muta_xr_sim.json"));
  // A manifest that does not exist is named.
  const auto bad = test::RunProgram(
      "env", {"-u", "DISPLAY", "XR_RUNTIME_JSON=" + (dir / "missing.json").string(), MUTA_BIN, "xr",
              (dir / "nowhere").string()});
  CHECK(bad.exit_code == 1);
  CHECK_THAT(bad.err, Catch::Contains("missing.json"));
}

TEST_CASE("muta xr: a scripted session on a pagoda passes the core validation layer", "[xr]") {
  test::TempDir dir("xr_session");
  auto r = test::RunMuta(
      {"synth", "--scene", "pagoda", "--gt-only", "--seed", "1", "-o", (dir / "synth").string()});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  r = test::RunMuta({"export", "--mesh", (dir / "synth" / "gt" / "mesh.ply").string(), "-o",
                     (dir / "site").string(), "--no-model"});
  REQUIRE(r.exit_code == 0);
  // Oculus Touch controllers: the right stick up then released (teleport onto the ground in
  // front), right stick flicked right (snap turn), A pressed (inferred layer off), then both
  // grips squeezed while the hands come together from 0.6 m to 0.2 m apart (1:1 -> 1:3).
  WriteJsonFile(dir / "controllers.json", ParseJson(R"({
    "profile": "/interaction_profiles/oculus/touch_controller",
    "left": {"keyframes": [{"t": 0, "position": [-0.3, 1.0, -0.4]},
                           {"t": 0.85, "position": [-0.3, 1.0, -0.4]},
                           {"t": 1.05, "position": [-0.1, 1.0, -0.4]}]},
    "right": {"keyframes": [{"t": 0, "position": [0.3, 1.0, -0.4], "pitch_deg": -60},
                            {"t": 0.85, "position": [0.3, 1.0, -0.4], "pitch_deg": -60},
                            {"t": 1.05, "position": [0.1, 1.0, -0.4], "pitch_deg": -60}]},
    "inputs": [
      {"t": 0.10, "path": "/user/hand/right/input/thumbstick", "value": [0, 1]},
      {"t": 0.30, "path": "/user/hand/right/input/thumbstick", "value": [0, 0]},
      {"t": 0.40, "path": "/user/hand/right/input/thumbstick", "value": [1, 0]},
      {"t": 0.50, "path": "/user/hand/right/input/thumbstick", "value": [0, 0]},
      {"t": 0.60, "path": "/user/hand/right/input/a/click", "value": true},
      {"t": 0.70, "path": "/user/hand/right/input/a/click", "value": false},
      {"t": 0.80, "path": "/user/hand/left/input/squeeze/value", "value": 1.0},
      {"t": 0.80, "path": "/user/hand/right/input/squeeze/value", "value": 1.0},
      {"t": 1.15, "path": "/user/hand/left/input/squeeze/value", "value": 0.0},
      {"t": 1.15, "path": "/user/hand/right/input/squeeze/value", "value": 0.0}]})",
                                                    "controllers"));
  r = RunXr(
      {"XR_ENABLE_API_LAYERS=XR_APILAYER_LUNARG_core_validation", "XR_LOADER_DEBUG=info",
       "MUTA_XR_SIM_WIDTH=160", "MUTA_XR_SIM_HEIGHT=144",
       "MUTA_XR_SIM_CONTROLLERS=" + (dir / "controllers.json").string(),
       "MUTA_XR_SIM_CAPTURE_DIR=" + (dir / "capture").string(), "MUTA_XR_SIM_CAPTURE_EVERY=40"},
      {(dir / "site").string(), "--frames", "120", "--log", (dir / "log.jsonl").string()},
      /*xvfb=*/true);
  INFO(r.out);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  // The layer was loaded (the loader says so on stdout with XR_LOADER_DEBUG=info; a layer
  // that is not installed fails xrCreateInstance) and found nothing.
  CHECK_THAT(r.out, Catch::Contains("succeeded loading layer XR_APILAYER_LUNARG_core_validation"));
  CHECK(r.out.find("VALID_ERROR") == std::string::npos);
  const auto log = ReadLog(dir / "log.jsonl");
  REQUIRE(!OfType(log, "start").empty());
  CHECK(OfType(log, "start")[0]["graphics"] == "xlib");
  const Json summary = OfType(log, "summary").at(0);
  CHECK(summary["frames"] == 120);
  CHECK(summary["states"].get<std::vector<std::string>>() ==
        std::vector<std::string>{"XR_SESSION_STATE_IDLE", "XR_SESSION_STATE_READY",
                                 "XR_SESSION_STATE_SYNCHRONIZED", "XR_SESSION_STATE_VISIBLE",
                                 "XR_SESSION_STATE_FOCUSED", "XR_SESSION_STATE_VISIBLE",
                                 "XR_SESSION_STATE_SYNCHRONIZED", "XR_SESSION_STATE_STOPPING",
                                 "XR_SESSION_STATE_IDLE", "XR_SESSION_STATE_EXITING"});
  const auto teleports = OfType(log, "teleport");
  REQUIRE(teleports.size() == 1);
  CHECK(teleports[0]["valid"] == true);
  CHECK(OfType(log, "turn").size() == 1);
  const auto toggles = OfType(log, "toggle_inferred");
  REQUIRE(toggles.size() == 1);
  CHECK(toggles[0]["show_inferred"] == false);
  const auto grabs = OfType(log, "grab");
  REQUIRE(grabs.size() == 1);
  CHECK(grabs[0]["rig"]["scale"].get<double>() == Approx(3).epsilon(0.05));
  CHECK(OfType(log, "frame").back()["show_inferred"] == false);
  // Both eyes of a captured frame show the pagoda (not just the background).
  const Image left = ReadImage(dir / "capture" / "frame_000040_left.png", 4);
  const Image right = ReadImage(dir / "capture" / "frame_000040_right.png", 4);
  CHECK(left.width == 160);
  CHECK(left.pixels != right.pixels);
}

TEST_CASE("muta xr: the session states follow OpenXR through a scripted session loss", "[xr]") {
  test::TempDir dir("xr_loss");
  const fs::path site = FloorAndPostSite(dir);
  // Each session is lost after 10 ended frames (9 rendered: the first is before VISIBLE); 22
  // frames take two lost sessions and a third that ends normally.
  const auto r =
      RunXr({"MUTA_XR_SIM_WIDTH=64", "MUTA_XR_SIM_HEIGHT=48", "MUTA_XR_SIM_LOSS_AFTER_FRAMES=10"},
            {site.string(), "--frames", "22", "--log", (dir / "log.jsonl").string()});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const Json summary = OfType(ReadLog(dir / "log.jsonl"), "summary").at(0);
  const std::vector<std::string> lost = {
      "XR_SESSION_STATE_IDLE",    "XR_SESSION_STATE_READY",   "XR_SESSION_STATE_SYNCHRONIZED",
      "XR_SESSION_STATE_VISIBLE", "XR_SESSION_STATE_FOCUSED", "XR_SESSION_STATE_LOSS_PENDING"};
  std::vector<std::string> expected = lost;
  expected.insert(expected.end(), lost.begin(), lost.end());
  expected.insert(expected.end(), {"XR_SESSION_STATE_IDLE", "XR_SESSION_STATE_READY",
                                   "XR_SESSION_STATE_SYNCHRONIZED", "XR_SESSION_STATE_VISIBLE",
                                   "XR_SESSION_STATE_FOCUSED", "XR_SESSION_STATE_VISIBLE",
                                   "XR_SESSION_STATE_SYNCHRONIZED", "XR_SESSION_STATE_STOPPING",
                                   "XR_SESSION_STATE_IDLE", "XR_SESSION_STATE_EXITING"});
  const auto states = summary["states"].get<std::vector<std::string>>();
  INFO(Join(states));
  CHECK(states == expected);
  CHECK(summary["sessions"] == 3);
  CHECK(summary["frames"] == 22);
}

TEST_CASE("muta xr: the eye images differ by the stereo disparity of a known point", "[xr]") {
  test::TempDir dir("xr_disparity");
  const fs::path site = FloorAndPostSite(dir);
  // 800 px over a 90 degree field of view: fx = 400 px. The post's front face is 1 m ahead
  // of the eyes (standing at the origin facing +y), so the disparity is fx * ipd / 1 m =
  // 25.6 px; without anti-aliasing each edge is found to within a pixel.
  const double fx = 400, ipd = 0.064, depth = 1.0;
  const auto r =
      RunXr({"MUTA_XR_SIM_WIDTH=800", "MUTA_XR_SIM_HEIGHT=600", "MUTA_XR_SIM_FOV_X_DEG=90",
             "MUTA_XR_SIM_IPD_M=0.064", "MUTA_XR_SIM_CAPTURE_DIR=" + (dir / "capture").string()},
            {site.string(), "--frames", "3", "--start", "0,0,0", "--complete-tiles"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  // Frame 0 ends before the session is visible; frame 1 is the first rendered one.
  const Image left = ReadImage(dir / "capture" / "frame_000002_left.png", 4);
  const Image right = ReadImage(dir / "capture" / "frame_000002_right.png", 4);
  REQUIRE(left.width == 800);
  // Rows above the horizon (row 300): the post against the sky.
  const double ul = MeanForegroundColumn(left, 60, 240);
  const double ur = MeanForegroundColumn(right, 60, 240);
  CHECK(ul - ur == Approx(fx * ipd / depth).margin(1.0));
  // And it straddles the image centre as the geometry says (the post is at x = 0).
  CHECK(0.5 * (ul + ur) == Approx(400).margin(1.0));
}

TEST_CASE("muta xr: a scripted teleport and snap turn move the view by the scripted amounts",
          "[xr]") {
  test::TempDir dir("xr_teleport");
  const fs::path site = FloorAndPostSite(dir);
  // The right hand 1 m above the floor, 0.2 m right of and 0.3 m ahead of the eyes, pointing
  // 30 degrees down: the arc lands on the floor. Then the stick flicks right: a 30 degree
  // turn to the right. Simple controllers would do as well; Index controllers here.
  WriteJsonFile(dir / "controllers.json", ParseJson(R"({
    "profile": "/interaction_profiles/valve/index_controller",
    "right": {"keyframes": [{"t": 0, "position": [0.2, 1.0, -0.3], "pitch_deg": -30}]},
    "inputs": [
      {"t": 0.15, "path": "/user/hand/right/input/thumbstick", "value": [0, 1]},
      {"t": 0.30, "path": "/user/hand/right/input/thumbstick", "value": [0, 0]},
      {"t": 0.45, "path": "/user/hand/right/input/thumbstick", "value": [1, 0]},
      {"t": 0.55, "path": "/user/hand/right/input/thumbstick", "value": [0, 0]}]})",
                                                    "controllers"));
  const auto r = RunXr(
      {"MUTA_XR_SIM_WIDTH=64", "MUTA_XR_SIM_HEIGHT=48",
       "MUTA_XR_SIM_CONTROLLERS=" + (dir / "controllers.json").string()},
      {site.string(), "--frames", "70", "--start", "0,0,0", "--log", (dir / "log.jsonl").string()});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto log = ReadLog(dir / "log.jsonl");
  const Json start = OfType(log, "start").at(0);
  const double v = start["teleport"]["speed_mps"], g = start["teleport"]["gravity_mps2"];
  // The arc in world (z up): from (0.2, 0.3, 1.0) along (0, cos 30, -sin 30) at v, under g.
  const double vy = v * std::cos(kPi / 6), vz = -v * std::sin(kPi / 6);
  const double t = (vz + std::sqrt(vz * vz + 2 * g * 1.0)) / g;
  const Eigen::Vector3d target(0.2, 0.3 + vy * t, 0.0);
  const auto teleports = OfType(log, "teleport");
  REQUIRE(teleports.size() == 1);
  REQUIRE(teleports[0]["valid"] == true);
  CHECK((Vec(teleports[0]["target"]) - target).norm() < 0.01);

  // From the eye poses of the rendered frames: before, the eyes' midpoint is 1.6 m above the
  // start; after the teleport it is 1.6 m above the target; the turn keeps it there and turns
  // the view 30 degrees to the right.
  const auto frames = OfType(log, "frame");
  const auto mid = [](const Json& frame) -> Eigen::Vector3d {
    return 0.5 * (Vec(frame["eyes"][0]["position"]) + Vec(frame["eyes"][1]["position"]));
  };
  const auto heading = [](const Json& frame) {
    const Eigen::Vector3d f = Vec(frame["eyes"][0]["forward"]);
    return std::atan2(f.y(), f.x());
  };
  const int teleport_frame = teleports[0]["frame"];
  const int turn_frame = OfType(log, "turn").at(0)["frame"];
  REQUIRE(teleport_frame > 2);
  REQUIRE(turn_frame > teleport_frame);
  REQUIRE(static_cast<int>(frames.size()) > turn_frame + 2);
  CHECK((mid(frames.at(0)) - Eigen::Vector3d(0, 0, 1.6)).norm() < 1e-6);
  CHECK((mid(frames.at(teleport_frame - 1)) - Eigen::Vector3d(0, 0, 1.6)).norm() < 1e-6);
  CHECK((mid(frames.at(teleport_frame + 1)) - (target + Eigen::Vector3d(0, 0, 1.6))).norm() < 0.01);
  CHECK((mid(frames.at(turn_frame + 1)) - mid(frames.at(turn_frame - 1))).norm() < 1e-6);
  CHECK(std::remainder(heading(frames.at(turn_frame + 1)) - heading(frames.at(turn_frame - 1)),
                       2 * kPi) == Approx(-kPi / 6).margin(1e-6));
}

}  // namespace
}  // namespace muta::xr

namespace muta::xr {
namespace {

TEST_CASE("muta xr: in an AR blend mode the background is transparent, the model opaque", "[xr]") {
  test::TempDir dir("xr_ar");
  const fs::path site = FloorAndPostSite(dir);
  const auto r = RunXr({"MUTA_XR_SIM_WIDTH=200", "MUTA_XR_SIM_HEIGHT=150",
                        "MUTA_XR_SIM_BLEND_MODES=alpha_blend,opaque",
                        "MUTA_XR_SIM_CAPTURE_DIR=" + (dir / "capture").string()},
                       {site.string(), "--frames", "2", "--start", "0,0,0", "--complete-tiles",
                        "--log", (dir / "log.jsonl").string()});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(OfType(ReadLog(dir / "log.jsonl"), "start").at(0)["blend_mode"] == "alpha_blend");
  const Image left = ReadImage(dir / "capture" / "frame_000001_left.png", 4);
  REQUIRE(left.channels == 4);
  // Above the horizon: the sky is see-through (alpha 0), the post in the middle is not.
  std::size_t clear = 0, opaque_in_middle = 0;
  for (int y = 10; y < 60; ++y) {
    for (int x = 0; x < left.width; ++x) {
      if (left.at(x, y, 3) == 0) ++clear;
      if (left.at(x, y, 3) == 255 && x > 95 && x < 110) ++opaque_in_middle;
    }
  }
  CHECK(clear > std::size_t(50 * 180));
  CHECK(opaque_in_middle > std::size_t(50 * 5));
  // Below the horizon the floor is drawn.
  CHECK(left.at(100, 140, 3) == 255);
}

}  // namespace
}  // namespace muta::xr

namespace muta::xr {
namespace {

TEST_CASE("muta xr: in AR the model stands on a surface above the STAGE floor, sky clear", "[xr]") {
  test::TempDir dir("xr_ar_place");
  const fs::path site = FloorAndPostSite(dir);  // 20 x 20 m: a 1:20 dollhouse fits in 1 m
  RunXrValidated({"MUTA_XR_SIM_WIDTH=200", "MUTA_XR_SIM_HEIGHT=150",
                  "MUTA_XR_SIM_BLEND_MODES=alpha_blend,opaque",
                  "MUTA_XR_SIM_CAPTURE_DIR=" + (dir / "capture").string()},
                 {site.string(), "--frames", "3", "--surface-height", "0.8", "--complete-tiles",
                  "--log", (dir / "log.jsonl").string()});
  const auto log = ReadLog(dir / "log.jsonl");
  const Json start = OfType(log, "start").at(0);
  CHECK(start["blend_mode"] == "alpha_blend");
  CHECK(start["surface_height_m"].get<double>() == Approx(0.8));
  const double scale = start["rig"]["scale"];
  CHECK(scale == Approx(20).epsilon(1e-3));  // the bounds are padded a little
  // The model's lowest point (the ground, world z 0) is 0.8 m above the STAGE floor: world z
  // of a STAGE height h is translation.z + scale * h.
  CHECK(start["rig"]["translation"][2].get<double>() + scale * 0.8 ==
        Approx(start["ground_z"].get<double>()).margin(1e-9));
  // The eyes (1.6 m above the STAGE floor, 0.8 m above the table) are scale x 0.8 m above the
  // model's ground.
  const Json frame = OfType(log, "frame").at(0);
  CHECK(0.5 * (frame["eyes"][0]["position"][2].get<double>() +
               frame["eyes"][1]["position"][2].get<double>()) ==
        Approx(start["ground_z"].get<double>() + scale * 0.8).margin(1e-4));
  // Looking ahead: above the table the real world shows (alpha 0); the model on the table
  // below the horizon is opaque.
  const Image left = ReadImage(dir / "capture" / "frame_000002_left.png", 4);
  std::size_t clear_top = 0, opaque_bottom = 0;
  for (int y = 0; y < left.height; ++y) {
    for (int x = 0; x < left.width; ++x) {
      if (y < 50 && left.at(x, y, 3) == 0) ++clear_top;
      if (y >= 100 && left.at(x, y, 3) == 255) ++opaque_bottom;
    }
  }
  CHECK(clear_top == std::size_t(50 * 200));
  CHECK(opaque_bottom > std::size_t(200 * 5));
}

TEST_CASE("muta xr: an instance loss ends the viewer cleanly with a message", "[xr]") {
  test::TempDir dir("xr_instance_loss");
  const fs::path site = FloorAndPostSite(dir);
  const auto r = RunXr(
      {"MUTA_XR_SIM_WIDTH=64", "MUTA_XR_SIM_HEIGHT=48", "MUTA_XR_SIM_INSTANCE_LOSS_AFTER_FRAMES=5"},
      {site.string(), "--frames", "50", "--log", (dir / "log.jsonl").string()});
  INFO(r.err);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("instance loss pending"));
  const auto log = ReadLog(dir / "log.jsonl");
  CHECK(OfType(log, "instance_loss_pending").size() == 1);
  // It stopped right there: four frames rendered (the first ended frame is not visible yet).
  CHECK(OfType(log, "frame").size() == 4);
}

}  // namespace
}  // namespace muta::xr
