#include "tools/muta/command.h"
#include "tools/muta/report.h"

namespace muta::cli {

const std::vector<CommandSpec>& Commands() {
  static const std::vector<CommandSpec> commands = {
      ReconstructCommand(),
      TextureCommand(),
      RestoreCommand(),
      TrainCompletionCommand(),
      DemoCommand(),
      EvalCommand(),
      ExportCommand(),
      InfoCommand(),
      SynthCommand(),
      RenderCommand(),
      ViewCommand(),
      XrCommand(),
      ReportCommand(),
  };
  return commands;
}

}  // namespace muta::cli
