#include <CLI/CLI.hpp>

#include "tools/muta/command.h"

namespace muta::cli {

CommandSpec EvalCommand() {
  return {"eval", "(work in progress)", [](CLI::App&, const GlobalOptions&) -> RunFunction {
            return [] { return kExitUserError; };
          }};
}

}  // namespace muta::cli
