// muta – photographs of a heritage building to a restored, provenance-labelled model.
#include <cstdio>
#include <cstdlib>
#include <exception>

#include <CLI/CLI.hpp>

#include "core/error.h"
#include "core/log.h"
#include "core/progress.h"
#include "core/version.h"
#include "tools/muta/command.h"

int main(int argc, char** argv) {
  using namespace muta;
  using namespace muta::cli;
  // Open3D's OpenMP threads busy-wait by default, which starves everything else on a machine
  // with few cores (a small Poisson solve went from 1.7 s to 50 s on 2 shared cores). The
  // OpenMP runtime reads this when it starts, i.e. after this line. A user's setting wins.
  ::setenv("OMP_WAIT_POLICY", "PASSIVE", 0);
  InitLogging("info");

  CLI::App app("muta " MUTA_VERSION_STRING
               " – photographs of a heritage building to a restored, provenance-labelled 3D "
               "model for desktop and VR");
  app.set_version_flag("--version", "muta " MUTA_VERSION_STRING);
  app.require_subcommand(1);
  app.fallthrough();
  GlobalOptions global;
  app.add_option("--log-level", global.log_level, "trace|debug|info|warn|error|off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}))
      ->capture_default_str();
  app.add_flag_callback(
      "-v,--verbose", [&] { global.log_level = "debug"; }, "Same as --log-level debug");
  app.add_flag_callback(
      "-q,--quiet", [&] { global.log_level = "warn"; }, "Same as --log-level warn");
  app.add_option("--progress", global.progress,
                 "Progress on stderr: auto (a bar on a terminal, else nothing), bar, json, none")
      ->check(CLI::IsMember({"auto", "bar", "json", "none"}))
      ->capture_default_str();
  app.footer(
      "Exit codes: 0 ok, 1 bad input or options, 2 internal error, 130 interrupted.\n"
      "Run 'muta COMMAND --help' for a command's options.");

  RunFunction run;
  for (const CommandSpec& spec : Commands()) {
    CLI::App* sub = app.add_subcommand(spec.name, spec.summary);
    auto fn = spec.setup(*sub, global);
    sub->callback([&run, fn] { run = fn; });
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? kExitOk : kExitUserError;
  }

  try {
    InitLogging(global.log_level);
    SetDefaultProgressStyle(ParseProgressStyle(global.progress));
    InstallInterruptHandler();
    MUTA_INTERNAL_CHECK(static_cast<bool>(run)) << "no command selected";
    return run();
  } catch (const Cancelled&) {
    spdlog::warn("interrupted; finished work is kept – run the same command again to resume");
    return kExitInterrupted;
  } catch (const Error& e) {
    spdlog::error("{}", e.what());
    if (e.file()[0] != '\0') spdlog::debug("raised at {}:{}", e.file(), e.line());
    return e.kind() == ErrorKind::kUser ? kExitUserError : kExitInternalError;
  } catch (const std::exception& e) {
    spdlog::error("internal error: {}", e.what());
    return kExitInternalError;
  }
}
