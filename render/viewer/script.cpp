#include "render/viewer/script.h"

#include <cmath>
#include <map>
#include <set>

#include "core/error.h"

namespace muta::render::viewer {
namespace {

enum class Type { kNumber, kBool, kText, kVec3, kVec4, kPoints };

struct ActionSpec {
  std::map<std::string, Type> required;
  std::map<std::string, Type> optional;
};

const std::map<std::string, ActionSpec>& Specs() {
  static const std::map<std::string, ActionSpec> specs = {
      {"camera", {{}, {{"mode", Type::kText}, {"eye", Type::kVec3}, {"target", Type::kVec3}}}},
      {"frame", {}},
      {"viewpoint", {{{"name", Type::kText}}, {}}},
      {"level", {{{"name", Type::kText}}, {}}},
      {"layers",
       {{},
        {{"show_observed", Type::kBool},
         {"show_inferred", Type::kBool},
         {"highlight_inferred", Type::kBool},
         {"confidence_heatmap", Type::kBool},
         {"split", Type::kNumber}}}},
      {"section",
       {{},
        {{"axis", Type::kText},
         {"offset", Type::kNumber},
         {"flip", Type::kBool},
         {"plane", Type::kVec4},
         {"clear", Type::kBool}}}},
      {"measure",
       {{{"kind", Type::kText}, {"points", Type::kPoints}}, {{"snap_m", Type::kNumber}}}},
      {"annotate", {{{"position", Type::kVec3}, {"text", Type::kText}}, {}}},
      {"edit_annotation", {{{"id", Type::kText}, {"text", Type::kText}}, {}}},
      {"delete_annotation", {{{"id", Type::kText}}, {}}},
      {"walk",
       {{{"seconds", Type::kNumber}},
        {{"forward", Type::kNumber}, {"right", Type::kNumber}, {"turn_deg", Type::kNumber}}}},
      {"ui", {{}, {{"show", Type::kBool}, {"panel", Type::kText}}}},
      {"screenshot", {{{"path", Type::kText}}, {{"ui", Type::kBool}}}},
      {"wait", {{{"frames", Type::kNumber}}, {}}},
      {"quit", {}},
  };
  return specs;
}

bool IsNumbers(const Json& v, std::size_t n) {
  if (!v.is_array() || v.size() != n) return false;
  for (const Json& x : v) {
    if (!x.is_number() || !std::isfinite(x.get<double>())) return false;
  }
  return true;
}

bool HasType(const Json& v, Type type) {
  switch (type) {
    case Type::kNumber:
      return v.is_number() && std::isfinite(v.get<double>());
    case Type::kBool:
      return v.is_boolean();
    case Type::kText:
      return v.is_string();
    case Type::kVec3:
      return IsNumbers(v, 3);
    case Type::kVec4:
      return IsNumbers(v, 4);
    case Type::kPoints:
      if (!v.is_array() || v.empty()) return false;
      for (const Json& p : v) {
        if (!IsNumbers(p, 3)) return false;
      }
      return true;
  }
  return false;
}

const char* TypeName(Type type) {
  switch (type) {
    case Type::kNumber:
      return "a number";
    case Type::kBool:
      return "true or false";
    case Type::kText:
      return "text";
    case Type::kVec3:
      return "[x, y, z] (metres)";
    case Type::kVec4:
      return "[a, b, c, d] (the plane a x + b y + c z + d = 0)";
    case Type::kPoints:
      return "a list of [x, y, z] points";
  }
  return "?";
}

std::string Where(const Script& script, const ScriptAction& action) {
  return script.name + ": action " + std::to_string(action.index) + " (\"" + action.kind + "\")";
}

const Json& Get(const Script& script, const ScriptAction& action, const char* key) {
  MUTA_CHECK(action.args.contains(key)) << Where(script, action) << " has no \"" << key << "\"";
  return action.args[key];
}

}  // namespace

Script ReadScript(const std::filesystem::path& path) {
  return ParseScript(ReadJsonFile(path, false), path.string());
}

Script ParseScript(const Json& json, const std::string& name) {
  Script script;
  script.name = name;
  const Json* actions = &json;
  if (json.is_object()) {
    MUTA_CHECK(json.contains("actions"))
        << name << ": a viewer script needs \"actions\": [{\"do\": ...}, ...]";
    actions = &json["actions"];
    if (json.contains("size")) {
      const Json& s = json["size"];
      MUTA_CHECK(s.is_array() && s.size() == 2 && s[0].is_number_integer() &&
                 s[1].is_number_integer() && s[0].get<int>() >= 64 && s[1].get<int>() >= 64 &&
                 s[0].get<int>() <= 8192 && s[1].get<int>() <= 8192)
          << name << ": \"size\" must be [width, height] in pixels (64..8192)";
      script.size = Eigen::Vector2i(s[0].get<int>(), s[1].get<int>());
    }
  }
  MUTA_CHECK(actions->is_array()) << name << ": \"actions\" must be an array";
  std::string known;
  for (const auto& [kind, spec] : Specs()) known += (known.empty() ? "" : ", ") + kind;
  for (std::size_t i = 0; i < actions->size(); ++i) {
    const Json& a = (*actions)[i];
    MUTA_CHECK(a.is_object() && a.contains("do") && a["do"].is_string())
        << name << ": action " << i << " must be an object with \"do\": one of " << known;
    ScriptAction action{a["do"].get<std::string>(), a, static_cast<int>(i)};
    const auto spec = Specs().find(action.kind);
    MUTA_CHECK(spec != Specs().end()) << name << ": action " << i << ": unknown \"do\": \""
                                      << action.kind << "\"; use one of " << known;
    for (const auto& [key, type] : spec->second.required) {
      MUTA_CHECK(a.contains(key)) << Where(script, action) << " needs \"" << key << "\" ("
                                  << TypeName(type) << ")";
    }
    for (const auto& [key, value] : a.items()) {
      if (key == "do") continue;
      auto it = spec->second.required.find(key);
      if (it == spec->second.required.end()) {
        it = spec->second.optional.find(key);
        MUTA_CHECK(it != spec->second.optional.end())
            << Where(script, action) << ": unknown key \"" << key << "\"";
      }
      MUTA_CHECK(HasType(value, it->second))
          << Where(script, action) << ": \"" << key << "\" must be " << TypeName(it->second);
    }
    script.actions.push_back(std::move(action));
  }
  return script;
}

double ScriptNumber(const Script& script, const ScriptAction& action, const char* key) {
  return Get(script, action, key).get<double>();
}
bool ScriptBool(const Script& script, const ScriptAction& action, const char* key) {
  return Get(script, action, key).get<bool>();
}
std::string ScriptText(const Script& script, const ScriptAction& action, const char* key) {
  return Get(script, action, key).get<std::string>();
}
Eigen::Vector3d ScriptVec3(const Script& script, const ScriptAction& action, const char* key) {
  const Json& v = Get(script, action, key);
  return {v[0].get<double>(), v[1].get<double>(), v[2].get<double>()};
}
Eigen::Vector4d ScriptVec4(const Script& script, const ScriptAction& action, const char* key) {
  const Json& v = Get(script, action, key);
  return {v[0].get<double>(), v[1].get<double>(), v[2].get<double>(), v[3].get<double>()};
}
std::vector<Eigen::Vector3d> ScriptPoints(const Script& script, const ScriptAction& action,
                                          const char* key) {
  std::vector<Eigen::Vector3d> out;
  for (const Json& p : Get(script, action, key)) {
    out.emplace_back(p[0].get<double>(), p[1].get<double>(), p[2].get<double>());
  }
  return out;
}

}  // namespace muta::render::viewer
