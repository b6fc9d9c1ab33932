// muta view: the desktop viewer (docs/viewer.md).
//   muta view PATH [--mode orbit|fly|walk] [--viewpoint NAME] [--size WxH] [--script FILE.json]
// PATH is a site bundle folder (or its tileset.json), a .ply mesh or point cloud, or a .glb mesh.
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "core/error.h"
#include "render/viewer/script.h"
#include "render/viewer/view_scene.h"
#include "render/viewer/viewer.h"
#include "tools/muta/command.h"

namespace muta::cli {
namespace {

struct ViewArgs {
  std::string path;
  std::string mode = "orbit";
  std::string viewpoint;
  std::string size;
  std::string script;
  double fov_deg = 50;
};

bool HaveDisplay() {
  const char* x11 = std::getenv("DISPLAY");
  const char* wayland = std::getenv("WAYLAND_DISPLAY");
  return (x11 != nullptr && x11[0] != '\0') || (wayland != nullptr && wayland[0] != '\0');
}

int RunView(const ViewArgs& args) {
  namespace v = render::viewer;
  v::ViewerOptions options;
  options.mode = v::ParseNavMode(args.mode);
  options.viewpoint = args.viewpoint;
  options.fov_deg = args.fov_deg;
  if (!args.size.empty()) {
    char x = 0, extra = 0;
    const int n =
        std::sscanf(args.size.c_str(), "%d%c%d%c", &options.width, &x, &options.height, &extra);
    MUTA_CHECK(n == 3 && (x == 'x' || x == 'X'))
        << "--size " << args.size << ": expected WIDTHxHEIGHT in pixels, e.g. 1280x800";
  }
  options.Check();
  // Inputs first (no window needed): a bad file or script is reported on any machine.
  std::optional<v::Script> script;
  if (!args.script.empty()) script = v::ReadScript(args.script);
  v::LoadedModel model = v::LoadModel(args.path);
  spdlog::info("{}", model.Describe());
  MUTA_CHECK(HaveDisplay())
      << "muta view needs a display (DISPLAY and WAYLAND_DISPLAY are unset): run it on a "
         "desktop, or under a virtual one with `xvfb-run -a muta view "
      << args.path << " --script FILE.json`; for pictures without any display use `muta render`";
  v::RunViewer(std::move(model), options, script ? &*script : nullptr);
  return kExitOk;
}

}  // namespace

CommandSpec ViewCommand() {
  return {"view", "Explore a site, mesh or point cloud in a window (orbit, fly, walk, measure)",
          [](CLI::App& sub, const GlobalOptions&) -> RunFunction {
            auto o = std::make_shared<ViewArgs>();
            sub.add_option("path", o->path,
                           "Site bundle folder (or its tileset.json), .ply mesh or point cloud, "
                           ".glb mesh")
                ->required();
            sub.add_option("--mode", o->mode, "Camera: orbit, fly or walk")->capture_default_str();
            sub.add_option("--viewpoint", o->viewpoint, "Start at a saved viewpoint of site.json");
            sub.add_option("--size", o->size, "Window size WIDTHxHEIGHT (default 1280x800)");
            sub.add_option("--fov", o->fov_deg, "Vertical field of view, degrees")
                ->check(CLI::Range(10.0, 150.0))
                ->capture_default_str();
            sub.add_option("--script", o->script,
                           "Run the actions of a JSON script without user input (docs/viewer.md)");
            return [o] { return RunView(*o); };
          }};
}

}  // namespace muta::cli
