// muta report -w WORKSPACE: (re)writes WORKSPACE/report.html and its pictures in
// WORKSPACE/report/ from what the workspace holds (report.h; docs/report.md).
#include <cstdio>
#include <filesystem>
#include <memory>

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "core/error.h"
#include "core/workspace.h"
#include "tools/muta/command.h"
#include "tools/muta/report.h"

namespace muta::cli {
namespace {

struct ReportArgs {
  std::string workspace;
  bool no_render = false;
  ReportOptions report;
};

int RunReport(const ReportArgs& args) {
  namespace fs = std::filesystem;
  args.report.Check();
  ReportOptions options = args.report;
  options.render = !args.no_render;
  const fs::path root(args.workspace);
  MUTA_CHECK(fs::exists(root)) << root.string()
                               << ": no such workspace; check the -w path (a folder made by muta "
                                  "reconstruct or muta demo)";
  MUTA_CHECK(fs::is_regular_file(root / "muta.job.json"))
      << root.string()
      << ": not a Muta workspace (no muta.job.json); give the folder that muta reconstruct or "
         "muta demo wrote with -w";
  // Opening takes the workspace's lock: no report of a job that is half way through a stage.
  const Workspace ws = Workspace::Open(root, /*create=*/false);
  const ReportSummary s = WriteReport(ws.root(), ws.job(), options);
  std::printf("wrote %s and %zu images in %s in %.1f s\n", s.html.c_str(), s.images.size(),
              (ws.root() / "report").c_str(), s.seconds);
  for (const std::string& note : s.notes) std::printf("  note: %s\n", note.c_str());
  return kExitOk;
}

}  // namespace

CommandSpec ReportCommand() {
  return {"report", "Write WORKSPACE/report.html: stages, figures, sparse view, depth maps, mesh",
          [](CLI::App& sub, const GlobalOptions&) -> RunFunction {
            auto o = std::make_shared<ReportArgs>();
            sub.add_option("-w,--workspace", o->workspace, "Job workspace folder")->required();
            sub.add_flag("--no-render", o->no_render,
                         "Leave out the rendered sparse view and mesh preview (no OpenGL needed)");
            sub.add_option("--depth-maps", o->report.max_depth_maps,
                           "Show at most this many depth and normal maps")
                ->check(CLI::Range(0, 1000))
                ->capture_default_str();
            return [o] { return RunReport(*o); };
          }};
}

}  // namespace muta::cli
