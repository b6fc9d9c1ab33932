#pragma once
// Configuration of the simulated headset (xr/sim): display, optics, environment blend modes,
// frame timing, a scripted head-pose timeline and capture. Read from a JSON file and
// environment variables when the app creates its XrInstance (docs/xr_sim.md lists them all).
// This header is free of OpenXR types so it can be unit-tested on its own.

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <Eigen/Geometry>
#include <nlohmann/json.hpp>

namespace muta::xr::sim {

/// One keyframe of the scripted head pose: the pose of the VIEW space (the point between the
/// eyes; x right, y up, looking along -z) in STAGE space (metres, origin on the floor, y up).
struct PoseKeyframe {
  double time_s = 0;                             ///< seconds since xrBeginSession
  Eigen::Vector3d position{0.0, 1.6, 0.0};       ///< metres
  Eigen::Quaterniond orientation{1.0, 0, 0, 0};  ///< unit quaternion (w, x, y, z)
};

/// Head pose over time: keyframes interpolated linearly in position and by slerp in
/// orientation; held at the first/last keyframe outside their range unless `loop`.
class PoseTimeline {
 public:
  /// One keyframe at the origin of STAGE, 1.6 m above the floor, looking along -z.
  PoseTimeline();
  /// Throws std::runtime_error if `keys` is empty, times are not increasing, or a quaternion
  /// is not normalisable.
  explicit PoseTimeline(std::vector<PoseKeyframe> keys, bool loop = false);

  PoseKeyframe Sample(double time_s) const;
  const std::vector<PoseKeyframe>& keyframes() const { return keys_; }
  bool loop() const { return loop_; }

 private:
  std::vector<PoseKeyframe> keys_;
  bool loop_ = false;
};

/// A timeline from JSON: {"loop": false, "keyframes": [{"t": 0, "position": [x, y, z],
/// "orientation": [x, y, z, w]} ...]}; instead of "orientation" a keyframe may give
/// "yaw_deg", "pitch_deg", "roll_deg" (rotation = Ry(yaw) Rx(pitch) Rz(roll); positive yaw
/// turns left). Throws std::runtime_error naming the bad field.
PoseTimeline ParsePoseTimeline(const nlohmann::json& json);

enum class BlendMode { kOpaque, kAdditive, kAlphaBlend };
enum class Timing {
  kRealtime,  ///< xrWaitFrame sleeps until the next display refresh (CLOCK_MONOTONIC)
  kVirtual    ///< no sleeping: each xrWaitFrame advances a virtual clock by one period
};

/// "opaque", "additive", "alpha_blend" (throws std::runtime_error for anything else).
BlendMode ParseBlendMode(const std::string& name);
std::string BlendModeName(BlendMode mode);

/// One scripted input change: from `time_s` on, the input source `path` (e.g.
/// "/user/hand/right/input/trigger/value") has `value` (x; a thumbstick or trackpad uses x and
/// y; a boolean is 1 or 0) until the next event for the same path.
struct InputEvent {
  double time_s = 0;
  std::string path;
  Eigen::Vector2d value{0.0, 0.0};
};

/// Scripted controllers: which interaction profile they present as, the grip pose of each
/// hand over time (STAGE space, like the head), and the values of their input sources.
struct ControllerScript {
  std::string profile = "/interaction_profiles/khr/simple_controller";
  std::optional<PoseTimeline> hands[2];  ///< 0 left, 1 right; absent: that hand is untracked
  std::vector<InputEvent> inputs;        ///< sorted by time

  /// The value of `path` at `time_s`: the last event at or before it, zero before the first;
  /// nullopt if the script never mentions the path.
  std::optional<Eigen::Vector2d> Value(const std::string& path, double time_s) const;
};

/// Controllers from JSON: {"profile": "/interaction_profiles/...", "left": TIMELINE,
/// "right": TIMELINE, "inputs": [{"t": 1.0, "path": "/user/hand/right/input/select/click",
/// "value": true | 0.5 | [x, y]}]}. Throws std::runtime_error naming the bad field.
ControllerScript ParseControllerScript(const nlohmann::json& json);

struct SimConfig {
  int width = 1440;          ///< recommended swapchain width per eye, pixels
  int height = 1600;         ///< recommended swapchain height per eye, pixels
  double refresh_hz = 90.0;  ///< display refresh rate; frames are paced and predicted at it
  double fov_x_deg = 100.0;  ///< horizontal field of view per eye (symmetric), degrees;
                             ///< the vertical one follows from width/height
  double ipd_m = 0.063;      ///< inter-pupillary distance, metres
  /// Environment blend modes offered, the preferred one first.
  std::vector<BlendMode> blend_modes{BlendMode::kOpaque};
  Timing timing = Timing::kRealtime;
  PoseTimeline head;                     ///< scripted head pose (STAGE space)
  Eigen::Vector2d stage_size{3.0, 3.0};  ///< STAGE bounds rectangle (x, z), metres
  std::filesystem::path capture_dir;     ///< empty: no capture; else frames.jsonl (+ PNGs) here
  bool capture_images = true;            ///< with capture_dir: write the eye images as PNG
  int capture_every = 1;                 ///< write images of every n-th frame (1 = all)
  /// The simulated user quits after this many submitted frames: the runtime moves the
  /// session to STOPPING (then EXITING after xrEndSession).
  std::optional<int> exit_after_frames;
  /// The session is lost after this many submitted frames: LOSS_PENDING, and the session's
  /// frame and lifecycle calls return XR_ERROR_SESSION_LOST until it is destroyed.
  std::optional<int> loss_after_frames;
  /// The runtime is going away after this many submitted frames: an
  /// XrEventDataInstanceLossPending is queued (calls keep working; the app must destroy its
  /// instance).
  std::optional<int> instance_loss_after_frames;
  /// Scripted controllers; none: no controller is connected and every action is inactive.
  std::optional<ControllerScript> controllers;

  /// Throws std::runtime_error naming the bad field.
  void Check() const;
};

/// Applies the keys of a config JSON object (docs/xr_sim.md) over `config`; relative paths
/// ("timeline" given as a file name, "capture_dir") are resolved from `base_dir`.
void ApplyConfigJson(const nlohmann::json& json, const std::filesystem::path& base_dir,
                     SimConfig& config);

/// The configuration from MUTA_XR_SIM_CONFIG (a JSON file) and the MUTA_XR_SIM_* variables
/// that override single fields. Throws std::runtime_error naming the file or variable.
SimConfig LoadSimConfigFromEnvironment();

}  // namespace muta::xr::sim
