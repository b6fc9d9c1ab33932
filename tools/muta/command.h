#pragma once
// A `muta` subcommand: its name, one-line summary and a setup function that adds its options
// to a CLI11 subcommand and returns the function to run once the command line is parsed.
// To add a command: write cmd_NAME.cpp defining `CommandSpec NameCommand()`, declare it below
// and list it in commands.cpp.

#include <functional>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace muta::cli {

/// Options shared by every subcommand (set before the command runs).
struct GlobalOptions {
  std::string log_level = "info";
  std::string progress = "auto";
};

using RunFunction = std::function<int()>;  ///< returns the exit code

struct CommandSpec {
  std::string name;
  std::string summary;
  std::function<RunFunction(CLI::App& sub, const GlobalOptions& global)> setup;
};

/// All commands, in the order `muta --help` lists them.
const std::vector<CommandSpec>& Commands();

// One per cmd_*.cpp.
CommandSpec DemoCommand();
CommandSpec EvalCommand();
CommandSpec ExportCommand();
CommandSpec InfoCommand();
CommandSpec SynthCommand();
CommandSpec RenderCommand();
CommandSpec ReconstructCommand();
CommandSpec RestoreCommand();
CommandSpec TextureCommand();
CommandSpec TrainCompletionCommand();
CommandSpec ViewCommand();
CommandSpec XrCommand();

/// Exit codes (documented in README.md).
inline constexpr int kExitOk = 0;
inline constexpr int kExitUserError = 1;
inline constexpr int kExitInternalError = 2;
inline constexpr int kExitInterrupted = 130;

}  // namespace muta::cli
