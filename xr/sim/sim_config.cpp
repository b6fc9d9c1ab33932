#include "xr/sim/sim_config.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace muta::xr::sim {
namespace {

constexpr double kPi = 3.14159265358979323846;

[[noreturn]] void Fail(const std::string& message) {
  throw std::runtime_error(message);
}

Eigen::Vector3d ReadVec3(const nlohmann::json& j, const std::string& what) {
  if (!j.is_array() || j.size() != 3) Fail(what + " must be an array of 3 numbers");
  Eigen::Vector3d v;
  for (int i = 0; i < 3; ++i) {
    if (!j[i].is_number()) Fail(what + " must be an array of 3 numbers");
    v[i] = j[i].get<double>();
  }
  return v;
}

nlohmann::json ReadJson(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) Fail("cannot open " + path.string());
  std::stringstream text;
  text << in.rdbuf();
  try {
    return nlohmann::json::parse(text.str());
  } catch (const nlohmann::json::exception& e) {
    Fail(path.string() + ": not valid JSON (" + e.what() + ")");
  }
}

double NumberField(const nlohmann::json& j, const char* key, double fallback) {
  if (!j.contains(key)) return fallback;
  if (!j[key].is_number()) Fail(std::string("\"") + key + "\" must be a number");
  return j[key].get<double>();
}

const char* Env(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : nullptr;
}

double EnvNumber(const char* name, double fallback) {
  const char* value = Env(name);
  if (value == nullptr) return fallback;
  char* end = nullptr;
  const double number = std::strtod(value, &end);
  if (end == value || *end != '\0') Fail(std::string(name) + "=" + value + " is not a number");
  return number;
}

int IntegerValue(double number, const std::string& what) {
  if (number != std::floor(number) || std::abs(number) > 1e9) {
    Fail(what + " must be an integer");
  }
  return static_cast<int>(number);
}

std::vector<BlendMode> ParseBlendModeList(const std::string& list) {
  std::vector<BlendMode> modes;
  std::stringstream in(list);
  std::string item;
  while (std::getline(in, item, ',')) modes.push_back(ParseBlendMode(item));
  return modes;
}

}  // namespace

PoseTimeline::PoseTimeline() : keys_{PoseKeyframe{}} {}

PoseTimeline::PoseTimeline(std::vector<PoseKeyframe> keys, bool loop)
    : keys_(std::move(keys)), loop_(loop) {
  if (keys_.empty()) Fail("a head-pose timeline needs at least one keyframe");
  for (std::size_t i = 0; i < keys_.size(); ++i) {
    const double norm = keys_[i].orientation.norm();
    if (!(norm > 1e-9) || !std::isfinite(norm)) {
      Fail("keyframe " + std::to_string(i) + ": orientation is not a rotation");
    }
    keys_[i].orientation.normalize();
    if (i > 0 && !(keys_[i].time_s > keys_[i - 1].time_s)) {
      Fail("keyframe " + std::to_string(i) + ": times must increase (t = " +
           std::to_string(keys_[i].time_s) + " after " + std::to_string(keys_[i - 1].time_s) + ")");
    }
  }
}

PoseKeyframe PoseTimeline::Sample(double time_s) const {
  const double first = keys_.front().time_s;
  const double last = keys_.back().time_s;
  if (loop_ && last > first) {
    time_s =
        first + std::fmod(std::fmod(time_s - first, last - first) + (last - first), last - first);
  }
  PoseKeyframe out;
  out.time_s = time_s;
  if (time_s <= first) {
    out.position = keys_.front().position;
    out.orientation = keys_.front().orientation;
    return out;
  }
  if (time_s >= last) {
    out.position = keys_.back().position;
    out.orientation = keys_.back().orientation;
    return out;
  }
  std::size_t i = 1;
  while (keys_[i].time_s < time_s) ++i;
  const PoseKeyframe& a = keys_[i - 1];
  const PoseKeyframe& b = keys_[i];
  const double s = (time_s - a.time_s) / (b.time_s - a.time_s);
  out.position = a.position + s * (b.position - a.position);
  out.orientation = a.orientation.slerp(s, b.orientation).normalized();
  return out;
}

PoseTimeline ParsePoseTimeline(const nlohmann::json& json) {
  if (!json.is_object()) Fail("the timeline must be a JSON object with \"keyframes\"");
  if (!json.contains("keyframes") || !json["keyframes"].is_array()) {
    Fail("the timeline has no \"keyframes\" array");
  }
  std::vector<PoseKeyframe> keys;
  for (const auto& k : json["keyframes"]) {
    const std::string where = "keyframe " + std::to_string(keys.size());
    if (!k.is_object()) Fail(where + " must be an object");
    PoseKeyframe key;
    try {
      key.time_s = NumberField(k, "t", 0.0);
      if (k.contains("position")) key.position = ReadVec3(k["position"], "\"position\"");
      if (k.contains("orientation")) {
        const auto& q = k["orientation"];
        if (!q.is_array() || q.size() != 4 || !q[0].is_number() || !q[1].is_number() ||
            !q[2].is_number() || !q[3].is_number()) {
          Fail("\"orientation\" must be [x, y, z, w]");
        }
        key.orientation = Eigen::Quaterniond(q[3].get<double>(), q[0].get<double>(),
                                             q[1].get<double>(), q[2].get<double>());
      } else {
        const double yaw = NumberField(k, "yaw_deg", 0.0) * kPi / 180.0;
        const double pitch = NumberField(k, "pitch_deg", 0.0) * kPi / 180.0;
        const double roll = NumberField(k, "roll_deg", 0.0) * kPi / 180.0;
        key.orientation = Eigen::AngleAxisd(yaw, Eigen::Vector3d::UnitY()) *
                          Eigen::AngleAxisd(pitch, Eigen::Vector3d::UnitX()) *
                          Eigen::AngleAxisd(roll, Eigen::Vector3d::UnitZ());
      }
    } catch (const std::runtime_error& e) {
      Fail(where + ": " + e.what());
    }
    keys.push_back(key);
  }
  bool loop = false;
  if (json.contains("loop")) {
    if (!json["loop"].is_boolean()) Fail("\"loop\" must be true or false");
    loop = json["loop"].get<bool>();
  }
  return PoseTimeline(std::move(keys), loop);
}

std::optional<Eigen::Vector2d> ControllerScript::Value(const std::string& path,
                                                       double time_s) const {
  std::optional<Eigen::Vector2d> value;
  for (const InputEvent& e : inputs) {
    if (e.path != path) continue;
    if (e.time_s > time_s) return value ? value : Eigen::Vector2d(0, 0);
    value = e.value;
  }
  return value;
}

ControllerScript ParseControllerScript(const nlohmann::json& json) {
  if (!json.is_object()) Fail("the controllers must be a JSON object");
  ControllerScript script;
  for (const auto& item : json.items()) {
    const std::string& key = item.key();
    if (key != "profile" && key != "left" && key != "right" && key != "inputs") {
      Fail("unknown key \"" + key + "\" (profile, left, right, inputs)");
    }
  }
  if (json.contains("profile")) {
    if (!json["profile"].is_string() ||
        json["profile"].get<std::string>().rfind("/interaction_profiles/", 0) != 0) {
      Fail("\"profile\" must be an interaction profile path (/interaction_profiles/...)");
    }
    script.profile = json["profile"].get<std::string>();
  }
  const char* hands[2] = {"left", "right"};
  for (int h = 0; h < 2; ++h) {
    if (!json.contains(hands[h])) continue;
    try {
      script.hands[h] = ParsePoseTimeline(json[hands[h]]);
    } catch (const std::runtime_error& e) {
      Fail(std::string("\"") + hands[h] + "\": " + e.what());
    }
  }
  if (json.contains("inputs")) {
    if (!json["inputs"].is_array()) Fail("\"inputs\" must be an array");
    for (const auto& item : json["inputs"]) {
      const std::string where = "input " + std::to_string(script.inputs.size());
      if (!item.is_object() || !item.contains("path") || !item["path"].is_string() ||
          !item.contains("value")) {
        Fail(where + " needs \"path\" and \"value\"");
      }
      InputEvent event;
      event.time_s = NumberField(item, "t", 0.0);
      event.path = item["path"].get<std::string>();
      if (event.path.rfind("/user/", 0) != 0) Fail(where + ": the path must start with /user/");
      const auto& v = item["value"];
      if (v.is_boolean()) {
        event.value = {v.get<bool>() ? 1.0 : 0.0, 0.0};
      } else if (v.is_number()) {
        event.value = {v.get<double>(), 0.0};
      } else if (v.is_array() && v.size() == 2 && v[0].is_number() && v[1].is_number()) {
        event.value = {v[0].get<double>(), v[1].get<double>()};
      } else {
        Fail(where + ": \"value\" must be true/false, a number or [x, y]");
      }
      script.inputs.push_back(event);
    }
    std::stable_sort(script.inputs.begin(), script.inputs.end(),
                     [](const InputEvent& a, const InputEvent& b) { return a.time_s < b.time_s; });
  }
  return script;
}

BlendMode ParseBlendMode(const std::string& name) {
  if (name == "opaque") return BlendMode::kOpaque;
  if (name == "additive") return BlendMode::kAdditive;
  if (name == "alpha_blend") return BlendMode::kAlphaBlend;
  Fail("unknown environment blend mode \"" + name + "\" (use opaque, additive or alpha_blend)");
}

std::string BlendModeName(BlendMode mode) {
  switch (mode) {
    case BlendMode::kOpaque:
      return "opaque";
    case BlendMode::kAdditive:
      return "additive";
    case BlendMode::kAlphaBlend:
      return "alpha_blend";
  }
  return "?";
}

void SimConfig::Check() const {
  if (width < 16 || width > 16384) Fail("width must be in [16, 16384] pixels");
  if (height < 16 || height > 16384) Fail("height must be in [16, 16384] pixels");
  if (!(refresh_hz >= 1.0 && refresh_hz <= 1000.0)) Fail("refresh_hz must be in [1, 1000]");
  if (!(fov_x_deg > 1.0 && fov_x_deg < 179.0)) Fail("fov_x_deg must be in (1, 179) degrees");
  if (!(ipd_m >= 0.0 && ipd_m < 0.5)) Fail("ipd_m must be in [0, 0.5) metres");
  if (blend_modes.empty()) Fail("blend_modes must name at least one mode");
  for (std::size_t i = 0; i < blend_modes.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (blend_modes[i] == blend_modes[j]) Fail("blend_modes lists a mode twice");
    }
  }
  if (!(stage_size.x() > 0 && stage_size.y() > 0)) Fail("stage_size must be positive");
  if (capture_every < 1) Fail("capture_every must be at least 1");
  if (exit_after_frames && *exit_after_frames < 1) Fail("exit_after_frames must be at least 1");
  if (loss_after_frames && *loss_after_frames < 1) Fail("loss_after_frames must be at least 1");
  if (instance_loss_after_frames && *instance_loss_after_frames < 1) {
    Fail("instance_loss_after_frames must be at least 1");
  }
}

void ApplyConfigJson(const nlohmann::json& json, const std::filesystem::path& base_dir,
                     SimConfig& config) {
  if (!json.is_object()) Fail("the configuration must be a JSON object");
  static const char* const kKeys[] = {
      "width",          "height",        "refresh_hz",        "fov_x_deg",         "ipd_m",
      "blend_modes",    "timing",        "timeline",          "stage_size",        "capture_dir",
      "capture_images", "capture_every", "exit_after_frames", "loss_after_frames", "controllers"};
  for (const auto& item : json.items()) {
    bool known = false;
    for (const char* key : kKeys) known = known || item.key() == key;
    known = known || item.key() == "instance_loss_after_frames";
    if (!known) Fail("unknown key \"" + item.key() + "\"");
  }
  config.width = IntegerValue(NumberField(json, "width", config.width), "width");
  config.height = IntegerValue(NumberField(json, "height", config.height), "height");
  config.refresh_hz = NumberField(json, "refresh_hz", config.refresh_hz);
  config.fov_x_deg = NumberField(json, "fov_x_deg", config.fov_x_deg);
  config.ipd_m = NumberField(json, "ipd_m", config.ipd_m);
  if (json.contains("blend_modes")) {
    const auto& modes = json["blend_modes"];
    if (!modes.is_array()) Fail("\"blend_modes\" must be an array of names");
    config.blend_modes.clear();
    for (const auto& m : modes) {
      if (!m.is_string()) Fail("\"blend_modes\" must be an array of names");
      config.blend_modes.push_back(ParseBlendMode(m.get<std::string>()));
    }
  }
  if (json.contains("timing")) {
    const std::string timing = json["timing"].is_string() ? json["timing"].get<std::string>() : "";
    if (timing == "realtime") {
      config.timing = Timing::kRealtime;
    } else if (timing == "virtual") {
      config.timing = Timing::kVirtual;
    } else {
      Fail("\"timing\" must be \"realtime\" or \"virtual\"");
    }
  }
  if (json.contains("timeline")) {
    const auto& t = json["timeline"];
    if (t.is_string()) {
      const std::filesystem::path path = base_dir / t.get<std::string>();
      try {
        config.head = ParsePoseTimeline(ReadJson(path));
      } catch (const std::runtime_error& e) {
        Fail(path.string() + ": " + e.what());
      }
    } else {
      try {
        config.head = ParsePoseTimeline(t);
      } catch (const std::runtime_error& e) {
        Fail(std::string("\"timeline\": ") + e.what());
      }
    }
  }
  if (json.contains("stage_size")) {
    const auto& s = json["stage_size"];
    if (!s.is_array() || s.size() != 2 || !s[0].is_number() || !s[1].is_number()) {
      Fail("\"stage_size\" must be [width_x, depth_z] in metres");
    }
    config.stage_size = {s[0].get<double>(), s[1].get<double>()};
  }
  if (json.contains("capture_dir")) {
    if (!json["capture_dir"].is_string()) Fail("\"capture_dir\" must be a path");
    const std::string dir = json["capture_dir"].get<std::string>();
    config.capture_dir = dir.empty() ? std::filesystem::path() : base_dir / dir;
  }
  if (json.contains("capture_images")) {
    if (!json["capture_images"].is_boolean()) Fail("\"capture_images\" must be true or false");
    config.capture_images = json["capture_images"].get<bool>();
  }
  config.capture_every =
      IntegerValue(NumberField(json, "capture_every", config.capture_every), "capture_every");
  if (json.contains("exit_after_frames")) {
    config.exit_after_frames =
        IntegerValue(NumberField(json, "exit_after_frames", 0), "exit_after_frames");
  }
  if (json.contains("controllers")) {
    const auto& c = json["controllers"];
    if (c.is_string()) {
      const std::filesystem::path path = base_dir / c.get<std::string>();
      try {
        config.controllers = ParseControllerScript(ReadJson(path));
      } catch (const std::runtime_error& e) {
        Fail(path.string() + ": " + e.what());
      }
    } else {
      try {
        config.controllers = ParseControllerScript(c);
      } catch (const std::runtime_error& e) {
        Fail(std::string("\"controllers\": ") + e.what());
      }
    }
  }
  if (json.contains("loss_after_frames")) {
    config.loss_after_frames =
        IntegerValue(NumberField(json, "loss_after_frames", 0), "loss_after_frames");
  }
  if (json.contains("instance_loss_after_frames")) {
    config.instance_loss_after_frames = IntegerValue(
        NumberField(json, "instance_loss_after_frames", 0), "instance_loss_after_frames");
  }
}

SimConfig LoadSimConfigFromEnvironment() {
  SimConfig config;
  if (const char* file = Env("MUTA_XR_SIM_CONFIG")) {
    const std::filesystem::path path = std::filesystem::absolute(file);
    try {
      ApplyConfigJson(ReadJson(path), path.parent_path(), config);
    } catch (const std::runtime_error& e) {
      const std::string what = e.what();
      Fail(what.rfind(path.string(), 0) == 0 ? what : path.string() + ": " + what);
    }
  }
  try {
    config.width = IntegerValue(EnvNumber("MUTA_XR_SIM_WIDTH", config.width), "width");
    config.height = IntegerValue(EnvNumber("MUTA_XR_SIM_HEIGHT", config.height), "height");
    config.refresh_hz = EnvNumber("MUTA_XR_SIM_REFRESH_HZ", config.refresh_hz);
    config.fov_x_deg = EnvNumber("MUTA_XR_SIM_FOV_X_DEG", config.fov_x_deg);
    config.ipd_m = EnvNumber("MUTA_XR_SIM_IPD_M", config.ipd_m);
    if (const char* modes = Env("MUTA_XR_SIM_BLEND_MODES")) {
      config.blend_modes = ParseBlendModeList(modes);
    }
    if (const char* timing = Env("MUTA_XR_SIM_TIMING")) {
      ApplyConfigJson(nlohmann::json{{"timing", timing}}, {}, config);
    }
    if (const char* timeline = Env("MUTA_XR_SIM_TIMELINE")) {
      const std::filesystem::path path = std::filesystem::absolute(timeline);
      ApplyConfigJson(nlohmann::json{{"timeline", path.string()}}, {}, config);
    }
    if (const char* dir = Env("MUTA_XR_SIM_CAPTURE_DIR")) {
      config.capture_dir = std::filesystem::absolute(dir);
    }
    config.capture_every =
        IntegerValue(EnvNumber("MUTA_XR_SIM_CAPTURE_EVERY", config.capture_every), "capture_every");
    if (Env("MUTA_XR_SIM_EXIT_AFTER_FRAMES") != nullptr) {
      config.exit_after_frames =
          IntegerValue(EnvNumber("MUTA_XR_SIM_EXIT_AFTER_FRAMES", 0), "exit_after_frames");
    }
    if (Env("MUTA_XR_SIM_LOSS_AFTER_FRAMES") != nullptr) {
      config.loss_after_frames =
          IntegerValue(EnvNumber("MUTA_XR_SIM_LOSS_AFTER_FRAMES", 0), "loss_after_frames");
    }
    if (Env("MUTA_XR_SIM_INSTANCE_LOSS_AFTER_FRAMES") != nullptr) {
      config.instance_loss_after_frames = IntegerValue(
          EnvNumber("MUTA_XR_SIM_INSTANCE_LOSS_AFTER_FRAMES", 0), "instance_loss_after_frames");
    }
    if (const char* controllers = Env("MUTA_XR_SIM_CONTROLLERS")) {
      const std::filesystem::path path = std::filesystem::absolute(controllers);
      ApplyConfigJson(nlohmann::json{{"controllers", path.string()}}, {}, config);
    }
    config.Check();
  } catch (const std::runtime_error& e) {
    Fail(std::string("simulated headset configuration: ") + e.what());
  }
  return config;
}

}  // namespace muta::xr::sim
