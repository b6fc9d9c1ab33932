// muta eval: accuracy of a reconstruction against ground truth.
//   muta eval cameras --gt GT_SPARSE --model SPARSE [--json]     (--gt-model is --gt)
//   muta eval mesh --gt GT.ply --mesh REC.ply --tau T [--gt-visible PTS.ply]
//                  [--model SPARSE --gt-model GT_SPARSE] [--samples N] [--json]
//   muta eval restore --gt-intact INTACT.ply --restored RESTORED.ply --damage gt/damage.json
//                  [--json]                                          (eval_restore.cpp)
//   muta eval texture -w WORKSPACE --gt SYNTH_DIR [--json]           (eval_texture.cpp)
// A ground-truth model is a COLMAP sparse model folder or a folder of Strecha .camera files
// (e.g. strecha/fountain-P11/gt_dense_cameras; see core/strecha_camera.h), told apart by the
// .camera files.
// Results go to stdout (only a JSON object with --json, keys in docs/formats.md), logs to
// stderr.
#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "core/closest_point.h"
#include "core/colmap_model.h"
#include "core/error.h"
#include "core/icp.h"
#include "core/json.h"
#include "core/metrics.h"
#include "core/ply_io.h"
#include "core/sampling.h"
#include "core/strecha_camera.h"
#include "tools/muta/command.h"
#include "tools/muta/eval_restore.h"
#include "tools/muta/eval_texture.h"

namespace muta::cli {
namespace {

namespace fs = std::filesystem;

struct CameraEvalArgs {
  std::string gt;
  std::string model;
  bool json = false;
};

struct MeshEvalArgs {
  std::string gt;
  std::string mesh;
  double tau = 0;
  std::string gt_visible;
  std::string model;
  std::string gt_model;
  std::size_t samples = SurfaceEvaluationOptions{}.max_samples;
  std::uint64_t seed = SurfaceEvaluationOptions{}.seed;
  bool crop_to_gt = false;
  bool icp = false;
  bool json = false;
};

void CheckFolder(const std::string& path, const char* what, const char* option) {
  MUTA_CHECK(fs::is_directory(path))
      << what << " folder not found: " << path << " (" << option
      << "; expected a COLMAP sparse model folder with cameras/images/points3D .bin or .txt)";
}

void CheckFile(const std::string& path, const char* what, const char* option) {
  MUTA_CHECK(fs::is_regular_file(path)) << what << " not found: " << path << " (" << option << ")";
}

void CheckGtFolder(const std::string& path, const char* option) {
  MUTA_CHECK(fs::is_directory(path))
      << "ground-truth model folder not found: " << path << " (" << option
      << "; expected a COLMAP sparse model folder with cameras/images/points3D .bin or .txt, or "
         "a folder of Strecha IMAGE.camera files)";
}

SparseModel ReadModel(const std::string& dir, const char* what) {
  SparseModel model = ReadSparseModel(dir);
  spdlog::info("{}: {} images, {} cameras, {} points ({})", what, model.images.size(),
               model.cameras.size(), model.points.size(), dir);
  return model;
}

// A folder of Strecha .camera files (and no COLMAP model)?
bool IsStrechaGt(const std::string& dir) {
  const bool colmap =
      fs::exists(fs::path(dir) / "cameras.bin") || fs::exists(fs::path(dir) / "cameras.txt");
  return !colmap && IsStrechaCameraFolder(dir);
}

// A ground truth: Strecha .camera files (metric) or a COLMAP model.
SparseModel ReadGtModel(const std::string& dir, const char* what) {
  if (!IsStrechaGt(dir)) return ReadModel(dir, what);
  SparseModel model = ReadStrechaCameras(dir);
  spdlog::info("{}: {} Strecha .camera files ({})", what, model.images.size(), dir);
  return model;
}

// A PLY as a mesh, or as a point cloud (a mesh without faces) when it has no faces.
Mesh ReadSurface(const std::string& path, const char* what) {
  const PlyHeaderInfo header = ReadPlyHeader(path);
  Mesh mesh;
  if (header.num_faces > 0) {
    mesh = ReadPlyMesh(path);
    spdlog::info("{}: mesh with {} vertices, {} faces ({})", what, mesh.NumVertices(),
                 mesh.NumFaces(), path);
  } else {
    mesh.vertices = ReadPlyPointCloud(path).points;
    spdlog::info("{}: point cloud with {} points ({})", what, mesh.NumVertices(), path);
  }
  return mesh;
}

int RunCameras(const CameraEvalArgs& args) {
  CheckGtFolder(args.gt, "--gt");
  CheckFolder(args.model, "model", "--model");
  const SparseModel gt = ReadGtModel(args.gt, "ground truth");
  const SparseModel model = ReadModel(args.model, "model");
  const CameraEvaluation e = EvaluateCameras(gt, model);
  // Strecha's ground truth is metric: its camera centres are in metres.
  const bool metric = IsStrechaGt(args.gt);
  if (args.json) {
    Json out = ToJson(e);
    out["ground_truth_format"] = metric ? "strecha" : "colmap";
    out["units"] = metric ? "metres" : "ground-truth units";
    std::printf("%s\n", out.dump(2).c_str());
    return kExitOk;
  }
  std::printf("registered      %zu / %zu images\n", e.registered, e.total);
  if (metric) {
    std::printf(
        "position error  median %.2f mm  max %.2f mm  (camera centres, metric ground "
        "truth)\n",
        e.position_error_median * 1000.0, e.position_error_max * 1000.0);
  } else {
    std::printf("position error  median %.6g  max %.6g  (ground-truth units)\n",
                e.position_error_median, e.position_error_max);
  }
  std::printf("rotation error  median %.4f  max %.4f  (degrees)\n", e.rotation_error_median_deg,
              e.rotation_error_max_deg);
  std::printf("up error        %.2f  (degrees between the model's +z and the ground truth's)\n",
              e.up_error_deg);
  std::printf("scale           %.6g  (model -> ground truth)\n", e.scale);
  if (!e.missing.empty()) {
    constexpr std::size_t kShown = 10;
    std::printf("missing        ");
    for (std::size_t i = 0; i < e.missing.size() && i < kShown; ++i) {
      std::printf(" %s", e.missing[i].c_str());
    }
    if (e.missing.size() > kShown) std::printf(" ... (%zu in all)", e.missing.size());
    std::printf("\n");
  }
  return kExitOk;
}

int RunMesh(const MeshEvalArgs& args) {
  SurfaceEvaluationOptions options;
  options.tau = args.tau;
  options.max_samples = args.samples;
  options.seed = args.seed;
  options.Check();
  CheckFile(args.gt, "ground-truth surface", "--gt");
  CheckFile(args.mesh, "reconstruction", "--mesh");
  if (!args.gt_visible.empty()) CheckFile(args.gt_visible, "visible ground truth", "--gt-visible");
  MUTA_CHECK(args.model.empty() == args.gt_model.empty())
      << "--model and --gt-model go together: give both to align the reconstruction by its "
         "cameras, or neither";
  if (!args.model.empty()) {
    CheckFolder(args.model, "model", "--model");
    CheckGtFolder(args.gt_model, "--gt-model");
  }

  const Mesh gt = ReadSurface(args.gt, "ground truth");
  Mesh reconstruction = ReadSurface(args.mesh, "reconstruction");
  std::vector<Vec3f> visible;
  if (!args.gt_visible.empty()) {
    visible = ReadPlyPointCloud(args.gt_visible).points;
    spdlog::info("visible ground truth: {} points ({})", visible.size(), args.gt_visible);
  }

  Json alignment;
  if (!args.model.empty()) {
    // Into the ground-truth frame by the similarity that aligns the cameras.
    const CameraEvaluation cameras = EvaluateCameras(
        ReadGtModel(args.gt_model, "ground-truth model"), ReadModel(args.model, "model"));
    const Sim3d& gt_from_model = cameras.gt_from_model;
    for (Vec3f& v : reconstruction.vertices) {
      v = (gt_from_model * v.cast<double>()).cast<float>();
    }
    spdlog::info(
        "reconstruction aligned by {} of {} cameras: scale {:.6g}, camera-centre error median "
        "{:.6g}",
        cameras.registered, cameras.total, cameras.scale, cameras.position_error_median);
    alignment = ToJson(cameras);
  }

  Json refinement;
  if (args.crop_to_gt) {
    const std::size_t before =
        reconstruction.faces.empty() ? reconstruction.NumVertices() : reconstruction.NumFaces();
    const std::size_t after = CropToGroundTruthBox(gt, args.tau, reconstruction);
    spdlog::info("cropped to the ground truth's box: {} of {} {} kept", after, before,
                 reconstruction.faces.empty() ? "points" : "faces");
    MUTA_CHECK(after > 0) << args.mesh
                          << ": nothing of the reconstruction lies inside the ground truth's "
                             "box; is it aligned (--model/--gt-model)?";
  }
  if (args.icp) {
    const IcpResult r = RefineOntoGroundTruth(gt, args.tau, reconstruction, args.seed);
    spdlog::info("ICP refinement: rms of close pairs {:.6g} -> {:.6g}, scale change {:.6g}",
                 r.rms_before, r.rms_after, r.transform.scale);
    refinement = {{"rms_before", r.rms_before},
                  {"rms_after", r.rms_after},
                  {"scale_change", r.transform.scale},
                  {"iterations", r.iterations}};
  }

  const SurfaceEvaluation e =
      EvaluateSurface(gt, reconstruction, visible.empty() ? nullptr : &visible, options);
  if (args.json) {
    Json out = ToJson(e);
    if (!alignment.is_null()) out["alignment"] = alignment;
    if (!refinement.is_null()) out["icp"] = refinement;
    out["cropped_to_gt"] = args.crop_to_gt;
    std::printf("%s\n", out.dump(2).c_str());
    return kExitOk;
  }
  std::printf("tau                %.6g\n", e.tau);
  std::printf("precision          %.4f  (%zu reconstruction samples)\n", e.precision,
              e.num_reconstruction_samples);
  std::printf("recall             %.4f  (%zu ground-truth samples)\n", e.recall, e.num_gt_samples);
  std::printf("f_score            %.4f\n", e.f_score);
  std::printf("accuracy_mean      %.6g\n", e.accuracy_mean);
  std::printf("completeness_mean  %.6g\n", e.completeness_mean);
  std::printf("chamfer            %.6g\n", e.chamfer);
  return kExitOk;
}

}  // namespace

CommandSpec EvalCommand() {
  return {
      "eval", "Accuracy of cameras or a surface against ground truth",
      [](CLI::App& sub, const GlobalOptions&) -> RunFunction {
        sub.require_subcommand(1);

        auto cam = std::make_shared<CameraEvalArgs>();
        CLI::App* cameras = sub.add_subcommand(
            "cameras",
            "Camera poses of a COLMAP model against ground truth: images matched by name, a "
            "robust similarity on the camera centres, then centre and rotation errors");
        cameras
            ->add_option("--gt,--gt-model", cam->gt,
                         "Ground truth: a COLMAP sparse model folder, or a folder of Strecha "
                         ".camera files (e.g. strecha/fountain-P11/gt_dense_cameras)")
            ->required();
        cameras->add_option("--model", cam->model, "Sparse model folder to evaluate")->required();
        cameras->add_flag("--json", cam->json, "Print only a JSON object on stdout");

        auto m = std::make_shared<MeshEvalArgs>();
        CLI::App* mesh = sub.add_subcommand(
            "mesh",
            "A mesh or point cloud against a ground-truth surface: precision, recall and F-score "
            "at tau (Tanks and Temples / ETH3D), mean distances and Chamfer distance");
        mesh->add_option("--gt", m->gt, "Ground-truth surface (PLY mesh, or point cloud)")
            ->required();
        mesh->add_option("--mesh", m->mesh, "Reconstruction (PLY mesh, or point cloud)")
            ->required();
        mesh->add_option("--tau", m->tau, "Distance threshold, in ground-truth units (metres)")
            ->required()
            ->check(CLI::PositiveNumber);
        mesh->add_option("--gt-visible", m->gt_visible,
                         "Ground-truth points the cameras could see (PLY); default: samples on "
                         "the whole ground truth");
        CLI::Option* model = mesh->add_option(
            "--model", m->model,
            "Sparse model of the reconstruction: move it into the ground-truth frame by the "
            "camera-centre similarity (needs --gt-model)");
        CLI::Option* gt_model =
            mesh->add_option("--gt-model", m->gt_model,
                             "Ground-truth cameras (with --model): a COLMAP sparse model "
                             "folder or a folder of Strecha .camera files");
        model->needs(gt_model);
        gt_model->needs(model);
        mesh->add_option("--samples", m->samples, "Most samples drawn on a mesh surface")
            ->check(CLI::Range(std::size_t{1}, std::size_t{1'000'000'000}))
            ->capture_default_str();
        mesh->add_option("--seed", m->seed, "Seed of the surface sampling")->capture_default_str();
        mesh->add_flag("--crop-to-gt", m->crop_to_gt,
                       "Score only the reconstruction inside the ground truth's bounding box "
                       "(grown by 2 tau, floor raised by tau): leaves out the ground around "
                       "the building");
        mesh->add_flag("--icp", m->icp,
                       "Refine the alignment by ICP against the ground truth (after --model "
                       "alignment), so that camera error does not count as surface error");
        mesh->add_flag("--json", m->json, "Print only a JSON object on stdout");

        auto run_restore = std::make_shared<std::function<int()>>();
        CLI::App* restore = AddEvalRestore(sub, *run_restore);

        auto run_texture = std::make_shared<std::function<int()>>();
        CLI::App* texture = AddEvalTexture(sub, *run_texture);

        return [cameras, cam, m, restore, run_restore, texture, run_texture] {
          if (restore->parsed()) return (*run_restore)();
          if (texture->parsed()) return (*run_texture)();
          return cameras->parsed() ? RunCameras(*cam) : RunMesh(*m);
        };
      }};
}

}  // namespace muta::cli
