#include "tools/muta/eval_texture_photos.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <vector>

#include <spdlog/spdlog.h>

#include "core/colmap_model.h"
#include "core/error.h"
#include "core/gltf_io.h"
#include "core/image_io.h"
#include "core/json.h"
#include "core/ply_io.h"
#include "core/progress.h"
#include "reconstruct/ingest.h"
#include "reconstruct/localise.h"
#include "render/gl_context.h"
#include "render/renderer.h"
#include "tools/muta/command.h"
#include "tools/muta/eval_texture_images.h"

namespace muta::cli::texture_eval {
namespace {

namespace fs = std::filesystem;

// The photographs of `dir` (by extension, sorted); anything else is skipped with a warning.
std::vector<std::string> PhotosIn(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    if (reconstruct::HasImageExtension(entry.path())) {
      names.push_back(entry.path().filename().string());
    } else {
      spdlog::warn("{}: not a photograph (by its extension), skipped", entry.path().string());
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

int RunHeldOutPhotos(const PhotosArgs& args) {
  const fs::path ws(args.workspace), photos(args.photos);
  CheckEvalWorkspace(ws, args.workspace);
  MUTA_CHECK(HasSparseModel(ws / "sparse"))
      << (ws / "sparse").string()
      << ": no model of the sfm stage to pose the photographs in; run muta reconstruct -w "
      << args.workspace << " --from sfm";
  MUTA_CHECK(fs::is_directory(photos))
      << "folder of held-out photographs not found: " << args.photos << " (--photos)";
  const std::vector<std::string> names = PhotosIn(photos);
  MUTA_CHECK(!names.empty()) << photos.string()
                             << " holds no photographs (.jpg, .png, ...); put there photographs "
                                "of the building that the reconstruction was not given";
  // A photograph the reconstruction saw would score its own input, not a new view.
  const SparseModel model = ReadSparseModel(ws / "sparse");
  for (const auto& [id, im] : model.images) {
    MUTA_CHECK(std::find(names.begin(), names.end(), im.name) == names.end())
        << (photos / im.name).string() << " is one of the photographs the reconstruction was made "
        << "from (" << (ws / "sparse").string()
        << "); held-out photographs must be ones it never saw: move them out of the input before "
           "reconstructing";
  }

  Progress progress;
  reconstruct::LocaliseOptions lo;
  lo.sift_max_image_size = SfmFeatureSize(ws);
  const reconstruct::Localisation localised =
      reconstruct::LocalisePhotos(ws / "sparse", photos, names, lo, progress);
  MUTA_CHECK(!localised.photos.empty())
      << photos.string() << ": none of the " << names.size()
      << " photographs could be registered into " << (ws / "sparse").string()
      << "; they must show the reconstructed building, overlap its photographs and come from "
         "the same camera at the same size";

  EvalModels models = ReadEvalModels(ws, args.workspace);
  GlbContent& glb = models.textured;
  Mesh& coloured = models.coloured;
  const Box3f box = BoundingBox(coloured.vertices);
  std::vector<std::pair<std::string, Rigid3d>> poses;
  double far = 0;
  for (const auto& [name, lp] : localised.photos) {
    // The undistort stage keeps the SfM's poses: its model and the meshes share one frame.
    poses.emplace_back(name, lp.cam_from_world);
    far = std::max(far, (CameraCenter(poses.back().second) - box.Center().cast<double>()).norm());
  }
  far = 2.0 * (far + box.Size().norm()) + 1.0;
  spdlog::info("textured {} faces, vertex-coloured {} faces; {} of {} photographs registered",
               glb.mesh.NumFaces(), coloured.NumFaces(), localised.photos.size(), names.size());

  auto context = render::CreateHeadlessContext();
  render::Renderer renderer;
  const std::vector<int> ids = renderer.Add(ModelObjects(std::move(models)));
  const render::RenderOptions options = UnlitOptions(far);
  auto only = [&](int k) {
    for (std::size_t i = 0; i < ids.size(); ++i) renderer.SetVisible(ids[i], int(i) == k);
  };
  if (!args.save_renders.empty()) fs::create_directories(args.save_renders);

  Json views = Json::array();
  Score total_tex, total_vc;
  std::size_t photo_pixels = 0;
  for (const auto& [name, pose] : poses) {
    const reconstruct::LocalisedPhoto& lp = localised.photos.at(name);
    Image photo = ReadImage(photos / name, 3);
    const Camera pinhole =
        Camera::Pinhole(photo.width, photo.height, lp.camera.FocalX(), lp.camera.FocalY(),
                        lp.camera.PrincipalX(), lp.camera.PrincipalY());
    std::vector<std::uint8_t> inside(std::size_t(photo.width) * photo.height, 1);
    UndistortForLocalised(lp.camera, pinhole, photo, inside);
    only(0);
    const render::RenderResult tex = renderer.Render(pinhole, pose, options);
    only(1);
    const render::RenderResult vc = renderer.Render(pinhole, pose, options);
    const std::vector<std::uint8_t> mask = DrawnByBoth(inside, tex.depth, vc.depth);
    const Score st = Compare(tex.color, photo, mask), sv = Compare(vc.color, photo, mask);
    photo_pixels += inside.size();
    const double covered = double(st.pixels) / double(inside.size());
    if (st.pixels == 0) {
      spdlog::warn("{}: the reconstruction is not in view from its localised pose; not scored",
                   name);
      continue;
    }
    total_tex.Add(st);
    total_vc.Add(sv);
    spdlog::info(
        "{}: textured PSNR {:.2f} dB SSIM {:.3f}, vertex colour PSNR {:.2f} dB SSIM {:.3f} "
        "({:.1f} % of the photograph drawn by both)",
        name, st.Psnr(), st.Ssim(), sv.Psnr(), sv.Ssim(), 100.0 * covered);
    views.push_back({{"name", name},
                     {"psnr", st.Psnr()},
                     {"ssim", st.Ssim()},
                     {"psnr_vertex_colour", sv.Psnr()},
                     {"ssim_vertex_colour", sv.Ssim()},
                     {"pixels", st.pixels},
                     {"covered_fraction", covered},
                     {"points", lp.points}});
    if (!args.save_renders.empty()) {
      const std::string stem = fs::path(name).stem().string();
      WriteImage(fs::path(args.save_renders) / (stem + ".png"),
                 Triptych({&photo, &tex.color, &vc.color}, mask));
      WriteImage(fs::path(args.save_renders) / (stem + "_error.png"),
                 ErrorMaps(photo, {&tex.color, &vc.color}, mask));
    }
  }
  MUTA_CHECK(total_tex.pixels > 0)
      << photos.string() << ": no registered photograph sees the reconstruction";

  const double covered = double(total_tex.pixels) / double(photo_pixels);
  if (args.json) {
    const Json out = {
        {"psnr", total_tex.Psnr()},
        {"ssim", total_tex.Ssim()},
        {"psnr_vertex_colour", total_vc.Psnr()},
        {"ssim_vertex_colour", total_vc.Ssim()},
        {"psnr_gain", total_tex.Psnr() - total_vc.Psnr()},
        {"pixels", total_tex.pixels},
        {"covered_fraction", covered},
        {"photos", names.size()},
        {"registered", localised.photos.size()},
        {"scored", views.size()},
        {"feature_max_image_size", localised.figures.value("feature_max_image_size", 0)},
        {"localisation_seconds", localised.figures.value("seconds", 0.0)},
        {"views", views}};
    std::printf("%s\n", out.dump(2).c_str());
    return kExitOk;
  }
  std::printf(
      "held-out photographs %zu (%zu registered, %zu scored; %zu pixels, %.1f %% of them drawn "
      "by both models)\n",
      names.size(), localised.photos.size(), views.size(), total_tex.pixels, 100.0 * covered);
  std::printf("                 textured   vertex colour\n");
  std::printf("psnr (dB)        %8.2f   %8.2f   (%+.2f dB)\n", total_tex.Psnr(), total_vc.Psnr(),
              total_tex.Psnr() - total_vc.Psnr());
  std::printf("ssim             %8.4f   %8.4f\n", total_tex.Ssim(), total_vc.Ssim());
  for (const auto& v : views) {
    std::printf("  %-20s %8.2f   %8.2f   ssim %.4f / %.4f\n", v["name"].get<std::string>().c_str(),
                v["psnr"].get<double>(), v["psnr_vertex_colour"].get<double>(),
                v["ssim"].get<double>(), v["ssim_vertex_colour"].get<double>());
  }
  return kExitOk;
}

}  // namespace muta::cli::texture_eval
