#include "reconstruct/pipeline.h"

#include <spdlog/spdlog.h>

#include "core/error.h"
#include "core/json.h"
#include "core/progress.h"
#include "reconstruct/fusion.h"
#include "reconstruct/ingest.h"
#include "reconstruct/mesh_delaunay.h"
#include "reconstruct/mesh_poisson.h"
#include "reconstruct/mvs/patch_match.h"
#include "reconstruct/mvs/patch_match_options.h"
#include "reconstruct/orient.h"
#include "reconstruct/sfm.h"
#include "reconstruct/texture/photo_refine.h"
#include "reconstruct/texture/texture.h"
#include "reconstruct/undistort.h"

namespace fs = std::filesystem;

namespace muta::reconstruct {
namespace {

Json PathJson(const std::optional<fs::path>& p) {
  return p ? Json(fs::absolute(*p).string()) : Json(nullptr);
}

Json IntJson(const std::optional<int>& v) {
  return v ? Json(*v) : Json(nullptr);
}

// The images folder: given, or recorded by an earlier ingest.
fs::path ResolveImages(const ReconstructOptions& o, const fs::path& root) {
  if (o.images) return fs::absolute(*o.images);
  const fs::path manifest = root / "images.json";
  MUTA_CHECK(fs::exists(manifest))
      << root.string()
      << " has no ingested photographs yet; give the folder of photographs: muta reconstruct "
         "PHOTOS -w "
      << root.string();
  const Json j = ReadJsonFile(manifest);
  MUTA_CHECK(j.contains("source") && j["source"].is_string())
      << manifest.string() << ": no 'source' folder recorded; give the folder of photographs";
  return fs::path(j["source"].get<std::string>());
}

}  // namespace

void ReconstructOptions::Check() const {
  MUTA_CHECK(quality == "preview" || quality == "standard" || quality == "high")
      << "unknown --quality '" << quality << "'; use preview, standard or high";
  MUTA_CHECK(!max_size || *max_size >= 64) << "--max-size must be at least 64 pixels";
  MUTA_CHECK(!dense_max_size || *dense_max_size >= 64)
      << "--dense-max-size must be at least 64 pixels";
  MUTA_CHECK(!texture_max_size || *texture_max_size == 0 || *texture_max_size >= 64)
      << "--texture-max-size must be 0 (texture from the dense images) or at least 64 pixels";
  MUTA_CHECK(!poisson_depth || (*poisson_depth >= 5 && *poisson_depth <= 13))
      << "--poisson-depth must be 5 to 13";
  MUTA_CHECK(mesher == "poisson" || mesher == "delaunay")
      << "--mesher must be poisson or delaunay, not \"" << mesher << "\"";
  MUTA_CHECK(refine_rounds >= 0 && refine_rounds <= 8) << "--refine-rounds must be 0 to 8";
  MUTA_CHECK(!texel_size_mm || *texel_size_mm > 0) << "--texel-size must be positive (mm)";
  ParseMatcherKind(matcher);
  if (intrinsics) {
    MUTA_CHECK(fs::exists(*intrinsics)) << intrinsics->string() << ": no such calibration file";
  }
  if (control) MUTA_CHECK(fs::exists(*control)) << control->string() << ": no such control file";
  if (scale_bar) {
    MUTA_CHECK(fs::exists(*scale_bar)) << scale_bar->string() << ": no such scale bar file";
  }
}

const std::vector<std::string>& ReconstructionStageNames() {
  static const std::vector<std::string> names = {"ingest", "sfm",    "orient", "undistort",
                                                 "mvs",    "fusion", "mesh",   "texture"};
  return names;
}

std::vector<StageDef> ReconstructionStages(const ReconstructOptions& o, const fs::path& root) {
  o.Check();
  std::vector<StageDef> stages;
  const fs::path images = ResolveImages(o, root);

  IngestOptions ingest;
  ingest.recursive = o.recursive;
  ingest.strict = o.strict;
  ingest.max_size = o.max_size;
  stages.push_back({"ingest",
                    {{"images", images.string()},
                     {"recursive", o.recursive},
                     {"strict", o.strict},
                     {"max_size", IntJson(o.max_size)}},
                    {images.string()},
                    {"images", "images.json"},
                    [images, ingest](Workspace& ws, Progress& progress) {
                      return IngestImages(images, ws.Path("images"), ws.Path("images.json"), ingest,
                                          progress)
                          .figures;
                    }});

  SfmOptions sfm = SfmPreset(o.quality);
  sfm.colmap = o.colmap;
  sfm.matcher = ParseMatcherKind(o.matcher);
  if (o.intrinsics) sfm.intrinsics = ReadIntrinsicsFile(*o.intrinsics);
  std::vector<std::string> sfm_inputs = {"images.json"};
  if (o.intrinsics) sfm_inputs.push_back(fs::absolute(*o.intrinsics).string());
  stages.push_back(
      {"sfm",
       {{"quality", o.quality}, {"matcher", o.matcher}, {"intrinsics", PathJson(o.intrinsics)}},
       sfm_inputs,
       {"sparse/sfm/cameras.bin", "sparse/sfm/images.bin", "sparse/sfm/points3D.bin",
        "sparse/database.db"},
       [sfm](Workspace& ws, Progress& progress) {
         const auto list = ReadIngestManifest(ws.Path("images.json"));
         return RunSfm(ws.Path("images"), list, ws.Path("sparse"), sfm, progress);
       }});

  OrientOptions orient;
  orient.control = o.control;
  orient.scale_bar = o.scale_bar;
  orient.use_gps = o.use_gps;
  std::vector<std::string> orient_inputs = {"images.json", "sparse/sfm"};
  if (o.control) orient_inputs.push_back(fs::absolute(*o.control).string());
  if (o.scale_bar) orient_inputs.push_back(fs::absolute(*o.scale_bar).string());
  stages.push_back({"orient",
                    {{"control", PathJson(o.control)},
                     {"scale_bar", PathJson(o.scale_bar)},
                     {"use_gps", o.use_gps}},
                    orient_inputs,
                    {"sparse/cameras.bin", "sparse/images.bin", "sparse/points3D.bin"},
                    [orient](Workspace& ws, Progress& progress) {
                      const auto list = ReadIngestManifest(ws.Path("images.json"));
                      const OrientResult r = RunOrient(ws.Path("sparse"), list, orient, progress);
                      ws.job().properties["unscaled"] = !r.metric;
                      ws.job().properties["scale_source"] = r.scale_source;
                      return r.figures;
                    }});

  UndistortOptions undistort = UndistortPreset(o.quality);
  undistort.colmap = o.colmap;
  if (o.dense_max_size) undistort.max_image_size = o.dense_max_size;
  undistort.texture_max_size = o.texture_max_size;
  Json undistort_options = {{"quality", o.quality}, {"dense_max_size", IntJson(o.dense_max_size)}};
  // (Recorded only when given, so that workspaces made before the option stay up to date.)
  if (o.texture_max_size) undistort_options["texture_max_size"] = *o.texture_max_size;
  stages.push_back(
      {"undistort",
       undistort_options,
       {"sparse/cameras.bin", "sparse/images.bin", "sparse/points3D.bin", "images.json"},
       {"dense/images", "dense/sparse"},
       [undistort](Workspace& ws, Progress& progress) {
         return RunUndistort(ws.Path("images"), ws.Path("sparse"), ws.Path("dense"), undistort,
                             progress);
       }});

  const PatchMatchOptions mvs = PatchMatchPreset(o.quality);
  stages.push_back({"mvs",
                    {{"quality", o.quality}},
                    {"dense/sparse", "dense/images"},
                    {"dense/stereo/depth_maps", "dense/stereo/normal_maps"},
                    [mvs](Workspace& ws, Progress& progress) {
                      return RunPatchMatchStereo(ws.Path("dense"), mvs, progress);
                    }});

  const FusionOptions fusion = FusionPreset(o.quality);
  stages.push_back(
      {"fusion",
       {{"quality", o.quality}, {"input_type", fusion.input_type}, {"min_views", fusion.min_views}},
       {"dense/sparse", "dense/stereo/depth_maps", "dense/stereo/normal_maps"},
       {"dense/fused.ply", "dense/fused.ply.vis"},
       [fusion](Workspace& ws, Progress& progress) {
         return FuseDepthMaps(ws.Path("dense"), fusion, progress);
       }});

  MeshingOptions meshing = MeshingPreset(o.quality);
  if (o.poisson_depth) meshing.depth = *o.poisson_depth;
  meshing.method = o.mesher;
  // "method" names what the stage does, so workspaces meshed by an older method mesh again.
  // The photometric refinement (opt-in) reads the undistorted images too; without it the
  // stage's record is what it was before the option existed.
  PhotoRefineOptions refine;
  refine.rounds = o.refine_rounds;
  Json mesh_options = {
      {"quality", o.quality},
      {"poisson_depth", IntJson(o.poisson_depth)},
      {"method", o.mesher == "delaunay"
                     ? "delaunay graph cut, region of interest, long facets trimmed"
                     : "poisson, region of interest, depth from spacing, distance trim"}};
  if (refine.rounds > 0) mesh_options["refine_rounds"] = refine.rounds;
  stages.push_back({"mesh",
                    mesh_options,
                    [&] {
                      std::vector<std::string> in = {"dense/fused.ply", "dense/sparse"};
                      if (o.mesher == "delaunay") in.push_back("dense/fused.ply.vis");
                      if (refine.rounds > 0) in.push_back("dense/images");
                      return in;
                    }(),
                    {"dense/mesh.ply"},
                    [meshing, refine](Workspace& ws, Progress& progress) {
                      Json figures =
                          meshing.method == "delaunay"
                              ? MeshFromPointsDelaunay(ws.Path("dense/fused.ply"),
                                                       ws.Path("dense/mesh.ply"), meshing, progress)
                              : MeshFromPoints(ws.Path("dense/fused.ply"),
                                               ws.Path("dense/mesh.ply"), meshing, progress);
                      if (refine.rounds > 0) {
                        figures["refine"] =
                            RefineMeshPhotometric(ws.Path("dense"), refine, progress);
                      }
                      return figures;
                    }});

  TextureOptions texture;
  texture.texel_size_mm = o.texel_size_mm;
  texture.exclude_outlier_views = o.exclude_outlier_views;
  stages.push_back(TextureStage(texture));
  return stages;
}

}  // namespace muta::reconstruct
