// muta demo: the whole pipeline on the built-in synthetic pagoda, in one job workspace.
//
//   synth          the damaged pagoda (tools/synth): 12 photographs (640x480) with exact ground
//                  truth, and an overview still in WORKSPACE/synth;
//   ingest ..      `muta reconstruct` at preview quality rebuilds it from those photographs
//                  (its stages, whatever they are: ingest .. mesh, texture);
//   accuracy       cameras, fused cloud and mesh measured against the ground truth;
//   restore        `muta restore` (method auto) on the reconstructed mesh -> WORKSPACE/restore;
//                  when no rotational symmetry is found on it, the demo says so and goes on with
//                  the unrestored mesh;
//   export         the site bundle (`muta export`) -> WORKSPACE/site (tiles, model.glb,
//                  site.json);
//   stills         pictures of the site through the streaming renderer -> WORKSPACE/stills.
// Every stage is resumable (muta.job.json). The demo then opens the viewer on WORKSPACE/site
// when a window can be opened (DISPLAY or WAYLAND_DISPLAY set and GLFW creates a 4.5 context)
// unless --no-view or --json is given; otherwise it prints where the stills are and how to
// open the site later. --view-only skips the stages and only opens the viewer on an earlier
// run's site.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "core/colmap_model.h"
#include "core/error.h"
#include "core/icp.h"
#include "core/json.h"
#include "core/metrics.h"
#include "core/ply_io.h"
#include "core/progress.h"
#include "core/site_io.h"
#include "core/workspace.h"
#include "reconstruct/pipeline.h"
#include "reconstruct/restore/restore.h"
#include "reconstruct/restore/restore_texture.h"
#include "reconstruct/tiles/site_export.h"
#include "render/gl_context.h"
#include "render/viewer/script.h"
#include "render/viewer/view_scene.h"
#include "render/viewer/viewer.h"
#include "tools/muta/command.h"
#include "tools/muta/demo_stills.h"
#include "tools/muta/report.h"
#include "tools/muta/site_input.h"
#include "tools/synth/synth.h"

namespace muta::cli {
namespace {

namespace fs = std::filesystem;

// The demo reconstructs at preview quality so that it ends within minutes.
constexpr const char* kDemoQuality = "preview";

struct DemoOptions {
  std::string workspace = "muta-demo";
  int synth_images = 12;  // photographs of the synthetic pagoda (640x480)
  std::uint64_t seed = 1;
  RunOptions run;
  bool json = false;
  bool no_view = false;     // never open the viewer at the end
  bool view_only = false;   // run no stage: only open the viewer on WORKSPACE/site
  std::string view_script;  // a viewer script (docs/viewer.md) for the final view
};

std::vector<StageDef> DemoStages(const DemoOptions& o) {
  std::vector<StageDef> stages;
  synth::SynthOptions synth_options;
  synth_options.building.seed = o.seed;
  synth_options.rig.images = o.synth_images;
  synth_options.rig.width = 640;
  synth_options.rig.height = 480;
  synth_options.damage = "default";
  stages.push_back(
      {"synth",
       {{"scene", "pagoda"},
        {"seed", o.seed},
        {"images", o.synth_images},
        {"size", "640x480"},
        {"damage", "default"}},
       {},
       {"synth/images", "synth/gt/mesh.ply", "synth/gt/intact.ply", "synth/gt/visible.ply",
        "synth/gt/sparse", "synth/gt/scene.json", "synth/gt/damage.json", "synth/overview.png"},
       [synth_options](Workspace& ws, Progress& progress) {
         synth::SynthOptions opts = synth_options;
         opts.overview = ws.Path("synth/overview.png");
         const synth::SynthSummary s = synth::WriteSynthDataset(opts, ws.Path("synth"), progress);
         return Json{{"parts", s.parts},
                     {"faces", s.faces},
                     {"removed_faces", s.removed_faces},
                     {"images", s.images},
                     {"visible_points", s.visible_points},
                     {"render_seconds", s.render_seconds}};
       }});
  // Reconstruct the synthetic photographs with the real pipeline (COLMAP SfM, our MVS,
  // fusion, Poisson) at preview quality, then measure it against the exact ground truth.
  reconstruct::ReconstructOptions rec;
  rec.images = std::filesystem::absolute(o.workspace) / "synth" / "images";
  rec.quality = kDemoQuality;
  for (StageDef& stage : reconstruct::ReconstructionStages(rec, o.workspace)) {
    stages.push_back(std::move(stage));
  }
  stages.push_back(
      {"accuracy",
       {{"tau_fraction", 0.005}},
       {"synth/gt/mesh.ply", "synth/gt/sparse", "synth/gt/scene.json", "sparse/images.bin",
        "dense/fused.ply", "dense/mesh.ply"},
       {"accuracy.json"},
       [](Workspace& ws, Progress& progress) {
         const SparseModel gt_cams = ReadSparseModel(ws.Path("synth/gt/sparse"));
         const CameraEvaluation cams = EvaluateCameras(gt_cams, ReadSparseModel(ws.Path("sparse")));
         const double diagonal =
             ReadJsonFile(ws.Path("synth/gt/scene.json"))["diagonal"].get<double>();
         const Mesh gt = ReadPlyMesh(ws.Path("synth/gt/mesh.ply"));
         const std::vector<Vec3f> visible =
             ReadPlyPointCloud(ws.Path("synth/gt/visible.ply")).points;
         SurfaceEvaluationOptions surface_options;
         surface_options.tau = 0.005 * diagonal;
         Json result = {
             {"diagonal", diagonal}, {"tau", surface_options.tau}, {"cameras", ToJson(cams)}};
         for (const char* what : {"fused", "mesh"}) {
           Mesh surface;
           const auto path = ws.Path(std::string("dense/") + what + ".ply");
           if (std::string(what) == "fused") {
             surface.vertices = ReadPlyPointCloud(path).points;
           } else {
             surface = ReadPlyMesh(path);
           }
           for (Vec3f& v : surface.vertices) {
             v = (cams.gt_from_model * v.cast<double>()).cast<float>();
           }
           CropToGroundTruthBox(gt, surface_options.tau, surface);
           const IcpResult icp = RefineOntoGroundTruth(gt, surface_options.tau, surface);
           const SurfaceEvaluation e =
               EvaluateSurface(gt, surface, &visible, surface_options, &progress);
           Json j = ToJson(e);
           j["icp_rms_before"] = icp.rms_before;
           j["icp_rms_after"] = icp.rms_after;
           result[what] = j;
         }
         WriteJsonFile(ws.Path("accuracy.json"), result);
         return result;
       }});
  // Restoration of the reconstructed mesh (`muta restore`, method auto). When no rotational
  // symmetry is found on it, the demo says so and goes on with the unrestored mesh: damage.json
  // and report.json are written, restored.ply is not.
  stages.push_back(
      {"restore",
       {{"method", "auto"}},
       {"dense/mesh.ply", "dense/textured.glb"},
       {"restore/damage.json", "restore/report.json"},
       [](Workspace& ws, Progress& progress) {
         const fs::path input = ws.Path("dense/mesh.ply");
         const Mesh mesh = ReadPlyMesh(input);
         restore::RestoreOptions options;
         options.method = "auto";
         // Weakly supported regions from the fused cloud, as `muta restore -w` does.
         const std::optional<restore::FusedSupport> fused =
             restore::ReadFusedSupport(ws.Path("dense"));
         if (fused) options.damage.fused = &*fused;
         restore::RestoreResult r = restore::RestoreMesh(mesh, "dense/mesh.ply", options, progress);
         const restore::Symmetry& s = r.damage.symmetry;
         const fs::path restored = ws.Path("restore/restored.ply");
         Json figures = {{"symmetry_found", s.found},
                         {"rotation_order", s.found ? s.order : 1},
                         {"symmetry_inlier_fraction", s.inlier_fraction},
                         {"missing_regions", r.damage.regions.size()},
                         {"holes", r.damage.NumHolesToFill()},
                         {"observed_faces", r.observed_faces}};
         if (!s.found) {
           // The smooth fills `auto` made for holes are not kept either: without the building's
           // symmetry the demo has nothing worth showing as a restoration.
           r.report["demo"] =
               "no rotational symmetry found on the reconstructed mesh: not restored, the site "
               "is exported from dense/mesh.ply";
           std::filesystem::remove(restored);
           std::filesystem::remove(ws.Path("restore") / restore::kTexturedRestoreFile);
           std::filesystem::remove(ws.Path("restore") / restore::kTexturedRestoreAtlas);
           fs::create_directories(ws.Path("restore"));
           WriteJsonFile(ws.Path("restore/damage.json"), r.damage_json);
           WriteJsonFile(ws.Path("restore/report.json"), r.report);
           figures["restored"] = false;
           figures["inferred_faces"] = 0;
           spdlog::warn(
               "restore: no rotational symmetry found on the reconstructed mesh (best inlier "
               "fraction {:.2f}); the demo goes on with the unrestored mesh",
               s.inlier_fraction);
           return figures;
         }
         restore::WriteRestoreOutputs(r, ws.Path("restore"));
         // The texture stage's atlas carried into the restored mesh (symmetry transfers take
         // their counterpart's texture, other inferred faces a neutral grey).
         if (const std::optional<Json> t = restore::WriteTexturedRestore(
                 r, ws.Path("dense/textured.glb"), ws.Path("restore"))) {
           figures["texture"] = *t;
         }
         figures["restored"] = true;
         figures["inferred_faces"] = r.inferred_faces;
         figures["seconds"] = r.report["seconds"]["total"];
         return figures;
       }});
  // The site bundle (`muta export`): the restored mesh when there is one, else the textured
  // mesh (when the pipeline has a texture stage), else dense/mesh.ply – as `muta export -w`.
  stages.push_back({"export",
                    {{"lod", "default"}},
                    {"dense/mesh.ply", "restore/report.json"},
                    {"site/tileset.json", "site/site.json", "site/model.glb"},
                    [](Workspace& ws, Progress& progress) {
                      const std::string input = FindSiteInput(ws.root());
                      reconstruct::SiteExportOptions options;
                      options.name = "demo pagoda";
                      options.unscaled = ws.job().properties.value("unscaled", false);
                      options.source = input;
                      SiteInput loaded = LoadSiteInput(ws.Path(input));
                      const auto summary = reconstruct::ExportSite(
                          loaded.mesh, loaded.texture, ws.Path("site"), options, progress);
                      Json figures = summary.ToJson();
                      figures["input"] = input;
                      return figures;
                    }});
  // Stills of the site through the streaming renderer (headless).
  stages.push_back({"stills",
                    {{"size", "960x720"}, {"max_sse_px", DemoStillsOptions{}.max_sse_px}},
                    {"site/tileset.json", "site/site.json", "restore/damage.json"},
                    {"stills/overview.png"},
                    [](Workspace& ws, Progress& progress) {
                      const std::optional<Json> damage =
                          ReadJsonFile(ws.Path("restore/damage.json"));
                      const std::vector<DemoStill> stills =
                          RenderSiteStills(ws.Path("site"), damage, ws.Path("stills"),
                                           DemoStillsOptions{}, progress);
                      Json list = Json::array();
                      for (const DemoStill& s : stills) {
                        list.push_back({{"name", s.name},
                                        {"description", s.description},
                                        {"path", "stills/" + s.path.filename().string()},
                                        {"tiles", s.tiles},
                                        {"triangles", s.triangles}});
                      }
                      return Json{{"stills", list}};
                    }});
  return stages;
}

// Figures of a finished stage, or null.
Json Figures(const Workspace& ws, const char* stage) {
  const StageRecord* r = ws.job().Find(stage);
  return r && r->status == StageStatus::kDone ? r->figures : Json(nullptr);
}

void PrintSummary(const Workspace& ws) {
  std::printf("muta demo – workspace %s\n", ws.root().c_str());
  for (const auto& s : ws.job().stages) {
    std::printf("  %-9s %-11s %6.1f s\n", s.name.c_str(),
                std::string(StageStatusName(s.status)).c_str(), s.seconds);
  }
  const Json a = Figures(ws, "accuracy");
  if (!a.is_null()) {
    const Json& c = a["cameras"];
    std::printf(
        "synthetic pagoda reconstructed: %d/%d photographs registered, camera-centre "
        "error median %.4f m (%.3f %% of the %.1f m scene diagonal)\n",
        c["registered"].get<int>(), c["total"].get<int>(), c["position_error_median"].get<double>(),
        100 * c["position_error_median"].get<double>() / a["diagonal"].get<double>(),
        a["diagonal"].get<double>());
    for (const char* what : {"fused", "mesh"}) {
      const Json& f = a[what];
      std::printf("  %-5s F-score %.3f at tau %.3f m (precision %.3f, recall %.3f)\n", what,
                  f["f_score"].get<double>(), f["tau"].get<double>(), f["precision"].get<double>(),
                  f["recall"].get<double>());
    }
  }
  const Json r = Figures(ws, "restore");
  if (!r.is_null()) {
    if (r.value("restored", false)) {
      std::printf(
          "restored: %d-fold symmetry (inliers %.1f %%), %zu missing regions and %zu holes, "
          "%zu observed faces kept, %zu inferred added -> %s\n",
          r["rotation_order"].get<int>(), 100 * r["symmetry_inlier_fraction"].get<double>(),
          r["missing_regions"].get<std::size_t>(), r["holes"].get<std::size_t>(),
          r["observed_faces"].get<std::size_t>(), r["inferred_faces"].get<std::size_t>(),
          ws.Path("restore/restored.ply").c_str());
    } else {
      std::printf(
          "NOT restored: no rotational symmetry found on the reconstructed mesh (best inlier "
          "fraction %.2f); the site shows the unrestored mesh (details: %s)\n",
          r["symmetry_inlier_fraction"].get<double>(), ws.Path("restore/report.json").c_str());
    }
  }
  const Json e = Figures(ws, "export");
  if (!e.is_null()) {
    std::printf("site bundle: %s – %zu triangles (%zu inferred), %zu tiles, %.1f MB, from %s\n",
                ws.Path("site").c_str(), e["triangles"].get<std::size_t>(),
                e["inferred_triangles"].get<std::size_t>(), e["tiles"].get<std::size_t>(),
                e["bytes"].get<double>() / 1e6, e.value("input", std::string("?")).c_str());
  }
  const Json st = Figures(ws, "stills");
  if (!st.is_null()) {
    std::printf("stills (streamed, headless) in %s:\n", ws.Path("stills").c_str());
    for (const Json& s : st["stills"]) {
      std::printf("  %-24s %s\n", fs::path(s["path"].get<std::string>()).filename().c_str(),
                  s["description"].get<std::string>().c_str());
    }
  }
  if (!e.is_null()) {
    std::printf(
        "open it: muta view %s   (without a display: muta render %s --view NAME -o OUT.png)\n",
        ws.Path("site").c_str(), ws.Path("site").c_str());
  }
}

bool HaveDisplay() {
  const char* x11 = std::getenv("DISPLAY");
  const char* wayland = std::getenv("WAYLAND_DISPLAY");
  return (x11 != nullptr && x11[0] != '\0') || (wayland != nullptr && wayland[0] != '\0');
}

// The demo's last step: the viewer on WORKSPACE/site when a window can be opened; otherwise
// says why and where the headless stills are. `required`: --view-only, where no window is an
// error.
int OpenSiteViewer(const fs::path& workspace, const DemoOptions& o, bool required) {
  const fs::path site = workspace / "site";
  MUTA_CHECK(fs::exists(site / "tileset.json"))
      << site / "tileset.json"
      << " does not exist: run `muta demo -w " << workspace.string()
      << "` (without --view-only) first";
  // The script is checked before any window opens.
  std::optional<render::viewer::Script> script;
  if (!o.view_script.empty()) script = render::viewer::ReadScript(o.view_script);
  std::string reason = "DISPLAY and WAYLAND_DISPLAY are unset";
  const bool can_view = HaveDisplay() && render::CanOpenWindow(&reason);
  if (!can_view) {
    MUTA_CHECK(!required) << "muta demo --view-only needs a display, and cannot open a window ("
                          << reason << "); run it on a desktop or under xvfb-run, or look at "
                          << workspace / "stills"
                          << " (muta render " << site.string()
                          << " --view NAME -o OUT.png renders more)";
    std::printf("no viewer window (%s): the stills above show the site\n", reason.c_str());
    return kExitOk;
  }
  std::printf("opening the viewer on %s (close the window to end the demo)\n", site.c_str());
  std::fflush(stdout);
  render::viewer::LoadedModel model = render::viewer::LoadModel(site);
  render::viewer::RunViewer(std::move(model), render::viewer::ViewerOptions{},
                            script ? &*script : nullptr);
  return kExitOk;
}

}  // namespace

CommandSpec DemoCommand() {
  return {
      "demo",
      "Synthesize a damaged pagoda, reconstruct, restore and export it as a site, with stills",
      [](CLI::App& sub, const GlobalOptions&) -> RunFunction {
        auto o = std::make_shared<DemoOptions>();
        sub.add_option("-w,--workspace", o->workspace, "Job workspace folder")
            ->capture_default_str();
        sub.add_option("--synth-images", o->synth_images, "Photographs of the synthetic pagoda")
            ->check(CLI::Range(2, 1000))
            ->capture_default_str();
        sub.add_option("--seed", o->seed, "Seed of the synthetic building")->capture_default_str();
        sub.add_option("--from", o->run.from, "First stage to run");
        sub.add_option("--to", o->run.to, "Last stage to run");
        sub.add_flag("--force", o->run.force, "Rerun stages that are up to date");
        sub.add_flag("--json", o->json,
                     "Print the figures (accuracy, restore, export, stills) as JSON on stdout "
                     "(and open no viewer)");
        sub.add_flag("--no-view", o->no_view,
                     "Do not open the viewer at the end, even when a display is present");
        sub.add_flag("--view-only", o->view_only,
                     "Run no stage: open the viewer on the site of an earlier run");
        sub.add_option("--view-script", o->view_script,
                       "Drive the final viewer with a JSON script (docs/viewer.md)")
            ->check(CLI::ExistingFile);
        return [o] {
          MUTA_CHECK(!(o->view_only && o->no_view))
              << "muta demo: --view-only and --no-view exclude each other";
          if (o->view_only) return OpenSiteViewer(o->workspace, *o, /*required=*/true);
          auto stages = DemoStages(*o);
          Workspace ws = Workspace::Open(o->workspace);
          ws.job().properties["quality"] = kDemoQuality;  // for report.html
          Progress progress;
          RunStagesWithReport(ws, stages, o->run, progress);  // + report.html
          if (o->json) {
            Json j = {{"workspace", ws.root().string()}, {"site", ws.Path("site").string()}};
            for (const char* stage : {"accuracy", "restore", "export", "stills"}) {
              j[stage] = Figures(ws, stage);
            }
            std::printf("%s\n", j.dump(2).c_str());
            return kExitOk;
          }
          PrintSummary(ws);
          if (o->no_view || !fs::exists(ws.Path("site/tileset.json"))) return kExitOk;
          return OpenSiteViewer(ws.root(), *o, /*required=*/false);
        };
      }};
}

}  // namespace muta::cli
