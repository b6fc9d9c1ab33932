// muta reconstruct PHOTOS -w WORKSPACE: photographs -> COLMAP SfM -> orient/scale -> undistort
// -> our PatchMatch MVS -> fusion -> mesh, as resumable workspace stages.
#include <cstdio>
#include <filesystem>
#include <memory>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "core/error.h"
#include "core/progress.h"
#include "core/workspace.h"
#include "reconstruct/pipeline.h"
#include "tools/muta/command.h"
#include "tools/muta/report.h"

namespace muta::cli {
namespace {

struct Options {
  std::string images;
  std::string workspace;
  reconstruct::ReconstructOptions pipeline;
  std::string intrinsics, colmap, control, scale_bar;
  int max_size = 0, dense_max_size = 0, poisson_depth = 0, texture_max_size = -1;
  double texel_size_mm = 0;
  bool no_gps = false;
  bool exclude_outlier_views = true;
  RunOptions run;
  bool json = false;
};

std::string Summary(const StageRecord& s) {
  const Json& f = s.figures;
  auto num = [&](const char* key) { return f.contains(key) ? f[key].dump() : std::string("?"); };
  if (s.name == "ingest") return num("images") + " images";
  if (s.name == "sfm") {
    return num("registered") + "/" + num("images") + " registered, " + num("points") + " points";
  }
  if (s.name == "orient") {
    return f.value("unscaled", true) ? std::string("unscaled (relative units)")
                                     : "metric (" + f.value("scale_source", std::string()) + ")";
  }
  if (s.name == "undistort") return num("images") + " images";
  if (s.name == "mvs") return num("images") + " depth maps";
  if (s.name == "fusion") return num("points") + " points";
  if (s.name == "mesh") return num("faces") + " faces";
  if (s.name == "texture" && f.contains("texel_size_mm")) {
    return num("charts") + " charts, texel " +
           fmt::format("{:.1f}", f["texel_size_mm"].get<double>()) + " mm";
  }
  return "";
}

}  // namespace

CommandSpec ReconstructCommand() {
  return {"reconstruct", "Reconstruct a building from photographs into a workspace",
          [](CLI::App& sub, const GlobalOptions&) -> RunFunction {
            auto o = std::make_shared<Options>();
            sub.add_option("images", o->images,
                           "Folder of photographs (JPEG/PNG/TIFF); may be left out when the "
                           "workspace already ingested them");
            sub.add_option("-w,--workspace", o->workspace, "Job workspace folder")->required();
            sub.add_option("--quality", o->pipeline.quality, "preview, standard or high")
                ->check(CLI::IsMember({"preview", "standard", "high"}))
                ->capture_default_str();
            sub.add_flag("--recursive", o->pipeline.recursive,
                         "Also take photographs in sub-folders");
            sub.add_flag("--strict", o->pipeline.strict,
                         "Stop at a corrupt or truncated photograph instead of skipping it");
            sub.add_option("--max-size", o->max_size,
                           "Downscale photographs to this longest side (pixels) at ingest")
                ->check(CLI::Range(64, 100000));
            sub.add_option("--intrinsics", o->intrinsics,
                           "Known calibration: a file with the 3x3 matrix K (or 'fx fy cx cy') of "
                           "the full-size photographs; kept fixed");
            sub.add_option("--colmap", o->colmap, "COLMAP executable (default: colmap on PATH)");
            sub.add_option("--matcher", o->pipeline.matcher,
                           "Image matching: auto, exhaustive, sequential or spatial")
                ->check(CLI::IsMember({"auto", "exhaustive", "sequential", "spatial"}))
                ->capture_default_str();
            sub.add_option("--control", o->control,
                           "Camera-centre control points, 'IMAGE_NAME X Y Z' (metres) per line");
            sub.add_option("--scale-bar", o->scale_bar,
                           "Scale bars: points marked in photographs and their distance (JSON, see "
                           "docs/formats.md)");
            sub.add_flag("--no-gps", o->no_gps, "Ignore GPS positions in the photographs' EXIF");
            sub.add_option("--dense-max-size", o->dense_max_size,
                           "Longest side (pixels) of the images dense matching works on (default "
                           "by --quality)")
                ->check(CLI::Range(64, 100000));
            sub.add_option("--texture-max-size", o->texture_max_size,
                           "Longest side (pixels) of the images texturing samples (default: the "
                           "photographs' size; 0: the dense images)")
                ->check(CLI::Range(0, 100000));
            sub.add_option("--poisson-depth", o->poisson_depth,
                           "Poisson octree depth (default by "
                           "--quality)")
                ->check(CLI::Range(5, 13));
            sub.add_option("--mesher", o->pipeline.mesher,
                           "Meshing: poisson (smooth, closed surface over the points) or delaunay "
                           "(visibility graph cut: keeps what the cameras saw through empty)")
                ->capture_default_str()
                ->check(CLI::IsMember({"poisson", "delaunay"}));
            sub.add_option("--refine-rounds", o->pipeline.refine_rounds,
                           "Photometric refinement of the mesh: rounds of moving each vertex "
                           "along its normal to where the photographs agree best (0: off)")
                ->capture_default_str()
                ->check(CLI::Range(0, 8));
            sub.add_option("--texel-size", o->texel_size_mm,
                           "Texture atlas texel size in mm (default: the photographs' ground "
                           "sampling distance)")
                ->check(CLI::PositiveNumber);
            sub.add_flag("--exclude-outlier-views,!--keep-outlier-views", o->exclude_outlier_views,
                         "Texture stage: per face, drop views whose colour is an outlier among "
                         "the views' (moving objects, occluders); on by default, "
                         "--keep-outlier-views turns it off");
            sub.add_option("--from", o->run.from, "First stage to run");
            sub.add_option("--to", o->run.to, "Last stage to run");
            sub.add_flag("--force", o->run.force, "Rerun stages that are up to date");
            sub.add_flag("--json", o->json, "Print the job's stage records as JSON on stdout");
            return [o] {
              auto& p = o->pipeline;
              if (!o->images.empty()) {
                MUTA_CHECK(std::filesystem::is_directory(o->images))
                    << o->images << ": no such folder; give the folder holding the photographs";
                p.images = o->images;
              }
              if (!o->intrinsics.empty()) p.intrinsics = o->intrinsics;
              if (!o->colmap.empty()) p.colmap = o->colmap;
              if (!o->control.empty()) p.control = o->control;
              if (!o->scale_bar.empty()) p.scale_bar = o->scale_bar;
              if (o->max_size > 0) p.max_size = o->max_size;
              if (o->dense_max_size > 0) p.dense_max_size = o->dense_max_size;
              if (o->texture_max_size >= 0) p.texture_max_size = o->texture_max_size;
              if (o->poisson_depth > 0) p.poisson_depth = o->poisson_depth;
              if (o->texel_size_mm > 0) p.texel_size_mm = o->texel_size_mm;
              p.exclude_outlier_views = o->exclude_outlier_views;
              p.use_gps = !o->no_gps;
              p.Check();
              Workspace ws = Workspace::Open(o->workspace);
              const auto stages = reconstruct::ReconstructionStages(p, ws.root());
              ws.job().properties["quality"] = p.quality;  // for report.html
              Progress progress;
              RunStagesWithReport(ws, stages, o->run, progress);  // + report.html
              if (o->json) {
                std::printf("%s\n", JobToJson(ws.job()).dump(2).c_str());
                return kExitOk;
              }
              std::printf("muta reconstruct – workspace %s\n", ws.root().c_str());
              for (const auto& s : ws.job().stages) {
                std::printf("  %-10s %-11s %7.1f s  %s\n", s.name.c_str(),
                            std::string(StageStatusName(s.status)).c_str(), s.seconds,
                            s.status == StageStatus::kDone ? Summary(s).c_str() : "");
              }
              return kExitOk;
            };
          }};
}

}  // namespace muta::cli
