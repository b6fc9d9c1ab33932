// The simulated headset through the real Khronos loader: a small OpenXR app (sim_test_client.h)
// on a headless EGL context runs the session to focused, renders solid colours per eye, exits,
// and the tests check what the runtime reported and captured (PNGs, frames.jsonl).
#include "xr/sim/sim_test_client.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "core/image_io.h"
#include "core/json.h"
#include "tests/test_util.h"

namespace fs = std::filesystem;
using muta::xr::sim::test::Client;
using muta::xr::sim::test::ClientOptions;
using muta::xr::sim::test::EyeColour;
using muta::xr::sim::test::kFullSequence;
using muta::xr::sim::test::ResultName;
using muta::xr::sim::test::ScopedEnv;
using muta::xr::sim::test::UseSimulator;

namespace {

constexpr double kPi = 3.14159265358979323846;

std::vector<muta::Json> ReadFrameLog(const fs::path& path) {
  std::ifstream in(path);
  REQUIRE(in);
  std::vector<muta::Json> records;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) records.push_back(muta::ParseJson(line, path.string()));
  }
  return records;
}

/// Every rendered frame's record: predicted time as the app saw it, views as submitted, and
/// PNGs holding exactly the colours cleared.
void CheckCapture(const Client& client, const fs::path& dir, std::int64_t period) {
  const auto records = ReadFrameLog(dir / "frames.jsonl");
  std::vector<muta::Json> rendered;
  for (const auto& r : records) {
    if (!r["layers"].empty()) rendered.push_back(r);
  }
  REQUIRE(rendered.size() == client.submitted().size());
  for (std::size_t i = 0; i < rendered.size(); ++i) {
    INFO("rendered frame " << i);
    const auto& record = rendered[i];
    const auto& submitted = client.submitted()[i];
    CHECK(record["display_period"].get<std::int64_t>() == period);
    CHECK(record["predicted_display_time"].get<XrTime>() == submitted.predicted_display_time);
    CHECK(record["display_time"].get<XrTime>() == submitted.predicted_display_time);
    CHECK(record["blend_mode"] == "opaque");
    REQUIRE(record["layers"].size() == 1);
    const auto& layer = record["layers"][0];
    CHECK(layer["type"] == "projection");
    CHECK(layer["space"] == "LOCAL");
    REQUIRE(layer["views"].size() == 2);
    for (int eye = 0; eye < 2; ++eye) {
      const auto& view = layer["views"][eye];
      const XrPosef& pose = submitted.views[eye].pose;
      CHECK(view["pose"]["position"][0].get<double>() == Approx(pose.position.x).margin(1e-6));
      CHECK(view["pose"]["position"][1].get<double>() == Approx(pose.position.y).margin(1e-6));
      CHECK(view["pose"]["position"][2].get<double>() == Approx(pose.position.z).margin(1e-6));
      CHECK(view["image"]["format"].get<std::int64_t>() == GL_SRGB8_ALPHA8);
      CHECK(view["depth"]["image"]["format"].get<std::int64_t>() == GL_DEPTH_COMPONENT32F);
      CHECK(view["depth"]["far_z"].get<double>() == Approx(100.0));
      const muta::Image image = muta::ReadImage(dir / view["png"].get<std::string>(), 4);
      CHECK(image.width == 64);
      CHECK(image.height == 48);
      const auto expected = submitted.colour[eye];
      int wrong = 0;
      for (int y = 0; y < image.height; ++y) {
        for (int x = 0; x < image.width; ++x) {
          for (int c = 0; c < 4; ++c) wrong += std::abs(image.at(x, y, c) - expected[c]) > 1;
        }
      }
      CHECK(wrong == 0);
    }
  }
  // Frames are paced at the configured rate: predicted display times lie on the refresh grid
  // and increase by whole periods (a slow machine skips refreshes, it never breaks the grid).
  for (std::size_t i = 1; i < records.size(); ++i) {
    const XrTime step = records[i]["predicted_display_time"].get<XrTime>() -
                        records[i - 1]["predicted_display_time"].get<XrTime>();
    CHECK(step > 0);
    CHECK(step % period == 0);
    CHECK(records[i]["frame"].get<int>() > records[i - 1]["frame"].get<int>());
  }
}

}  // namespace

TEST_CASE("xr/sim: a session runs to focused, its frames are captured, and it exits", "[xr]") {
  muta::test::TempDir dir("xr_sim_session");
  ScopedEnv env;
  UseSimulator(env);
  env.Set("MUTA_XR_SIM_WIDTH", "64");
  env.Set("MUTA_XR_SIM_HEIGHT", "48");
  env.Set("MUTA_XR_SIM_REFRESH_HZ", "72");
  env.Set("MUTA_XR_SIM_CAPTURE_DIR", dir.path().string());

  Client client;
  XrInstanceProperties props{XR_TYPE_INSTANCE_PROPERTIES};
  REQUIRE(xrGetInstanceProperties(client.instance(), &props) == XR_SUCCESS);
  CHECK(std::string(props.runtimeName) == "Muta simulated headset");
  REQUIRE(client.config_views().size() == 2);
  CHECK(client.config_views()[0].recommendedImageRectWidth == 64);
  CHECK(client.config_views()[1].recommendedImageRectHeight == 48);

  uint32_t count = 0;
  XrEnvironmentBlendMode modes[3];
  REQUIRE(xrEnumerateEnvironmentBlendModes(client.instance(), client.system(),
                                           XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO, 3, &count,
                                           modes) == XR_SUCCESS);
  REQUIRE(count == 1);
  CHECK(modes[0] == XR_ENVIRONMENT_BLEND_MODE_OPAQUE);

  client.CreateSession();
  uint32_t space_count = 0;
  XrReferenceSpaceType spaces[3];
  REQUIRE(xrEnumerateReferenceSpaces(client.session(), 3, &space_count, spaces) == XR_SUCCESS);
  CHECK(space_count == 3);

  client.RunFocused(6, EyeColour);
  CHECK(client.SyncActions() == 0);  // no controllers: every action is inactive
  REQUIRE(xrRequestExitSession(client.session()) == XR_SUCCESS);
  client.RunUntilExiting(EyeColour);
  CHECK(client.states() == kFullSequence);
  client.DestroySession();

  CheckCapture(client, dir.path(), std::llround(1e9 / 72));
}

TEST_CASE("xr/sim: xrLocateViews follows the scripted head-pose timeline", "[xr]") {
  muta::test::TempDir dir("xr_sim_timeline");
  {
    std::ofstream timeline(dir / "head.json");
    timeline << R"({"keyframes": [
      {"t": 0, "position": [0, 1.6, 0], "yaw_deg": 0},
      {"t": 1, "position": [1, 1.6, -2], "yaw_deg": 90}]})";
  }
  ScopedEnv env;
  UseSimulator(env);
  env.Set("MUTA_XR_SIM_WIDTH", "64");
  env.Set("MUTA_XR_SIM_HEIGHT", "48");
  env.Set("MUTA_XR_SIM_REFRESH_HZ", "50");
  env.Set("MUTA_XR_SIM_FOV_X_DEG", "100");
  env.Set("MUTA_XR_SIM_IPD_M", "0.064");
  env.Set("MUTA_XR_SIM_TIMING", "virtual");
  env.Set("MUTA_XR_SIM_TIMELINE", (dir / "head.json").string());
  env.Set("MUTA_XR_SIM_CAPTURE_DIR", (dir / "capture").string());

  ClientOptions options;
  options.space = XR_REFERENCE_SPACE_TYPE_STAGE;
  Client client(options);
  client.CreateSession();
  client.RunFocused(3, EyeColour);

  // Virtual timing: every frame is exactly one period (20 ms) after the previous one.
  const auto records = ReadFrameLog(dir / "capture" / "frames.jsonl");
  REQUIRE(records.size() >= 4);
  for (std::size_t i = 1; i < records.size(); ++i) {
    CHECK(records[i]["predicted_display_time"].get<XrTime>() -
              records[i - 1]["predicted_display_time"].get<XrTime>() ==
          20000000);
  }
  const XrTime begin = records[0]["predicted_display_time"].get<XrTime>() -
                       std::llround(records[0]["time_since_begin_s"].get<double>() * 1e9);

  const auto locate = [&](double t_s, XrSpace space) {
    XrViewLocateInfo info{XR_TYPE_VIEW_LOCATE_INFO};
    info.viewConfigurationType = XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO;
    info.displayTime = begin + std::llround(t_s * 1e9);
    info.space = space;
    XrViewState state{XR_TYPE_VIEW_STATE};
    std::array<XrView, 2> views{XrView{XR_TYPE_VIEW}, XrView{XR_TYPE_VIEW}};
    uint32_t n = 0;
    REQUIRE(xrLocateViews(client.session(), &info, &state, 2, &n, views.data()) == XR_SUCCESS);
    REQUIRE(n == 2);
    CHECK((state.viewStateFlags & XR_VIEW_STATE_POSITION_TRACKED_BIT) != 0);
    return views;
  };

  // Halfway: position (0.5, 1.6, -1), turned 45° left; the eyes ±IPD/2 along the head's x.
  const auto half = locate(0.5, client.stage());
  const double c = std::cos(kPi / 4), s = std::sin(kPi / 4);
  for (int eye = 0; eye < 2; ++eye) {
    const double x = (eye == 0 ? -0.032 : 0.032);
    CHECK(half[eye].pose.position.x == Approx(0.5 + x * c).margin(1e-5));
    CHECK(half[eye].pose.position.y == Approx(1.6).margin(1e-5));
    CHECK(half[eye].pose.position.z == Approx(-1.0 - x * s).margin(1e-5));
    CHECK(half[eye].pose.orientation.y == Approx(std::sin(kPi / 8)).margin(1e-5));
    CHECK(half[eye].pose.orientation.w == Approx(std::cos(kPi / 8)).margin(1e-5));
    CHECK(half[eye].fov.angleLeft == Approx(-50.0 * kPi / 180).margin(1e-5));
    CHECK(half[eye].fov.angleUp ==
          Approx(std::atan(std::tan(50.0 * kPi / 180) * 48 / 64)).margin(1e-5));
  }
  const double ipd = std::hypot(half[1].pose.position.x - half[0].pose.position.x,
                                half[1].pose.position.z - half[0].pose.position.z);
  CHECK(ipd == Approx(0.064).margin(1e-5));

  // After the last keyframe the pose holds: (1, 1.6, -2), turned 90° left.
  const auto after = locate(5.0, client.stage());
  CHECK((after[0].pose.position.x + after[1].pose.position.x) / 2 == Approx(1.0).margin(1e-5));
  CHECK(after[0].pose.position.z == Approx(-2.0 + 0.032).margin(1e-5));

  // LOCAL starts at the first keyframe's head position: VIEW in LOCAL is the displacement.
  XrSpaceLocation location{XR_TYPE_SPACE_LOCATION};
  REQUIRE(xrLocateSpace(client.view(), client.local(), begin + 500000000, &location) == XR_SUCCESS);
  CHECK((location.locationFlags & XR_SPACE_LOCATION_POSITION_VALID_BIT) != 0);
  CHECK(location.pose.position.x == Approx(0.5).margin(1e-5));
  CHECK(location.pose.position.y == Approx(0.0).margin(1e-5));
  CHECK(location.pose.position.z == Approx(-1.0).margin(1e-5));

  // Each rendered frame's views are the timeline at its predicted display time.
  for (const auto& frame : client.submitted()) {
    const double t = double(frame.predicted_display_time - begin) * 1e-9;
    const double expected_x = std::min(1.0, t);  // x goes 0 → 1 over the first second
    const double mid_x = (frame.views[0].pose.position.x + frame.views[1].pose.position.x) / 2;
    CHECK(mid_x == Approx(expected_x).margin(1e-5));
  }

  // Action spaces exist but no controller tracks them.
  XrSpaceLocation hand{XR_TYPE_SPACE_LOCATION};
  REQUIRE(xrLocateSpace(client.hand_space(), client.local(), begin + 1, &hand) == XR_SUCCESS);
  CHECK(hand.locationFlags == 0);

  REQUIRE(xrRequestExitSession(client.session()) == XR_SUCCESS);
  client.RunUntilExiting(EyeColour);
  client.DestroySession();
}

TEST_CASE("xr/sim: scripted controllers drive the app's actions and hand spaces", "[xr]") {
  muta::test::TempDir dir("xr_sim_input");
  {
    std::ofstream controllers(dir / "controllers.json");
    controllers << R"({"profile": "/interaction_profiles/khr/simple_controller",
      "left": {"keyframes": [{"t": 0, "position": [-0.2, 1.0, -0.3]},
                             {"t": 1, "position": [-0.2, 1.2, -0.3]}]},
      "inputs": [{"t": 0.11, "path": "/user/hand/right/input/select/click", "value": true},
                 {"t": 0.21, "path": "/user/hand/right/input/select/click", "value": false}]})";
  }
  ScopedEnv env;
  UseSimulator(env);
  env.Set("MUTA_XR_SIM_WIDTH", "32");
  env.Set("MUTA_XR_SIM_HEIGHT", "32");
  env.Set("MUTA_XR_SIM_REFRESH_HZ", "50");
  env.Set("MUTA_XR_SIM_TIMING", "virtual");
  env.Set("MUTA_XR_SIM_CONTROLLERS", (dir / "controllers.json").string());
  env.Set("MUTA_XR_SIM_CAPTURE_DIR", (dir / "capture").string());

  Client client;
  client.CreateSession();
  client.RunFocused(15, EyeColour);

  // Each focused frame synced the actions at its predicted display time: "select" (bound to
  // both hands' select/click) is pressed from 0.11 s to 0.21 s.
  std::vector<double> times;
  for (const auto& r : ReadFrameLog(dir / "capture" / "frames.jsonl")) {
    if (!r["layers"].empty()) times.push_back(r["time_since_begin_s"].get<double>());
  }
  const auto& history = client.select_history();
  REQUIRE(history.size() == times.size());
  bool previous = false;
  for (std::size_t i = 0; i < history.size(); ++i) {
    INFO("frame at t = " << times[i] << " s");
    const bool pressed = times[i] > 0.11 && times[i] < 0.21;
    CHECK(history[i].isActive == XR_TRUE);
    CHECK((history[i].currentState == XR_TRUE) == pressed);
    CHECK((history[i].changedSinceLastSync == XR_TRUE) == (i > 0 && pressed != previous));
    previous = pressed;
  }
  CHECK(std::count_if(history.begin(), history.end(),
                      [](const XrActionStateBoolean& b) { return b.currentState; }) == 5);

  // Both hands present the scripted profile.
  XrInteractionProfileState profile{XR_TYPE_INTERACTION_PROFILE_STATE};
  REQUIRE(xrGetCurrentInteractionProfile(client.session(), client.Path("/user/hand/left"),
                                         &profile) == XR_SUCCESS);
  CHECK(profile.interactionProfile == client.Path("/interaction_profiles/khr/simple_controller"));

  // The left grip pose follows the left hand's timeline.
  const XrTime begin = client.submitted()[0].predicted_display_time - std::llround(times[0] * 1e9);
  XrSpaceLocation hand{XR_TYPE_SPACE_LOCATION};
  REQUIRE(xrLocateSpace(client.hand_space(), client.stage(), begin + 500000000, &hand) ==
          XR_SUCCESS);
  CHECK((hand.locationFlags & XR_SPACE_LOCATION_POSITION_TRACKED_BIT) != 0);
  CHECK(hand.pose.position.x == Approx(-0.2).margin(1e-5));
  CHECK(hand.pose.position.y == Approx(1.1).margin(1e-5));
  CHECK(hand.pose.position.z == Approx(-0.3).margin(1e-5));

  REQUIRE(xrRequestExitSession(client.session()) == XR_SUCCESS);
  client.RunUntilExiting(EyeColour);
  client.DestroySession();
}

TEST_CASE("xr/sim: a config file sets the headset, and a simulated quit ends the session", "[xr]") {
  muta::test::TempDir dir("xr_sim_config");
  {
    std::ofstream config(dir / "sim.json");
    config << R"({"width": 40, "height": 32, "refresh_hz": 60, "timing": "virtual",
                 "blend_modes": ["additive", "alpha_blend"], "exit_after_frames": 4,
                 "capture_dir": "out", "capture_images": false})";
  }
  ScopedEnv env;
  UseSimulator(env);
  env.Set("MUTA_XR_SIM_CONFIG", (dir / "sim.json").string());

  ClientOptions options;
  options.blend = XR_ENVIRONMENT_BLEND_MODE_ADDITIVE;
  options.depth = false;
  Client client(options);
  CHECK(client.config_views()[0].recommendedImageRectWidth == 40);
  CHECK(client.config_views()[0].recommendedImageRectHeight == 32);
  uint32_t count = 0;
  XrEnvironmentBlendMode modes[3];
  REQUIRE(xrEnumerateEnvironmentBlendModes(client.instance(), client.system(),
                                           XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO, 3, &count,
                                           modes) == XR_SUCCESS);
  REQUIRE(count == 2);
  CHECK(modes[0] == XR_ENVIRONMENT_BLEND_MODE_ADDITIVE);
  CHECK(modes[1] == XR_ENVIRONMENT_BLEND_MODE_ALPHA_BLEND);

  client.CreateSession();
  client.RunUntilExiting(EyeColour);  // the app never asks to exit: the simulated user quits
  CHECK(client.states() == kFullSequence);
  client.DestroySession();

  const auto records = ReadFrameLog(dir / "out" / "frames.jsonl");
  CHECK(records.size() == 4);
  for (const auto& r : records) {
    CHECK(r["display_period"].get<std::int64_t>() == std::llround(1e9 / 60));
    CHECK(r["blend_mode"] == "additive");
  }
  CHECK_FALSE(fs::exists(dir / "out" / "frame_000001_left.png"));  // capture_images: false
}

TEST_CASE("xr/sim: a scripted session loss reports LOSS_PENDING, then a new session starts",
          "[xr]") {
  ScopedEnv env;
  UseSimulator(env);
  env.Set("MUTA_XR_SIM_WIDTH", "32");
  env.Set("MUTA_XR_SIM_HEIGHT", "32");
  env.Set("MUTA_XR_SIM_TIMING", "virtual");
  env.Set("MUTA_XR_SIM_LOSS_AFTER_FRAMES", "3");

  ClientOptions options;
  options.actions = false;
  Client client(options);
  client.CreateSession();
  client.RunFocused(2, EyeColour);  // frames 2 and 3 (the first was not rendered)
  client.PollEvents();
  CHECK(client.state() == XR_SESSION_STATE_LOSS_PENDING);
  XrFrameState frame{XR_TYPE_FRAME_STATE};
  CHECK(ResultName(xrWaitFrame(client.session(), nullptr, &frame)) == "XR_ERROR_SESSION_LOST");
  CHECK(ResultName(xrRequestExitSession(client.session())) == "XR_ERROR_SESSION_LOST");
  client.DestroySession();

  client.CreateSession();
  client.RunFocused(1, EyeColour);
  const std::vector<XrSessionState> expected = {
      XR_SESSION_STATE_IDLE,    XR_SESSION_STATE_READY,   XR_SESSION_STATE_SYNCHRONIZED,
      XR_SESSION_STATE_VISIBLE, XR_SESSION_STATE_FOCUSED, XR_SESSION_STATE_LOSS_PENDING,
      XR_SESSION_STATE_IDLE,    XR_SESSION_STATE_READY,   XR_SESSION_STATE_SYNCHRONIZED,
      XR_SESSION_STATE_VISIBLE, XR_SESSION_STATE_FOCUSED};
  CHECK(client.states() == expected);
}

TEST_CASE("xr/sim: out-of-order calls, bad handles and bad submissions are errors", "[xr]") {
  ScopedEnv env;
  UseSimulator(env);
  env.Set("MUTA_XR_SIM_WIDTH", "32");
  env.Set("MUTA_XR_SIM_HEIGHT", "32");
  env.Set("MUTA_XR_SIM_TIMING", "virtual");

  ClientOptions options;
  options.actions = false;
  Client client(options);

  XrSystemGetInfo handheld{XR_TYPE_SYSTEM_GET_INFO};
  handheld.formFactor = XR_FORM_FACTOR_HANDHELD_DISPLAY;
  XrSystemId system = 0;
  CHECK(ResultName(xrGetSystem(client.instance(), &handheld, &system)) ==
        "XR_ERROR_FORM_FACTOR_UNSUPPORTED");
  char name[XR_MAX_STRUCTURE_NAME_SIZE];
  REQUIRE(xrResultToString(client.instance(), XR_ERROR_LAYER_INVALID, name) == XR_SUCCESS);
  CHECK(std::string(name) == "XR_ERROR_LAYER_INVALID");
  REQUIRE(xrStructureTypeToString(client.instance(), XR_TYPE_VIEW, name) == XR_SUCCESS);
  CHECK(std::string(name) == "XR_TYPE_VIEW");
  PFN_xrVoidFunction function = nullptr;
  CHECK(xrGetInstanceProcAddr(client.instance(), "xrGetVisibilityMaskKHR", &function) ==
        XR_ERROR_FUNCTION_UNSUPPORTED);
  CHECK(function == nullptr);

  client.CreateSession();
  XrSession session = client.session();
  CHECK(ResultName(xrEndSession(session)) == "XR_ERROR_SESSION_NOT_RUNNING");
  client.PollEvents();  // READY: the client begins the session
  REQUIRE(client.running());
  XrSessionBeginInfo begin_info{XR_TYPE_SESSION_BEGIN_INFO};
  begin_info.primaryViewConfigurationType = XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO;
  CHECK(ResultName(xrBeginSession(session, &begin_info)) == "XR_ERROR_SESSION_RUNNING");
  CHECK(ResultName(xrEndSession(session)) == "XR_ERROR_SESSION_NOT_STOPPING");

  // Frame calls out of order.
  CHECK(ResultName(xrBeginFrame(session, nullptr)) == "XR_ERROR_CALL_ORDER_INVALID");
  XrFrameEndInfo end{XR_TYPE_FRAME_END_INFO};
  end.environmentBlendMode = XR_ENVIRONMENT_BLEND_MODE_OPAQUE;
  end.displayTime = 1;
  CHECK(ResultName(xrEndFrame(session, &end)) == "XR_ERROR_CALL_ORDER_INVALID");
  XrFrameState frame{XR_TYPE_FRAME_STATE};
  REQUIRE(xrWaitFrame(session, nullptr, &frame) == XR_SUCCESS);
  CHECK(frame.predictedDisplayPeriod == std::llround(1e9 / 90));
  REQUIRE(xrBeginFrame(session, nullptr) == XR_SUCCESS);
  REQUIRE(xrWaitFrame(session, nullptr, &frame) == XR_SUCCESS);
  CHECK(ResultName(xrBeginFrame(session, nullptr)) == "XR_FRAME_DISCARDED");

  // Bad submissions: no time, a blend mode not offered, a swapchain never released.
  end.displayTime = 0;
  CHECK(ResultName(xrEndFrame(session, &end)) == "XR_ERROR_TIME_INVALID");
  end.displayTime = frame.predictedDisplayTime;
  end.environmentBlendMode = XR_ENVIRONMENT_BLEND_MODE_ADDITIVE;
  CHECK(ResultName(xrEndFrame(session, &end)) == "XR_ERROR_ENVIRONMENT_BLEND_MODE_UNSUPPORTED");
  end.environmentBlendMode = XR_ENVIRONMENT_BLEND_MODE_OPAQUE;

  XrSwapchainCreateInfo info{XR_TYPE_SWAPCHAIN_CREATE_INFO};
  info.usageFlags = XR_SWAPCHAIN_USAGE_COLOR_ATTACHMENT_BIT;
  info.format = GL_RGBA8;
  info.sampleCount = info.faceCount = info.arraySize = info.mipCount = 1;
  info.width = info.height = 32;
  XrSwapchain swapchain = XR_NULL_HANDLE;
  info.format = 0x1234;
  CHECK(ResultName(xrCreateSwapchain(session, &info, &swapchain)) ==
        "XR_ERROR_SWAPCHAIN_FORMAT_UNSUPPORTED");
  info.format = GL_RGBA8;
  REQUIRE(xrCreateSwapchain(session, &info, &swapchain) == XR_SUCCESS);
  XrCompositionLayerProjectionView views[2] = {{XR_TYPE_COMPOSITION_LAYER_PROJECTION_VIEW},
                                               {XR_TYPE_COMPOSITION_LAYER_PROJECTION_VIEW}};
  for (auto& v : views) {
    v.pose.orientation.w = 1;
    v.subImage = {swapchain, {{0, 0}, {32, 32}}, 0};
  }
  XrCompositionLayerProjection layer{XR_TYPE_COMPOSITION_LAYER_PROJECTION};
  layer.space = client.local();
  layer.viewCount = 2;
  layer.views = views;
  const auto* layer_ptr = reinterpret_cast<const XrCompositionLayerBaseHeader*>(&layer);
  end.layerCount = 1;
  end.layers = &layer_ptr;
  CHECK(ResultName(xrEndFrame(session, &end)) == "XR_ERROR_LAYER_INVALID");

  // Swapchain images: wait and release only in order, at most as many acquired as exist.
  XrSwapchainImageWaitInfo wait{XR_TYPE_SWAPCHAIN_IMAGE_WAIT_INFO};
  wait.timeout = XR_INFINITE_DURATION;
  CHECK(ResultName(xrWaitSwapchainImage(swapchain, &wait)) == "XR_ERROR_CALL_ORDER_INVALID");
  CHECK(ResultName(xrReleaseSwapchainImage(swapchain, nullptr)) == "XR_ERROR_CALL_ORDER_INVALID");
  uint32_t index = 0, image_count = 0;
  REQUIRE(xrEnumerateSwapchainImages(swapchain, 0, &image_count, nullptr) == XR_SUCCESS);
  for (uint32_t i = 0; i < image_count; ++i) {
    REQUIRE(xrAcquireSwapchainImage(swapchain, nullptr, &index) == XR_SUCCESS);
    CHECK(index == i);
  }
  CHECK(ResultName(xrAcquireSwapchainImage(swapchain, nullptr, &index)) ==
        "XR_ERROR_CALL_ORDER_INVALID");
  REQUIRE(xrWaitSwapchainImage(swapchain, &wait) == XR_SUCCESS);
  REQUIRE(xrReleaseSwapchainImage(swapchain, nullptr) == XR_SUCCESS);

  // Now the layer is valid but its rectangle is not. A failed xrEndFrame leaves the frame
  // begun, so the next xrBeginFrame discards it.
  REQUIRE(xrWaitFrame(session, nullptr, &frame) == XR_SUCCESS);
  CHECK(ResultName(xrBeginFrame(session, nullptr)) == "XR_FRAME_DISCARDED");
  end.displayTime = frame.predictedDisplayTime;
  views[1].subImage.imageRect.extent.width = 33;
  CHECK(ResultName(xrEndFrame(session, &end)) == "XR_ERROR_SWAPCHAIN_RECT_INVALID");
  REQUIRE(xrWaitFrame(session, nullptr, &frame) == XR_SUCCESS);
  CHECK(ResultName(xrBeginFrame(session, nullptr)) == "XR_FRAME_DISCARDED");
  end.displayTime = frame.predictedDisplayTime;
  views[1].subImage.imageRect.extent.width = 32;
  CHECK(ResultName(xrEndFrame(session, &end)) == "XR_SUCCESS");

  // A quad layer after it is checked as a runtime would: a finite positive size, a known eye
  // visibility, defined flags only.
  XrCompositionLayerQuad quad{XR_TYPE_COMPOSITION_LAYER_QUAD};
  quad.space = client.local();
  quad.eyeVisibility = XR_EYE_VISIBILITY_BOTH;
  quad.subImage = {swapchain, {{0, 0}, {32, 32}}, 0};
  quad.pose.orientation.w = 1;
  quad.pose.position.z = -1;
  quad.size = {0.5f, 0.5f};
  const XrCompositionLayerBaseHeader* both[2] = {
      layer_ptr, reinterpret_cast<const XrCompositionLayerBaseHeader*>(&quad)};
  end.layerCount = 2;
  end.layers = both;
  const auto end_next_frame = [&]() {
    REQUIRE(xrWaitFrame(session, nullptr, &frame) == XR_SUCCESS);
    const XrResult begun = xrBeginFrame(session, nullptr);
    REQUIRE((begun == XR_SUCCESS || begun == XR_FRAME_DISCARDED));
    end.displayTime = frame.predictedDisplayTime;
    return ResultName(xrEndFrame(session, &end));
  };
  quad.size.width = 0;
  CHECK(end_next_frame() == "XR_ERROR_VALIDATION_FAILURE");
  quad.size.width = 0.5f;
  quad.eyeVisibility = static_cast<XrEyeVisibility>(7);
  CHECK(end_next_frame() == "XR_ERROR_VALIDATION_FAILURE");
  quad.eyeVisibility = XR_EYE_VISIBILITY_LEFT;
  quad.layerFlags = 0x100;
  CHECK(end_next_frame() == "XR_ERROR_VALIDATION_FAILURE");
  quad.layerFlags = XR_COMPOSITION_LAYER_BLEND_TEXTURE_SOURCE_ALPHA_BIT;
  CHECK(end_next_frame() == "XR_SUCCESS");
  end.layerCount = 1;
  end.layers = &layer_ptr;

  // Destroyed handles are invalid.
  REQUIRE(xrDestroySwapchain(swapchain) == XR_SUCCESS);
  CHECK(ResultName(xrAcquireSwapchainImage(swapchain, nullptr, &index)) ==
        "XR_ERROR_HANDLE_INVALID");
  XrReferenceSpaceCreateInfo space_info{XR_TYPE_REFERENCE_SPACE_CREATE_INFO};
  space_info.referenceSpaceType = XR_REFERENCE_SPACE_TYPE_STAGE;
  space_info.poseInReferenceSpace.orientation.w = 1;
  XrSpace space = XR_NULL_HANDLE;
  REQUIRE(xrCreateReferenceSpace(session, &space_info, &space) == XR_SUCCESS);
  REQUIRE(xrDestroySpace(space) == XR_SUCCESS);
  XrSpaceLocation location{XR_TYPE_SPACE_LOCATION};
  CHECK(ResultName(xrLocateSpace(space, client.local(), frame.predictedDisplayTime, &location)) ==
        "XR_ERROR_HANDLE_INVALID");
}

namespace {

TEST_CASE("xr/sim: a quad layer is recorded and composited into the captured eye images", "[xr]") {
  muta::test::TempDir dir("xr_sim_quad");
  ScopedEnv env;
  UseSimulator(env);
  env.Set("MUTA_XR_SIM_WIDTH", "64");
  env.Set("MUTA_XR_SIM_HEIGHT", "48");
  env.Set("MUTA_XR_SIM_TIMING", "virtual");
  env.Set("MUTA_XR_SIM_CAPTURE_DIR", dir.path().string());

  // A red 0.5 x 0.5 m quad 1 m in front of the default head (STAGE (0, 1.6, 0), looking
  // along -z), shown to the left eye only, over blue eyes.
  XrCompositionLayerQuad quad{XR_TYPE_COMPOSITION_LAYER_QUAD};
  ClientOptions options;
  options.actions = false;
  options.depth = false;
  options.space = XR_REFERENCE_SPACE_TYPE_STAGE;
  options.extra_layers = {reinterpret_cast<const XrCompositionLayerBaseHeader*>(&quad)};
  Client client(options);
  client.CreateSession();
  XrSwapchainCreateInfo info{XR_TYPE_SWAPCHAIN_CREATE_INFO};
  info.usageFlags = XR_SWAPCHAIN_USAGE_COLOR_ATTACHMENT_BIT;
  info.format = GL_RGBA8;
  info.sampleCount = info.faceCount = info.arraySize = info.mipCount = 1;
  info.width = info.height = 4;
  XrSwapchain swapchain = XR_NULL_HANDLE;
  REQUIRE(xrCreateSwapchain(client.session(), &info, &swapchain) == XR_SUCCESS);
  uint32_t count = 0, index = 0;
  REQUIRE(xrEnumerateSwapchainImages(swapchain, 0, &count, nullptr) == XR_SUCCESS);
  std::vector<XrSwapchainImageOpenGLKHR> images(count, {XR_TYPE_SWAPCHAIN_IMAGE_OPENGL_KHR});
  REQUIRE(xrEnumerateSwapchainImages(
              swapchain, count, &count,
              reinterpret_cast<XrSwapchainImageBaseHeader*>(images.data())) == XR_SUCCESS);
  REQUIRE(xrAcquireSwapchainImage(swapchain, nullptr, &index) == XR_SUCCESS);
  XrSwapchainImageWaitInfo wait{XR_TYPE_SWAPCHAIN_IMAGE_WAIT_INFO};
  wait.timeout = XR_INFINITE_DURATION;
  REQUIRE(xrWaitSwapchainImage(swapchain, &wait) == XR_SUCCESS);
  GLuint fbo = 0;
  glCreateFramebuffers(1, &fbo);
  glNamedFramebufferTexture(fbo, GL_COLOR_ATTACHMENT0, images[index].image, 0);
  const GLfloat red[4] = {1, 0, 0, 1};
  glClearNamedFramebufferfv(fbo, GL_COLOR, 0, red);
  glDeleteFramebuffers(1, &fbo);
  REQUIRE(xrReleaseSwapchainImage(swapchain, nullptr) == XR_SUCCESS);
  quad.space = client.stage();
  quad.eyeVisibility = XR_EYE_VISIBILITY_LEFT;
  quad.subImage = {swapchain, {{0, 0}, {4, 4}}, 0};
  quad.pose.orientation.w = 1;
  quad.pose.position = {0, 1.6f, -1};
  quad.size = {0.5f, 0.5f};

  const auto blue = [](int, int) { return std::array<std::uint8_t, 4>{0, 0, 255, 255}; };
  client.RunFocused(3, blue);
  REQUIRE(xrRequestExitSession(client.session()) == XR_SUCCESS);
  client.RunUntilExiting(blue);
  REQUIRE(xrDestroySwapchain(swapchain) == XR_SUCCESS);
  client.DestroySession();

  const auto records = ReadFrameLog(dir.path() / "frames.jsonl");
  REQUIRE(records.size() > 3);
  const muta::Json& layers = records[3]["layers"];
  REQUIRE(layers.size() == 2);
  CHECK(layers[1]["type"] == "quad");
  CHECK(layers[1]["eye_visibility"] == "left");
  CHECK(layers[1]["composited"] == true);
  CHECK(layers[1]["size"][0].get<double>() == Approx(0.5));
  // 100 degrees across 64 px: the quad spans +-atan(0.25) around the centre, about +-6.7 px.
  const muta::Image left = muta::ReadImage(dir.path() / "frame_000003_left.png", 4);
  const muta::Image right = muta::ReadImage(dir.path() / "frame_000003_right.png", 4);
  const auto rgb = [](const muta::Image& im, int x, int y) {
    return std::array<int, 3>{im.at(x, y, 0), im.at(x, y, 1), im.at(x, y, 2)};
  };
  CHECK(rgb(left, 32, 24) == std::array<int, 3>{255, 0, 0});
  CHECK(rgb(left, 37, 28) == std::array<int, 3>{255, 0, 0});
  CHECK(rgb(left, 42, 24) == std::array<int, 3>{0, 0, 255});
  CHECK(rgb(left, 2, 2) == std::array<int, 3>{0, 0, 255});
  CHECK(rgb(right, 32, 24) == std::array<int, 3>{0, 0, 255});  // the left eye's only
}

}  // namespace
