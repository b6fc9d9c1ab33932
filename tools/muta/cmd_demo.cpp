#include <CLI/CLI.hpp>

#include "tools/muta/command.h"

namespace muta::cli {

CommandSpec DemoCommand() {
  return {"demo", "(work in progress)", [](CLI::App&, const GlobalOptions&) -> RunFunction {
            return [] { return kExitUserError; };
          }};
}

}  // namespace muta::cli
