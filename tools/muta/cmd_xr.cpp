// muta xr: the OpenXR viewer (docs/xr.md).
//   muta xr PATH [--frames N] [--highlight-inferred] [--hide-inferred] [--graphics auto|xlib|egl]
//                [--start X,Y,Z] [--yaw DEG] [--scale N] [--snap-turn DEG] [--complete-tiles]
//                [--smooth-locomotion] [--move-speed M/S] [--vignette 0..1] [--surface-height M]
//                [--no-panel] [--log FILE.jsonl]
// PATH is a site bundle folder (or its tileset.json), a .ply mesh or point cloud, or a .glb mesh.
#include <cstdio>
#include <memory>
#include <string>

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "core/error.h"
#include "tools/muta/command.h"
#include "xr/app/xr_viewer.h"

namespace muta::cli {
namespace {

struct XrArgs {
  std::string path;
  int frames = 0;
  bool highlight_inferred = false;
  bool hide_inferred = false;
  std::string graphics = "auto";
  std::string start;
  double yaw_deg = 0;
  double scale = 1;
  double snap_turn_deg = 30;
  bool complete_tiles = false;
  bool smooth_locomotion = false;
  double move_speed_mps = 2.0;
  double vignette = 0.7;
  double surface_height_m = 0.75;
  bool no_panel = false;
  std::string log;
};

int RunXr(const XrArgs& args) {
#ifndef MUTA_HAVE_XR_APP
  MUTA_CHECK(false) << "this muta was built without OpenXR (Debian: apt install libopenxr-dev "
                       "libopenxr-loader1, then rebuild): muta xr "
                    << args.path << " is unavailable";
  return kExitUserError;
#else
  xr::XrViewerOptions options;
  options.graphics = xr::ParseGraphicsApi(args.graphics);
  if (args.frames > 0) options.frames = args.frames;
  options.highlight_inferred = args.highlight_inferred;
  options.show_inferred = !args.hide_inferred;
  if (!args.start.empty()) {
    double x = 0, y = 0, z = 0;
    char extra = 0;
    MUTA_CHECK(std::sscanf(args.start.c_str(), "%lf,%lf,%lf%c", &x, &y, &z, &extra) == 3)
        << "--start " << args.start << ": expected X,Y,Z in world metres (z up), e.g. 2,-8,0";
    options.start = Eigen::Vector3d(x, y, z);
  }
  options.start_yaw_deg = args.yaw_deg;
  options.scale = args.scale;
  options.snap_turn_deg = args.snap_turn_deg;
  options.complete_tiles = args.complete_tiles;
  options.smooth_locomotion = args.smooth_locomotion;
  options.move_speed_mps = args.move_speed_mps;
  options.vignette = args.vignette;
  options.surface_height_m = args.surface_height_m;
  options.panel = !args.no_panel;
  options.log_path = args.log;
  const xr::XrRunSummary s = xr::RunXrViewer(args.path, options);
  spdlog::info(
      "muta xr: {} frames on {} ({}, {}), {} session(s); CPU per frame median {:.2f} ms, p99 "
      "{:.2f} ms; per eye median {:.2f} ms, p99 {:.2f} ms; {} teleport(s), {} turn(s)",
      s.frames_rendered, s.runtime, s.graphics, s.blend_mode, s.sessions, s.frame_cpu_ms_median,
      s.frame_cpu_ms_p99, s.eye_cpu_ms_median, s.eye_cpu_ms_p99, s.teleports, s.turns);
  return kExitOk;
#endif
}

}  // namespace

CommandSpec XrCommand() {
  return {"xr", "Explore a site in a VR/AR headset through OpenXR (Monado, SteamVR, simulator)",
          [](CLI::App& sub, const GlobalOptions&) -> RunFunction {
            auto o = std::make_shared<XrArgs>();
            sub.add_option("path", o->path,
                           "Site bundle folder (or its tileset.json), .ply mesh or point cloud, "
                           ".glb mesh")
                ->required();
            sub.add_option("--frames", o->frames,
                           "Quit after this many rendered frames (default: until the headset "
                           "session ends or Ctrl+C)")
                ->check(CLI::PositiveNumber);
            sub.add_flag("--highlight-inferred", o->highlight_inferred,
                         "Show inferred (restored) parts in the highlight colour");
            sub.add_flag("--hide-inferred", o->hide_inferred,
                         "Start with the inferred layer hidden (the controllers toggle it)");
            sub.add_option("--graphics", o->graphics,
                           "OpenXR graphics binding: auto, xlib (XR_KHR_opengl_enable, needs a "
                           "display) or egl (XR_MNDX_egl_enable, headless)")
                ->capture_default_str();
            sub.add_option("--start", o->start,
                           "Where you stand at the start: X,Y,Z world metres (z up); default "
                           "in front of the model");
            sub.add_option("--yaw", o->yaw_deg,
                           "Heading at the start, degrees (0 = facing +y, positive = left)")
                ->capture_default_str();
            sub.add_option("--scale", o->scale,
                           "Start at 1:N (1 = life size, up to 100 = dollhouse on a table)")
                ->check(CLI::Range(1.0, 100.0))
                ->capture_default_str();
            sub.add_option("--snap-turn", o->snap_turn_deg, "Snap turn angle, degrees")
                ->check(CLI::Range(1.0, 180.0))
                ->capture_default_str();
            sub.add_flag("--complete-tiles", o->complete_tiles,
                         "Wait every frame until each eye's tiles are loaded (screenshots, "
                         "tests; a headset would stutter)");
            sub.add_flag("--smooth-locomotion", o->smooth_locomotion,
                         "The left thumbstick moves you continuously (with a comfort "
                         "vignette); teleport and snap turn stay on the right hand");
            sub.add_option("--move-speed", o->move_speed_mps,
                           "Smooth locomotion speed at full deflection, metres per second")
                ->check(CLI::Range(0.1, 10.0))
                ->capture_default_str();
            sub.add_option("--vignette", o->vignette,
                           "Comfort vignette while moving smoothly: 0 (off) to 1 (periphery "
                           "black)")
                ->check(CLI::Range(0.0, 1.0))
                ->capture_default_str();
            sub.add_option("--surface-height", o->surface_height_m,
                           "AR: the model stands on a surface this high above the floor, "
                           "metres (0 = the floor)")
                ->check(CLI::Range(0.0, 2.0))
                ->capture_default_str();
            sub.add_flag("--no-panel", o->no_panel,
                         "Start with the panel hidden (B/Y on Touch, B on Index, thumbstick "
                         "click on WMR brings it in front of you)");
            sub.add_option("--log", o->log,
                           "Write session states, per-frame poses, timings and events as JSON "
                           "lines to this file");
            return [o] { return RunXr(*o); };
          }};
}

}  // namespace muta::cli
