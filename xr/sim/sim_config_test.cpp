// The simulated headset's configuration and head-pose timeline, without OpenXR.
#include "xr/sim/sim_config.h"

#include <catch2/catch.hpp>
#include <cmath>

using muta::xr::sim::ApplyConfigJson;
using muta::xr::sim::BlendMode;
using muta::xr::sim::ParsePoseTimeline;
using muta::xr::sim::PoseKeyframe;
using muta::xr::sim::PoseTimeline;
using muta::xr::sim::SimConfig;

TEST_CASE("xr/sim timeline: keyframes are interpolated and held at the ends", "[unit]") {
  const PoseTimeline timeline = ParsePoseTimeline(nlohmann::json::parse(R"({"keyframes": [
      {"t": 1, "position": [0, 1, 0], "yaw_deg": 0},
      {"t": 3, "position": [2, 1, -4], "yaw_deg": 90}]})"));
  const PoseKeyframe mid = timeline.Sample(2.0);
  CHECK(mid.position.x() == Approx(1.0));
  CHECK(mid.position.z() == Approx(-2.0));
  const Eigen::Vector3d forward = mid.orientation * Eigen::Vector3d(0, 0, -1);
  // Yaw 45° to the left: forward turns from -z towards -x.
  CHECK(forward.x() == Approx(-std::sqrt(0.5)).margin(1e-9));
  CHECK(forward.z() == Approx(-std::sqrt(0.5)).margin(1e-9));
  CHECK(timeline.Sample(0.0).position.x() == Approx(0.0));
  CHECK(timeline.Sample(10.0).position.z() == Approx(-4.0));
}

TEST_CASE("xr/sim timeline: a looping timeline wraps, quaternions are normalised", "[unit]") {
  const PoseTimeline timeline = ParsePoseTimeline(nlohmann::json::parse(R"({"loop": true,
      "keyframes": [{"t": 0, "position": [0, 0, 0], "orientation": [0, 0, 0, 2]},
                    {"t": 2, "position": [4, 0, 0], "orientation": [0, 0, 0, 1]}]})"));
  CHECK(timeline.Sample(3.0).position.x() == Approx(2.0));
  CHECK(timeline.Sample(1.0).orientation.w() == Approx(1.0));
}

TEST_CASE("xr/sim timeline: bad timelines are errors naming the keyframe", "[unit]") {
  const auto parse = [](const char* text) {
    return ParsePoseTimeline(nlohmann::json::parse(text));
  };
  CHECK_THROWS_WITH(parse(R"({"keyframes": []})"), Catch::Contains("at least one keyframe"));
  CHECK_THROWS_WITH(parse(R"({"keyframes": [{"t": 1}, {"t": 1}]})"),
                    Catch::Contains("keyframe 1") && Catch::Contains("increase"));
  CHECK_THROWS_WITH(parse(R"({"keyframes": [{"t": 0, "position": [1, 2]}]})"),
                    Catch::Contains("keyframe 0") && Catch::Contains("position"));
  CHECK_THROWS_WITH(parse(R"({"frames": []})"), Catch::Contains("keyframes"));
}

TEST_CASE("xr/sim config: JSON keys set the fields, unknown keys and bad values fail", "[unit]") {
  SimConfig config;
  ApplyConfigJson(nlohmann::json::parse(R"({"width": 800, "height": 600, "refresh_hz": 120,
      "blend_modes": ["alpha_blend", "opaque"], "timing": "virtual", "ipd_m": 0.07,
      "capture_dir": "cap", "exit_after_frames": 10})"),
                  "/base", config);
  CHECK(config.width == 800);
  CHECK(config.height == 600);
  CHECK(config.refresh_hz == 120);
  CHECK(config.blend_modes == std::vector<BlendMode>{BlendMode::kAlphaBlend, BlendMode::kOpaque});
  CHECK(config.timing == muta::xr::sim::Timing::kVirtual);
  CHECK(config.capture_dir == std::filesystem::path("/base/cap"));
  CHECK(config.exit_after_frames == 10);
  CHECK_NOTHROW(config.Check());

  SimConfig other;
  CHECK_THROWS_WITH(ApplyConfigJson(nlohmann::json::parse(R"({"widht": 3})"), "/", other),
                    Catch::Contains("unknown key \"widht\""));
  CHECK_THROWS_WITH(
      ApplyConfigJson(nlohmann::json::parse(R"({"blend_modes": ["glass"]})"), "/", other),
      Catch::Contains("glass"));
  CHECK_THROWS_WITH(ApplyConfigJson(nlohmann::json::parse(R"({"width": 10.5})"), "/", other),
                    Catch::Contains("width must be an integer"));
  other.refresh_hz = 0;
  CHECK_THROWS_WITH(other.Check(), Catch::Contains("refresh_hz"));
}

TEST_CASE("xr/sim controllers: inputs are step functions, bad scripts are errors", "[unit]") {
  const auto script = muta::xr::sim::ParseControllerScript(nlohmann::json::parse(R"({
      "profile": "/interaction_profiles/oculus/touch_controller",
      "right": {"keyframes": [{"t": 0}]},
      "inputs": [{"t": 2, "path": "/user/hand/right/input/thumbstick", "value": [0, -1]},
                 {"t": 1, "path": "/user/hand/right/input/thumbstick", "value": [0.5, 0.25]},
                 {"t": 1, "path": "/user/hand/left/input/trigger/value", "value": 0.75}]})"));
  CHECK(script.profile == "/interaction_profiles/oculus/touch_controller");
  CHECK_FALSE(script.hands[0].has_value());
  CHECK(script.hands[1].has_value());
  const std::string stick = "/user/hand/right/input/thumbstick";
  CHECK(script.Value(stick, 0.5) == Eigen::Vector2d(0, 0));
  CHECK(script.Value(stick, 1.5) == Eigen::Vector2d(0.5, 0.25));
  CHECK(script.Value(stick, 9.0) == Eigen::Vector2d(0, -1));
  CHECK(script.Value("/user/hand/left/input/trigger/value", 1.0) == Eigen::Vector2d(0.75, 0));
  CHECK_FALSE(script.Value("/user/hand/left/input/squeeze/value", 1.0).has_value());

  const auto parse = [](const char* text) {
    return muta::xr::sim::ParseControllerScript(nlohmann::json::parse(text));
  };
  CHECK_THROWS_WITH(parse(R"({"profile": "touch"})"), Catch::Contains("interaction profile"));
  CHECK_THROWS_WITH(parse(R"({"inputs": [{"t": 0, "path": "/user/hand/left/x"}]})"),
                    Catch::Contains("input 0"));
  CHECK_THROWS_WITH(parse(R"({"inputs": [{"path": "/user/hand/left/x", "value": "on"}]})"),
                    Catch::Contains("value"));
  CHECK_THROWS_WITH(parse(R"({"hands": {}})"), Catch::Contains("unknown key"));
}
