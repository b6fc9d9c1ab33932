// `muta xr`'s laser pointer and world-locked panel against the simulated headset, under the
// Khronos core validation layer: the panel is submitted as a quad layer (the simulator's frame
// log), a scripted laser + trigger on its "Inferred" checkbox hides and shows the inferred
// layer (the highlight's orange leaves and comes back in the captured eye images, which show
// the panel composited), and a scripted measure between two known points of the site.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include <Eigen/Geometry>

#include "xr/app/xr_test_util.h"

namespace muta::xr {
namespace {

namespace fs = std::filesystem;
using namespace xr_test;  // NOLINT(google-build-using-namespace)

/// A 20 x 20 m observed floor (z = 0) and a 6 m wide, 3 m tall inferred wall whose front is the
/// plane y = 3 (facing -y), as a site bundle with two annotations.
fs::path WallSite(const test::TempDir& dir) {
  Mesh mesh;
  AddQuad(mesh, {-10, -10, 0}, {10, -10, 0}, {10, 10, 0}, {-10, 10, 0});
  AddQuad(mesh, {-3, 3, 0}, {3, 3, 0}, {3, 3, 3}, {-3, 3, 3});
  AddQuad(mesh, {3, 3.1f, 0}, {-3, 3.1f, 0}, {-3, 3.1f, 3}, {3, 3.1f, 3});
  mesh.provenance.assign(mesh.faces.size(), Provenance::kInferredSymmetry);
  mesh.provenance[0] = mesh.provenance[1] = Provenance::kObserved;
  const fs::path site = ExportSite(dir, "wall", mesh);
  Json meta = ReadJsonFile(site / "site.json");
  meta["annotations"] = ParseJson(R"([
    {"id": "a1", "text": "Restored by symmetry", "position": [-2, 3, 2.5]},
    {"id": "a2", "text": "Crack at the base", "position": [2, 3, 0.2]}])",
                                  "annotations");
  WriteJsonFile(site / "site.json", meta);
  return site;
}

/// Pixels in the inferred highlight's orange (sRGB: red high, green about half, blue low).
std::size_t OrangePixels(const Image& image) {
  std::size_t n = 0;
  for (int y = 0; y < image.height; ++y) {
    for (int x = 0; x < image.width; ++x) {
      const int r = image.at(x, y, 0), g = image.at(x, y, 1), b = image.at(x, y, 2);
      if (r > 100 && g > 0.3 * r && g < 0.75 * r && b < 0.5 * r) ++n;
    }
  }
  return n;
}

/// A scripted hand keyframe at `t` at STAGE position `hand`, its aim (-z) towards `target`.
Json AimKeyframe(double t, const Eigen::Vector3d& hand, const Eigen::Vector3d& target) {
  const Eigen::Quaterniond q =
      Eigen::Quaterniond::FromTwoVectors(-Eigen::Vector3d::UnitZ(), (target - hand).normalized());
  return {{"t", t},
          {"position", {hand.x(), hand.y(), hand.z()}},
          {"orientation", {q.x(), q.y(), q.z(), q.w()}}};
}

TEST_CASE("muta xr: the laser on the panel toggles the inferred layer and measures", "[xr]") {
  test::TempDir dir("xr_panel");
  const fs::path site = WallSite(dir);
  const std::vector<std::string> common = {site.string(), "--start", "0,0,0",
                                           "--highlight-inferred"};

  // 1. Where the panel is and where its items are (logged once it is drawn; headless EGL).
  std::vector<std::string> args = common;
  args.insert(args.end(), {"--frames", "3", "--log", (dir / "layout.jsonl").string()});
  auto r = RunXr({"MUTA_XR_SIM_WIDTH=64", "MUTA_XR_SIM_HEIGHT=48"}, args);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const Json layout = OfType(ReadLog(dir / "layout.jsonl"), "panel_layout").at(0);
  const Eigen::Vector3d centre = Vec(layout["centre"]);
  const Eigen::Quaterniond rotation(
      layout["orientation"][3].get<double>(), layout["orientation"][0].get<double>(),
      layout["orientation"][1].get<double>(), layout["orientation"][2].get<double>());
  const double w_m = layout["size_m"][0], h_m = layout["size_m"][1];
  const double w_px = layout["pixels"][0], h_px = layout["pixels"][1];
  // Standing at the simulator's default head pose (0, 1.6, 0) facing -z: 1.2 m ahead.
  CHECK((centre - Eigen::Vector3d(0, 1.5, -1.2)).norm() < 1e-6);
  const auto item = [&](const char* name) -> Eigen::Vector3d {
    const Json& rect = layout["items"].at(name);
    const double px = 0.5 * (rect[0].get<double>() + rect[2].get<double>());
    const double py = 0.5 * (rect[1].get<double>() + rect[3].get<double>());
    return centre + rotation * Eigen::Vector3d((px / w_px - 0.5) * w_m, (0.5 - py / h_px) * h_m, 0);
  };
  const Eigen::Vector3d inferred = item("inferred"), measure = item("measure");

  // 2. The scripted session: the right hand points at "Inferred" and clicks it (off), again
  // (on), then at "Measure" (on), then at two points of the wall: world (-1, 3, 0.5) and
  // (1.5, 3, 1.2), i.e. STAGE (-1, 0.5, -3) and (1.5, 1.2, -3) standing at the origin.
  const Eigen::Vector3d hand(0.2, 1.2, -0.3);
  const Eigen::Vector3d a_world(-1, 3, 0.5), b_world(1.5, 3, 1.2);
  const Eigen::Vector3d a(-1, 0.5, -3), b(1.5, 1.2, -3);
  Json right = {
      {"keyframes", Json::array({AimKeyframe(0, hand, inferred), AimKeyframe(0.70, hand, inferred),
                                 AimKeyframe(0.72, hand, measure), AimKeyframe(0.95, hand, measure),
                                 AimKeyframe(0.97, hand, a), AimKeyframe(1.2, hand, a),
                                 AimKeyframe(1.22, hand, b)})}};
  Json inputs = Json::array();
  const auto press = [&](double t) {
    const std::string trigger = "/user/hand/right/input/trigger/value";
    inputs.push_back({{"t", t}, {"path", trigger}, {"value", 1.0}});
    inputs.push_back({{"t", t + 0.08}, {"path", trigger}, {"value", 0.0}});
  };
  press(0.25);  // inferred off
  press(0.55);  // inferred on
  press(0.82);  // measure on
  press(1.05);  // point a
  press(1.30);  // point b
  WriteJsonFile(dir / "controllers.json",
                {{"profile", "/interaction_profiles/oculus/touch_controller"},
                 {"right", right},
                 {"inputs", inputs}});
  const fs::path capture = dir / "capture";
  args = common;
  args.insert(args.end(), {"--frames", "135", "--log", (dir / "log.jsonl").string()});
  RunXrValidated({"MUTA_XR_SIM_WIDTH=240", "MUTA_XR_SIM_HEIGHT=180",
                  "MUTA_XR_SIM_CONTROLLERS=" + (dir / "controllers.json").string(),
                  "MUTA_XR_SIM_CAPTURE_DIR=" + capture.string(), "MUTA_XR_SIM_CAPTURE_EVERY=10"},
                 args);
  const auto log = ReadLog(dir / "log.jsonl");

  // The panel went to the runtime as a quad layer after the projection layer, every frame.
  {
    std::istringstream frames(ReadFileText(capture / "frames.jsonl"));
    std::string line;
    int with_quad = 0, rendered = 0;
    while (std::getline(frames, line)) {
      const Json f = ParseJson(line, "frames.jsonl");
      if (f["layers"].empty()) continue;
      ++rendered;
      REQUIRE(f["layers"].size() == 2);
      CHECK(f["layers"][0]["type"] == "projection");
      const Json& quad = f["layers"][1];
      if (quad["type"] != "quad") continue;
      ++with_quad;
      CHECK(quad["space"] == "STAGE");
      CHECK(quad["size"][0].get<double>() == Approx(0.6));
      CHECK(quad["size"][1].get<double>() == Approx(0.45));
      CHECK((Vec(quad["pose"]["position"]) - centre).norm() < 1e-5);
    }
    CHECK(rendered == 135);
    CHECK(with_quad == rendered);
  }

  // The clicks: inferred off, then on; measure on; two measure points.
  std::vector<std::pair<std::string, Json>> changes;
  for (const Json& p : OfType(log, "panel")) changes.emplace_back(p["item"], p["value"]);
  REQUIRE(changes.size() == 3);
  CHECK(changes[0] == std::make_pair(std::string("inferred"), Json(false)));
  CHECK(changes[1] == std::make_pair(std::string("inferred"), Json(true)));
  CHECK(changes[2] == std::make_pair(std::string("measure"), Json(true)));
  const auto panel_events = OfType(log, "panel");
  const int off_frame = panel_events[0]["frame"], on_frame = panel_events[1]["frame"];
  // The laser was on the panel while pointing at it, and not while pointing at the wall.
  const auto frames = OfType(log, "frame");
  CHECK(frames.at(10)["laser"]["on_panel"] == true);
  CHECK(frames.at(100)["laser"]["on_panel"] == false);

  // The captured eyes (frame n of the simulator is rendered frame n - 1): the highlight's
  // orange before, none while the inferred layer is off, back after; the panel is in them.
  const auto eye = [&](int rendered_frame, const char* side) {
    const int sim_frame = (rendered_frame + 1) / 10 * 10;
    char name[64];
    std::snprintf(name, sizeof(name), "frame_%06d_%s.png", sim_frame, side);
    return ReadImage(capture / name, 4);
  };
  const int before = 10, during = (off_frame + on_frame) / 2 + 5, after = on_frame + 15;
  REQUIRE(off_frame > before + 2);
  REQUIRE(on_frame > off_frame + 15);
  for (const char* side : {"left", "right"}) {
    INFO(side);
    const std::size_t orange_before = OrangePixels(eye(before, side));
    CHECK(orange_before > std::size_t(240 * 180 / 20));
    CHECK(OrangePixels(eye(during, side)) == 0);
    CHECK(OrangePixels(eye(after, side)) > orange_before / 2);
  }
  // The panel is composited into the eye images: around the centre of the left eye (1.2 m
  // ahead, 0.1 m down: inside the panel) the panel's dark background and items, where the
  // sky (the wall is hidden) would be bright.
  const Image left = eye(during, "left");
  double sum = 0;
  int n = 0;
  for (int y = left.height / 2 - 5; y < left.height / 2 + 15; ++y) {
    for (int x = left.width / 2 - 20; x < left.width / 2 + 20; ++x, ++n) {
      sum += left.at(x, y, 0) + left.at(x, y, 1) + left.at(x, y, 2);
    }
  }
  CHECK(sum / (3 * n) < 110);

  // The measurement: two points within 1 cm of the scripted ones, their distance within 1 cm.
  const auto measures = OfType(log, "measure");
  REQUIRE(measures.size() == 2);
  const Json& done = measures[1];
  CHECK(done["complete"] == true);
  CHECK((Vec(done["points"][0]) - a_world).norm() < 0.01);
  CHECK((Vec(done["points"][1]) - b_world).norm() < 0.01);
  CHECK(done["distance_m"].get<double>() == Approx((b_world - a_world).norm()).margin(0.01));
}

}  // namespace
}  // namespace muta::xr
