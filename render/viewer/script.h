#pragma once
// Scripted viewer runs (`muta view PATH --script FILE.json`, docs/viewer.md): a list of actions
// run one after another without user input – for tests and for the screenshots in docs/.
//
//   {"size": [1280, 800], "actions": [
//      {"do": "viewpoint", "name": "three-quarter"},
//      {"do": "layers", "highlight_inferred": true},
//      {"do": "screenshot", "path": "out/highlight.png"},
//      {"do": "quit"}]}
//
// The file is checked as a whole before the window opens: unknown actions, missing or
// mistyped keys are errors naming the file and the action's index.

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "core/json.h"

namespace muta::render::viewer {

struct ScriptAction {
  std::string kind;  ///< the "do" value
  Json args;         ///< the whole action object (checked by ParseScript)
  int index = 0;     ///< position in the file, for messages
};

struct Script {
  std::string name;                     ///< the file, for messages
  std::optional<Eigen::Vector2i> size;  ///< window size in pixels, when given
  std::vector<ScriptAction> actions;
};

/// Reads and checks a script file (an object with "actions", or a bare array of actions).
Script ReadScript(const std::filesystem::path& path);
Script ParseScript(const Json& json, const std::string& name);

/// Typed access to an action's values; throws muta::Error naming the script and the action.
double ScriptNumber(const Script& script, const ScriptAction& action, const char* key);
bool ScriptBool(const Script& script, const ScriptAction& action, const char* key);
std::string ScriptText(const Script& script, const ScriptAction& action, const char* key);
Eigen::Vector3d ScriptVec3(const Script& script, const ScriptAction& action, const char* key);
Eigen::Vector4d ScriptVec4(const Script& script, const ScriptAction& action, const char* key);
std::vector<Eigen::Vector3d> ScriptPoints(const Script& script, const ScriptAction& action,
                                          const char* key);

}  // namespace muta::render::viewer
