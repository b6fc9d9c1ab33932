// muta demo: runs every stage that exists so far on the built-in scene, in a job workspace.
//
// First the synthetic damaged pagoda (tools/synth): 12 photographs with exact ground truth and
// an overview still in WORKSPACE/synth. The reconstruction pipeline (`muta reconstruct`,
// preview quality) rebuilds it from those photographs in the same workspace, and `accuracy`
// measures cameras, fused cloud and mesh against the ground truth. Then (foundation): the built-in
// tower scene with ground-truth cameras, a simulated scan and a simulated SfM result (noisy, with
// an unknown similarity), their evaluation against the ground truth with the same metrics `muta
// eval` uses, and a GLB export. As the renderer, reconstruction, restoration and site-bundle issues
// land, their stages replace the simulated ones here.
#include <random>

#include <CLI/CLI.hpp>

#include "core/colmap_model.h"
#include "core/error.h"
#include "core/gltf_io.h"
#include "core/icp.h"
#include "core/json.h"
#include "core/metrics.h"
#include "core/ply_io.h"
#include "core/progress.h"
#include "core/sampling.h"
#include "core/workspace.h"
#include "reconstruct/pipeline.h"
#include "tools/muta/command.h"
#include "tools/muta/demo_scene.h"
#include "tools/muta/report.h"
#include "tools/synth/synth.h"

namespace muta::cli {
namespace {

// The demo reconstructs at preview quality so that it ends within minutes.
constexpr const char* kDemoQuality = "preview";

struct DemoOptions {
  std::string workspace = "muta-demo";
  int cameras = 24;
  int synth_images = 12;       // photographs of the synthetic pagoda (640x480)
  double scan_noise = 0.004;   // metres, std-dev of the simulated scan
  double camera_noise = 0.02;  // metres, std-dev of the simulated SfM camera centres
  std::uint64_t seed = 1;
  double tau = 0.05;  // metres: a scan point every ~5 cm on a 15 m tower
  RunOptions run;
  bool json = false;
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
  stages.push_back({"scene",
                    {{"cameras", o.cameras}},
                    {},
                    {"scene/gt/mesh.ply", "scene/gt/sparse"},
                    [o](Workspace& ws, Progress& progress) {
                      progress.Begin("scene", 2, "files");
                      const Mesh tower = MakeDemoTower();
                      WritePly(ws.Path("scene/gt/mesh.ply"), tower);
                      progress.Advance();
                      const SparseModel cameras = MakeDemoCameras(o.cameras, 1024, 768);
                      WriteSparseModel(ws.Path("scene/gt/sparse"), cameras, SparseFormat::kText);
                      progress.Advance();
                      return Json{{"faces", tower.NumFaces()},
                                  {"vertices", tower.NumVertices()},
                                  {"area_m2", tower.Area()},
                                  {"cameras", cameras.images.size()}};
                    }});
  stages.push_back(
      {"simulate",
       {{"scan_noise", o.scan_noise}, {"camera_noise", o.camera_noise}, {"seed", o.seed}},
       {"scene/gt/mesh.ply", "scene/gt/sparse"},
       {"scene/scan.ply", "scene/sfm/sparse"},
       [o](Workspace& ws, Progress& progress) {
         // Stand-ins for the reconstruction stages that are not built yet: points on the
         // true surface with Gaussian noise, and the true cameras with noise, seen through an
         // arbitrary similarity (as an unscaled SfM model is).
         progress.Begin("simulate", 2, "files");
         std::mt19937_64 rng(o.seed);
         std::normal_distribution<float> noise(0.0f, static_cast<float>(o.scan_noise));
         const Mesh gt = ReadPlyMesh(ws.Path("scene/gt/mesh.ply"));
         PointCloud scan;
         scan.points = SampleSurface(gt, 200'000, o.seed);
         for (auto& p : scan.points) p += Vec3f(noise(rng), noise(rng), noise(rng));
         WritePly(ws.Path("scene/scan.ply"), scan);
         progress.Advance();

         SparseModel sfm = ReadSparseModel(ws.Path("scene/gt/sparse"));
         Sim3d model_from_gt;
         model_from_gt.scale = 0.37;
         model_from_gt.rotation = Eigen::AngleAxisd(0.8, Eigen::Vector3d(1, -2, 0.5).normalized());
         model_from_gt.translation = {3.0, -1.0, 0.25};
         std::normal_distribution<double> cam_noise(0.0, o.camera_noise);
         for (auto& [id, image] : sfm.images) {
           Rigid3d pose = image.cam_from_world;
           const Eigen::Vector3d centre =
               CameraCenter(pose) + Eigen::Vector3d(cam_noise(rng), cam_noise(rng), cam_noise(rng));
           pose.translation = -(pose.rotation * centre);
           image.cam_from_world = TransformPose(model_from_gt, pose);
         }
         WriteSparseModel(ws.Path("scene/sfm/sparse"), sfm, SparseFormat::kBinary);
         progress.Advance();
         return Json{{"scan_points", scan.size()}, {"sfm_images", sfm.images.size()}};
       }});
  stages.push_back({"evaluate",
                    {{"tau", o.tau}},
                    {"scene/gt/mesh.ply", "scene/gt/sparse", "scene/scan.ply", "scene/sfm/sparse"},
                    {"evaluation.json"},
                    [o](Workspace& ws, Progress& progress) {
                      const SparseModel gt_cams = ReadSparseModel(ws.Path("scene/gt/sparse"));
                      const SparseModel sfm = ReadSparseModel(ws.Path("scene/sfm/sparse"));
                      const CameraEvaluation cams = EvaluateCameras(gt_cams, sfm);
                      const Mesh gt = ReadPlyMesh(ws.Path("scene/gt/mesh.ply"));
                      Mesh scan;
                      scan.vertices = ReadPlyPointCloud(ws.Path("scene/scan.ply")).points;
                      SurfaceEvaluationOptions surface_options;
                      surface_options.tau = o.tau;
                      const SurfaceEvaluation surface =
                          EvaluateSurface(gt, scan, nullptr, surface_options, &progress);
                      const Json result = {{"cameras", ToJson(cams)}, {"surface", ToJson(surface)}};
                      WriteJsonFile(ws.Path("evaluation.json"), result);
                      return result;
                    }});
  stages.push_back(
      {"export",
       {},
       {"scene/gt/mesh.ply"},
       {"export/model.glb"},
       [](Workspace& ws, Progress& progress) {
         progress.Begin("export", 1, "files");
         const Mesh gt = ReadPlyMesh(ws.Path("scene/gt/mesh.ply"));
         WriteGlb(ws.Path("export/model.glb"), gt);
         progress.Advance();
         return Json{{"bytes", std::filesystem::file_size(ws.Path("export/model.glb"))}};
       }});
  return stages;
}

}  // namespace

CommandSpec DemoCommand() {
  return {"demo", "Run every stage that exists so far on the built-in scene",
          [](CLI::App& sub, const GlobalOptions&) -> RunFunction {
            auto o = std::make_shared<DemoOptions>();
            sub.add_option("-w,--workspace", o->workspace, "Job workspace folder")
                ->capture_default_str();
            sub.add_option("--cameras", o->cameras, "Number of ground-truth cameras")
                ->check(CLI::Range(3, 1000))
                ->capture_default_str();
            sub.add_option("--synth-images", o->synth_images, "Photographs of the synthetic pagoda")
                ->check(CLI::Range(2, 1000))
                ->capture_default_str();
            sub.add_option("--seed", o->seed,
                           "Seed of the synthetic building and the simulated "
                           "measurements")
                ->capture_default_str();
            sub.add_option("--tau", o->tau, "F-score threshold (metres)")
                ->check(CLI::PositiveNumber)
                ->capture_default_str();
            sub.add_option("--from", o->run.from, "First stage to run");
            sub.add_option("--to", o->run.to, "Last stage to run");
            sub.add_flag("--force", o->run.force, "Rerun stages that are up to date");
            sub.add_flag("--json", o->json, "Print the evaluation as JSON on stdout");
            return [o] {
              auto stages = DemoStages(*o);
              Workspace ws = Workspace::Open(o->workspace);
              ws.job().properties["quality"] = kDemoQuality;  // for report.html
              Progress progress;
              RunStagesWithReport(ws, stages, o->run, progress);  // + report.html
              const auto* eval = ws.job().Find("evaluate");
              if (o->json) {
                std::printf("%s\n", (eval ? eval->figures : Json::object()).dump(2).c_str());
                return kExitOk;
              }
              std::printf("muta demo – workspace %s\n", ws.root().c_str());
              for (const auto& s : ws.job().stages) {
                std::printf("  %-9s %-11s", s.name.c_str(),
                            std::string(StageStatusName(s.status)).c_str());
                for (const auto& out : s.outputs) std::printf(" %s", ws.Path(out).c_str());
                std::printf("\n");
              }
              const auto* acc = ws.job().Find("accuracy");
              if (acc && acc->status == StageStatus::kDone) {
                const Json& a = acc->figures;
                const Json& c = a["cameras"];
                std::printf(
                    "synthetic pagoda reconstructed: %d/%d photographs registered, camera-centre "
                    "error median %.4f m (%.3f %% of the %.1f m scene diagonal)\n",
                    c["registered"].get<int>(), c["total"].get<int>(),
                    c["position_error_median"].get<double>(),
                    100 * c["position_error_median"].get<double>() / a["diagonal"].get<double>(),
                    a["diagonal"].get<double>());
                for (const char* what : {"fused", "mesh"}) {
                  const Json& f = a[what];
                  std::printf("  %-5s F-score %.3f at tau %.3f m (precision %.3f, recall %.3f)\n",
                              what, f["f_score"].get<double>(), f["tau"].get<double>(),
                              f["precision"].get<double>(), f["recall"].get<double>());
                }
              }
              if (eval && eval->status == StageStatus::kDone) {
                const Json& c = eval->figures["cameras"];
                const Json& f = eval->figures["surface"];
                std::printf(
                    "cameras: %d/%d registered, centre error median %.4f m (max %.4f), rotation "
                    "median %.3f deg, scale %.4f\n",
                    c["registered"].get<int>(), c["total"].get<int>(),
                    c["position_error_median"].get<double>(), c["position_error_max"].get<double>(),
                    c["rotation_error_median_deg"].get<double>(), c["scale"].get<double>());
                std::printf(
                    "surface: F-score %.3f at tau %.3f m (precision %.3f, recall %.3f), chamfer "
                    "%.4f m\n",
                    f["f_score"].get<double>(), f["tau"].get<double>(),
                    f["precision"].get<double>(), f["recall"].get<double>(),
                    f["chamfer"].get<double>());
              }
              return kExitOk;
            };
          }};
}

}  // namespace muta::cli
