#include "tools/muta/command.h"

namespace muta::cli {

const std::vector<CommandSpec>& Commands() {
  static const std::vector<CommandSpec> commands = {
      ReconstructCommand(),
      DemoCommand(),
      EvalCommand(),
      ExportCommand(),
      InfoCommand(),
      SynthCommand(),
      RenderCommand(),
  };
  return commands;
}

}  // namespace muta::cli
