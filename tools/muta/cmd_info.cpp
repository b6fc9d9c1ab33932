// muta info: version, asset directory and external tools, for bug reports and set-up checks.
#include <CLI/CLI.hpp>

#include "core/assets.h"
#include "core/error.h"
#include "core/json.h"
#include "core/version.h"
#include "tools/muta/command.h"

namespace muta::cli {

CommandSpec InfoCommand() {
  return {
      "info", "Show version, asset directory and external tools",
      [](CLI::App& sub, const GlobalOptions&) -> RunFunction {
        auto json = std::make_shared<bool>(false);
        sub.add_flag("--json", *json, "Print JSON");
        return [json] {
          Json info = {{"version", MUTA_VERSION_STRING}, {"executable", ExecutablePath().string()}};
          try {
            info["asset_dir"] = AssetDir().string();
          } catch (const Error& e) {
            info["asset_dir_error"] = e.what();
          }
          if (*json) {
            std::printf("%s\n", info.dump(2).c_str());
          } else {
            for (const auto& [key, value] : info.items()) {
              std::printf(
                  "%-12s %s\n", key.c_str(),
                  value.is_string() ? value.get<std::string>().c_str() : value.dump().c_str());
            }
          }
          return kExitOk;
        };
      }};
}

}  // namespace muta::cli
