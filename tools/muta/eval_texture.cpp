// muta eval texture -w WORKSPACE --gt SYNTH_DIR [--ceiling] [--localise] [--json]
//                   [--save-renders DIR]
// (with --photos DIR instead of --gt: real photographs kept out of the reconstruction,
// eval_texture_photos.h)
// How close the textured reconstruction comes to photographs it never saw:
//   1. the workspace's model is moved into the ground-truth frame by the similarity that
//      aligns its cameras (dense/sparse) onto the ground truth's (SYNTH/gt/sparse) – the
//      alignment of `muta eval cameras`;
//   2. every held-out view (SYNTH/holdout/sparse, written by `muta synth --holdout N`) is
//      rendered headless (EGL) with the textured mesh (dense/textured.glb) and with the
//      vertex-coloured mesh (dense/mesh.ply), in the renderer's exact-colour mode (no lighting,
//      no highlight shoulder; RenderOptions::exact_colors): the photographs' light is in the
//      colours;
//   3. each rendering is compared with the held-out photograph on the building's pixels only –
//      the pixels where the ground-truth mesh (SYNTH/gt/mesh.ply) rendered in that view is
//      drawn: PSNR (RGB, 8-bit) and SSIM (luma, 11x11 Gaussian window, sigma 1.5).
// Totals: PSNR of the mean squared error over all building pixels of all views; SSIM the mean
// over the same pixels; the same per group of views ("ring": holdout_NNN at the photographs'
// distance, "close": the close-ups holdout_close_NNN of synth --holdout-close). Pixels the
// reconstruction does not cover count as they render (the background colour): a hole is an error
// for both methods alike; `surface` scores the covered building pixels alone. Aligned scores: the
// held-out views' poses come from the ground truth through that one similarity, so each is off by
// the reconstruction's own error for a view it never saw (tenths of a degree: several pixels at 2
// MP) – and a sharp texture loses far more to a few pixels' misregistration than blurry vertex
// colours do. So each rendering is also scored after the homography that best maps it onto the
// photograph over the building's pixels (core/image_align.h, Lucas–Kanade; each rendering its own,
// as each model would be best registered): `aligned`.
// --localise also poses the held-out photographs by the reconstruction's own SfM
// (reconstruct/localise.h: registered into the workspace's model, which stays as it is) and scores
// both models rendered from those poses (`localised`), as novel-view-synthesis benchmarks do.
// --ceiling also textures the ground-truth mesh (its long edges split, refine.h) from the
// ground-truth cameras and the same photographs and scores it the same way: what the texturing
// pipeline reaches without geometry or camera error.
#include "tools/muta/eval_texture.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "core/colmap_model.h"
#include "core/error.h"
#include "core/gltf_io.h"
#include "core/icp.h"
#include "core/image_align.h"
#include "core/image_io.h"
#include "core/json.h"
#include "core/metrics.h"
#include "core/ply_io.h"
#include "core/progress.h"
#include "core/workspace.h"
#include "reconstruct/localise.h"
#include "reconstruct/sfm.h"
#include "reconstruct/texture/refine.h"
#include "reconstruct/texture/texture.h"
#include "render/gl_context.h"
#include "render/renderer.h"
#include "tools/muta/command.h"
#include "tools/muta/eval_texture_images.h"
#include "tools/muta/eval_texture_photos.h"

namespace muta::cli {
namespace {

using texture_eval::BestShift;
using texture_eval::CheckEvalWorkspace;
using texture_eval::Compare;
using texture_eval::DrawnByBoth;
using texture_eval::ErrorMaps;
using texture_eval::EvalModels;
using texture_eval::HasSparseModel;
using texture_eval::InteriorMask;
using texture_eval::kEdgeRadius;
using texture_eval::ModelObjects;
using texture_eval::ReadEvalModels;
using texture_eval::Score;
using texture_eval::SfmFeatureSize;
using texture_eval::Shift;
using texture_eval::Triptych;
using texture_eval::UndistortForLocalised;
using texture_eval::UnlitOptions;

namespace fs = std::filesystem;

struct Args {
  std::string workspace, gt, photos, save_renders;
  bool json = false;
  bool ceiling = false;
  bool icp = false;
  bool localise = false;
};

// Held-out views of one kind ("ring": at the photographs' distance, "close": the close-ups of
// synth --holdout-close, named holdout_close_NNN).
struct ViewGroup {
  Score tex, vc, ceiling, tex_aligned, vc_aligned, tex_localised, vc_localised;
  std::size_t views = 0, localised = 0;
};
std::string GroupOf(const std::string& name) {
  return name.rfind("holdout_close_", 0) == 0 ? "close" : "ring";
}

Mesh Aligned(Mesh mesh, const Sim3d& gt_from_model) {
  for (Vec3f& v : mesh.vertices) v = (gt_from_model * v.cast<double>()).cast<float>();
  for (Vec3f& n : mesh.normals) n = (gt_from_model.rotation * n.cast<double>()).cast<float>();
  return mesh;
}

// The ground-truth mesh textured from the ground-truth cameras and the photographs the
// reconstruction saw (SYNTH/images, SYNTH/gt/sparse), with the texture stage's defaults.
reconstruct::TexturedMesh TextureGroundTruth(const fs::path& synth, const Mesh& gt_mesh) {
  const SparseModel model = ReadSparseModel(synth / "gt" / "sparse");
  std::vector<reconstruct::TextureView> views;
  for (const auto& [id, im] : model.images) {
    reconstruct::TextureView v;
    v.name = im.name;
    v.camera = model.cameras.at(im.camera_id);
    MUTA_CHECK(v.camera.Supported() && !v.camera.HasDistortion())
        << (synth / "gt" / "sparse").string() << ": camera " << v.camera.id
        << " has lens distortion; --ceiling needs a dataset of PINHOLE photographs (muta synth "
           "without --radial)";
    v.cam_from_world = im.cam_from_world;
    v.image = ReadImage(synth / "images" / im.name, 3);
    MUTA_CHECK(v.image.width == v.camera.width && v.image.height == v.camera.height)
        << (synth / "images" / im.name).string() << " is " << v.image.width << "x" << v.image.height
        << " but gt/sparse says " << v.camera.width << "x" << v.camera.height;
    views.push_back(std::move(v));
  }
  // Edges of at most 1 % of the diagonal: the affine map of a chart stays within a fraction of
  // a pixel of the photograph's projective one.
  const Box3f box = BoundingBox(gt_mesh.vertices);
  const Mesh refined = reconstruct::tex::RefineLongEdges(gt_mesh, 0.01 * box.Size().norm());
  Progress progress;
  reconstruct::TexturedMesh textured =
      reconstruct::TextureMesh(refined, views, reconstruct::TextureOptions{}, progress);
  spdlog::info("ceiling: ground-truth mesh refined to {} faces, {} textured, texel {:.1f} mm",
               refined.NumFaces(), textured.figures["textured_faces"].get<std::size_t>(),
               textured.figures["texel_size_mm"].get<double>());
  return textured;
}

Json LocalisedJson(const reconstruct::Localisation& loc, const Score& tex, const Score& vc,
                   const std::vector<double>& rotation_deg, const std::vector<double>& centre) {
  return {{"views", rotation_deg.size()},
          {"registered", loc.photos.size()},
          {"psnr", tex.Psnr()},
          {"ssim", tex.Ssim()},
          {"psnr_vertex_colour", vc.Psnr()},
          {"ssim_vertex_colour", vc.Ssim()},
          {"psnr_gain", tex.Psnr() - vc.Psnr()},
          {"building_pixels", tex.pixels},
          {"rotation_from_gt_deg_median", Median(rotation_deg)},
          {"centre_from_gt_median", Median(centre)},
          {"feature_max_image_size", loc.figures.value("feature_max_image_size", 0)},
          {"seconds", loc.figures.value("seconds", 0.0)}};
}

Json SurfaceJson(const Score& tex, const Score& vc) {
  return {{"pixels", tex.pixels},
          {"psnr", tex.Psnr()},
          {"ssim", tex.Ssim()},
          {"psnr_vertex_colour", vc.Psnr()},
          {"ssim_vertex_colour", vc.Ssim()},
          {"psnr_gain", tex.Psnr() - vc.Psnr()}};
}

// A localised pose farther than this from the ground truth's is a false registration.
constexpr double kMaxLocalisedRotationDeg = 2.0;

int Run(const Args& args) {
  MUTA_CHECK(args.gt.empty() != args.photos.empty())
      << "muta eval texture needs either --gt SYNTH_DIR (a synthetic scene made with muta synth "
         "--holdout N) or --photos DIR (photographs of the building the reconstruction never "
         "saw), not "
      << (args.gt.empty() ? "neither" : "both");
  if (!args.photos.empty()) {
    MUTA_CHECK(!args.ceiling && !args.icp && !args.localise)
        << "--ceiling, --icp and --localise need the ground truth of --gt; with --photos the "
           "photographs are always posed by the reconstruction's SfM";
    texture_eval::PhotosArgs p;
    p.workspace = args.workspace;
    p.photos = args.photos;
    p.save_renders = args.save_renders;
    p.json = args.json;
    return texture_eval::RunHeldOutPhotos(p);
  }
  const fs::path ws(args.workspace), dense = fs::path(args.workspace) / "dense";
  const fs::path synth(args.gt);
  CheckEvalWorkspace(ws, args.workspace);
  MUTA_CHECK(fs::is_directory(synth)) << "synthetic dataset not found: " << args.gt << " (--gt)";
  MUTA_CHECK(HasSparseModel(synth / "holdout" / "sparse") &&
             fs::is_directory(synth / "holdout" / "images"))
      << args.gt
      << " has no held-out views (holdout/images/ and holdout/sparse/); make the "
         "dataset with them: muta synth ... --holdout N -o "
      << args.gt;
  MUTA_CHECK(HasSparseModel(synth / "gt" / "sparse") &&
             fs::is_regular_file(synth / "gt" / "mesh.ply"))
      << args.gt << " is not a muta synth dataset (gt/sparse/ and gt/mesh.ply missing)";

  // 1. Alignment by the cameras.
  const SparseModel gt_cameras = ReadSparseModel(synth / "gt" / "sparse");
  const SparseModel model = ReadSparseModel(dense / "sparse");
  const CameraEvaluation cameras = EvaluateCameras(gt_cameras, model);
  MUTA_CHECK(cameras.registered >= 3)
      << (dense / "sparse").string() << ": only " << cameras.registered << " of the "
      << cameras.total
      << " ground-truth images are in the reconstruction; at least 3 are needed to align it "
         "(is the workspace a reconstruction of "
      << (synth / "images").string() << "?)";
  spdlog::info(
      "reconstruction aligned by {} of {} cameras: scale {:.6g}, camera-centre error median "
      "{:.4g} m",
      cameras.registered, cameras.total, cameras.scale, cameras.position_error_median);

  const SparseModel holdout = ReadSparseModel(synth / "holdout" / "sparse");
  MUTA_CHECK(!holdout.images.empty())
      << (synth / "holdout" / "sparse").string() << " lists no held-out views";
  std::vector<std::string> missing;
  for (const auto& [id, im] : holdout.images) {
    if (!fs::is_regular_file(synth / "holdout" / "images" / im.name)) missing.push_back(im.name);
  }
  MUTA_CHECK(missing.empty()) << (synth / "holdout" / "images").string() << ": " << missing.size()
                              << " held-out photographs missing, e.g. " << missing.front()
                              << "; make the dataset again with --holdout";
  // Optionally the held-out photographs posed by the reconstruction's own SfM.
  std::optional<reconstruct::Localisation> localised;
  if (args.localise) {
    std::vector<std::string> names;
    for (const auto& [id, im] : holdout.images) names.push_back(im.name);
    Progress progress;
    reconstruct::LocaliseOptions lo;
    lo.sift_max_image_size = SfmFeatureSize(ws);
    localised = reconstruct::LocalisePhotos(ws / "sparse", synth / "holdout" / "images", names, lo,
                                            progress);
  }

  // 2. The three meshes in the ground-truth frame.
  EvalModels models = ReadEvalModels(ws, args.workspace);
  GlbContent& glb = models.textured;
  Mesh& coloured = models.coloured;
  const Mesh gt_mesh = ReadPlyMesh(synth / "gt" / "mesh.ply");
  spdlog::info(
      "textured {} faces, vertex-coloured {} faces, ground truth {} faces, {} held-out "
      "views",
      glb.mesh.NumFaces(), coloured.NumFaces(), gt_mesh.NumFaces(), holdout.images.size());

  const Box3f box = BoundingBox(gt_mesh.vertices);
  double far = 0;
  for (const auto& [id, im] : holdout.images) {
    far = std::max(far, (CameraCenter(im.cam_from_world) - box.Center().cast<double>()).norm());
  }
  far = 2.0 * (far + box.Size().norm()) + 1.0;

  auto context = render::CreateHeadlessContext();
  render::Renderer renderer;
  glb.mesh = Aligned(std::move(glb.mesh), cameras.gt_from_model);
  coloured = Aligned(std::move(coloured), cameras.gt_from_model);
  std::vector<render::SceneObject> objects = ModelObjects(std::move(models));
  objects.resize(args.ceiling ? 4 : 3);
  objects[2].mesh = gt_mesh;
  if (args.ceiling) {
    reconstruct::TexturedMesh ceiling = TextureGroundTruth(synth, gt_mesh);
    objects[3].mesh = std::move(ceiling.mesh);
    objects[3].texture = std::move(ceiling.atlas);
    objects[3].repeat_texture = false;
  }
  // ICP onto the ground-truth surface (cropped to its box: the ground is not in it) removes the
  // last centimetres of camera-alignment error, the same transform for both models.
  Json icp_json;
  std::optional<Sim3d> icp_transform;  // applied after the camera alignment
  if (args.icp) {
    const double tau = 0.005 * double(box.Size().norm());
    Mesh probe = objects[1].mesh;
    MUTA_CHECK(CropToGroundTruthBox(gt_mesh, tau, probe) > 0)
        << (dense / "mesh.ply").string()
        << ": nothing of the reconstruction lies inside the ground truth's box after the camera "
           "alignment; is the workspace a reconstruction of "
        << (synth / "images").string() << "? (without --icp this step is skipped)";
    const IcpResult r = RefineOntoGroundTruth(gt_mesh, tau, probe);
    for (int k = 0; k < 2; ++k)
      objects[std::size_t(k)].mesh = Aligned(std::move(objects[std::size_t(k)].mesh), r.transform);
    icp_transform = r.transform;
    spdlog::info("ICP onto the ground truth: rms of close pairs {:.4g} -> {:.4g} m", r.rms_before,
                 r.rms_after);
    icp_json = {{"rms_before", r.rms_before},
                {"rms_after", r.rms_after},
                {"scale_change", r.transform.scale},
                {"iterations", r.iterations}};
  }
  const std::vector<int> ids = renderer.Add(std::move(objects));
  const render::RenderOptions options = UnlitOptions(far);
  auto only = [&](int k) {
    for (std::size_t i = 0; i < ids.size(); ++i) renderer.SetVisible(ids[i], int(i) == k);
  };
  if (!args.save_renders.empty()) fs::create_directories(args.save_renders);

  // 3. Render and compare.
  Json views = Json::array();
  Score total_tex, total_vc, total_ceiling, inner_tex, inner_vc, inner_ceiling, aligned_tex,
      aligned_vc, localised_tex, localised_vc, surface_tex, surface_vc, lsurface_tex, lsurface_vc;
  std::vector<double> localised_rotation_deg, localised_centre;
  std::size_t covered_total = 0;
  std::map<std::string, ViewGroup> groups;
  for (const auto& [id, im] : holdout.images) {
    const Camera& camera = holdout.cameras.at(im.camera_id);
    const Image photo = ReadImage(synth / "holdout" / "images" / im.name);
    MUTA_CHECK(photo.width == camera.width && photo.height == camera.height)
        << (synth / "holdout" / "images" / im.name).string() << " is " << photo.width << "x"
        << photo.height << " but holdout/sparse says " << camera.width << "x" << camera.height;
    only(2);
    const render::RenderResult gt = renderer.Render(camera, im.cam_from_world, options);
    only(0);
    const render::RenderResult tex = renderer.Render(camera, im.cam_from_world, options);
    only(1);
    const render::RenderResult vc = renderer.Render(camera, im.cam_from_world, options);
    render::RenderResult ceiling;
    if (args.ceiling) {
      only(3);
      ceiling = renderer.Render(camera, im.cam_from_world, options);
    }
    std::vector<std::uint8_t> mask(std::size_t(camera.width) * camera.height);
    std::size_t covered = 0;
    for (std::size_t i = 0; i < mask.size(); ++i) {
      mask[i] = gt.depth.data[i] > 0;
      covered += mask[i] && tex.depth.data[i] > 0;
    }
    const Score st = Compare(tex.color, photo, mask), sv = Compare(vc.color, photo, mask);
    MUTA_CHECK(st.pixels > 0) << im.name << ": the ground-truth mesh is not in view";
    total_tex.Add(st);
    total_vc.Add(sv);
    {
      const std::vector<std::uint8_t> surface = DrawnByBoth(mask, tex.depth, vc.depth);
      surface_tex.Add(Compare(tex.color, photo, surface));
      surface_vc.Add(Compare(vc.color, photo, surface));
    }
    covered_total += covered;
    Score sc;
    if (args.ceiling) {
      sc = Compare(ceiling.color, photo, mask);
      total_ceiling.Add(sc);
    }
    // Each rendering registered onto the photograph (a homography), then scored the same way.
    auto aligned = [&](const render::RenderResult& r, double& moved_px) {
      std::vector<std::uint8_t> drawn(mask.size());
      for (std::size_t i = 0; i < drawn.size(); ++i) drawn[i] = r.depth.data[i] > 0;
      const HomographyFit fit = FitHomography(photo, mask, r.color, drawn);
      const Eigen::Vector3d c = fit.h * Eigen::Vector3d(0.5 * camera.width, 0.5 * camera.height, 1);
      moved_px =
          (c.head<2>() / c.z() - Eigen::Vector2d(0.5 * camera.width, 0.5 * camera.height)).norm();
      return Compare(WarpHomography(r.color, drawn, fit.h, 0), photo, mask);
    };
    double moved_tex = 0, moved_vc = 0;
    const Score sta = aligned(tex, moved_tex), sva = aligned(vc, moved_vc);
    aligned_tex.Add(sta);
    aligned_vc.Add(sva);
    ViewGroup& group = groups[GroupOf(im.name)];
    group.tex.Add(st), group.vc.Add(sv), group.ceiling.Add(sc), ++group.views;
    group.tex_aligned.Add(sta), group.vc_aligned.Add(sva);
    // The view posed by the reconstruction's SfM (--localise): its camera without distortion,
    // the photograph and mask undistorted to it, both models rendered from that pose.
    Json localised_json;
    if (localised) {
      const auto found = localised->photos.find(im.name);
      const reconstruct::LocalisedPhoto* lp =
          found == localised->photos.end() ? nullptr : &found->second;
      Rigid3d pose;
      double rotation_deg = 0, centre = 0;
      if (lp) {
        pose = TransformPose(cameras.gt_from_model, lp->cam_from_world);
        if (icp_transform) pose = TransformPose(*icp_transform, pose);
        rotation_deg = pose.rotation.angularDistance(im.cam_from_world.rotation) * 180.0 / M_PI;
        centre = (CameraCenter(pose) - CameraCenter(im.cam_from_world)).norm();
      }
      // A registration far off the ground-truth pose is a false one (a few dozen matches on a
      // repeated pattern): not scored. The camera alignment's own error is tenths of a degree.
      const double max_centre =
          std::max(10.0 * cameras.position_error_median, 0.01 * double(box.Size().norm()));
      if (!lp) {
        localised_json = {{"localised", false}};
      } else if (rotation_deg > kMaxLocalisedRotationDeg || centre > max_centre) {
        spdlog::warn(
            "{}: the localised pose is {:.2f} deg and {:.3g} from the ground truth's (at most "
            "{} deg and {:.3g}): a false registration, not scored",
            im.name, rotation_deg, centre, kMaxLocalisedRotationDeg, max_centre);
        localised_json = {{"localised", false},
                          {"rejected", "far from the ground-truth pose"},
                          {"rotation_from_gt_deg", rotation_deg},
                          {"centre_from_gt", centre}};
      } else {
        const Camera pinhole =
            Camera::Pinhole(camera.width, camera.height, lp->camera.FocalX(), lp->camera.FocalY(),
                            lp->camera.PrincipalX(), lp->camera.PrincipalY());
        Image lphoto = photo;
        std::vector<std::uint8_t> lmask = mask;
        UndistortForLocalised(lp->camera, pinhole, lphoto, lmask);
        only(0);
        const render::RenderResult ltex = renderer.Render(pinhole, pose, options);
        only(1);
        const render::RenderResult lvc = renderer.Render(pinhole, pose, options);
        const Score slt = Compare(ltex.color, lphoto, lmask),
                    slv = Compare(lvc.color, lphoto, lmask);
        localised_tex.Add(slt), localised_vc.Add(slv);
        const std::vector<std::uint8_t> lsurface = DrawnByBoth(lmask, ltex.depth, lvc.depth);
        lsurface_tex.Add(Compare(ltex.color, lphoto, lsurface));
        lsurface_vc.Add(Compare(lvc.color, lphoto, lsurface));
        group.tex_localised.Add(slt), group.vc_localised.Add(slv), ++group.localised;
        localised_rotation_deg.push_back(rotation_deg);
        localised_centre.push_back(centre);
        localised_json = {{"localised", true},
                          {"psnr", slt.Psnr()},
                          {"ssim", slt.Ssim()},
                          {"psnr_vertex_colour", slv.Psnr()},
                          {"ssim_vertex_colour", slv.Ssim()},
                          {"points", lp->points},
                          {"rotation_from_gt_deg", rotation_deg},
                          {"centre_from_gt", centre}};
        if (!args.save_renders.empty()) {
          WriteImage(
              fs::path(args.save_renders) / (fs::path(im.name).stem().string() + "_localised.png"),
              Triptych({&lphoto, &ltex.color, &lvc.color}, lmask));
        }
      }
    }
    {
      const std::vector<std::uint8_t> interior = InteriorMask(gt.depth);
      auto add = [&](Score& total, const Image& rendered) {
        total.Add(Compare(rendered, photo, interior));
      };
      add(inner_tex, tex.color);
      add(inner_vc, vc.color);
      if (args.ceiling) add(inner_ceiling, ceiling.color);
    }
    const double covered_fraction = double(covered) / double(st.pixels);
    spdlog::info(
        "{}: textured PSNR {:.2f} dB SSIM {:.3f}, vertex colour PSNR {:.2f} dB SSIM "
        "{:.3f} ({} building pixels, {:.1f} % covered)",
        im.name, st.Psnr(), st.Ssim(), sv.Psnr(), sv.Ssim(), st.pixels, 100.0 * covered_fraction);
    views.push_back({{"name", im.name},
                     {"psnr", st.Psnr()},
                     {"ssim", st.Ssim()},
                     {"psnr_vertex_colour", sv.Psnr()},
                     {"ssim_vertex_colour", sv.Ssim()},
                     {"building_pixels", st.pixels},
                     {"covered_fraction", covered_fraction},
                     {"aligned",
                      {{"psnr", sta.Psnr()},
                       {"ssim", sta.Ssim()},
                       {"psnr_vertex_colour", sva.Psnr()},
                       {"ssim_vertex_colour", sva.Ssim()},
                       {"moved_px", moved_tex},
                       {"moved_px_vertex_colour", moved_vc}}}});
    if (localised) views.back()["localised"] = localised_json;
    if (args.ceiling) {
      views.back()["psnr_ceiling"] = sc.Psnr();
      views.back()["ssim_ceiling"] = sc.Ssim();
    }
    {
      const Shift shift = BestShift(tex.color, photo, mask);
      views.back()["best_shift_px"] = {shift.dx, shift.dy};
      views.back()["psnr_at_best_shift"] = shift.psnr;
      if (args.ceiling) {
        const Shift cs = BestShift(ceiling.color, photo, mask);
        views.back()["best_shift_px_ceiling"] = {cs.dx, cs.dy};
        views.back()["psnr_ceiling_at_best_shift"] = cs.psnr;
      }
    }
    if (!args.save_renders.empty()) {
      const fs::path out =
          fs::path(args.save_renders) / (fs::path(im.name).stem().string() + ".png");
      std::vector<const Image*> panels = {&photo, &tex.color, &vc.color};
      if (args.ceiling) panels.push_back(&ceiling.color);
      WriteImage(out, Triptych(panels, mask));
      std::vector<const Image*> renders = {&tex.color, &vc.color};
      if (args.ceiling) renders.push_back(&ceiling.color);
      WriteImage(fs::path(args.save_renders) / (fs::path(im.name).stem().string() + "_error.png"),
                 ErrorMaps(photo, renders, mask));
    }
  }

  const double covered_fraction = double(covered_total) / double(total_tex.pixels);
  if (args.json) {
    Json out = {{"psnr", total_tex.Psnr()},
                {"ssim", total_tex.Ssim()},
                {"psnr_vertex_colour", total_vc.Psnr()},
                {"ssim_vertex_colour", total_vc.Ssim()},
                {"psnr_gain", total_tex.Psnr() - total_vc.Psnr()},
                {"building_pixels", total_tex.pixels},
                {"covered_fraction", covered_fraction},
                {"views", views},
                {"alignment", ToJson(cameras)},
                {"icp", icp_json}};
    if (args.ceiling) {
      out["psnr_ceiling"] = total_ceiling.Psnr();
      out["ssim_ceiling"] = total_ceiling.Ssim();
    }
    out["aligned"] = {{"psnr", aligned_tex.Psnr()},
                      {"ssim", aligned_tex.Ssim()},
                      {"psnr_vertex_colour", aligned_vc.Psnr()},
                      {"ssim_vertex_colour", aligned_vc.Ssim()},
                      {"psnr_gain", aligned_tex.Psnr() - aligned_vc.Psnr()}};
    out["surface"] = SurfaceJson(surface_tex, surface_vc);
    if (localised) {
      out["localised"] = LocalisedJson(*localised, localised_tex, localised_vc,
                                       localised_rotation_deg, localised_centre);
      out["localised"]["surface"] = SurfaceJson(lsurface_tex, lsurface_vc);
    }
    out["interior"] = {{"pixels", inner_tex.pixels},
                       {"psnr", inner_tex.Psnr()},
                       {"ssim", inner_tex.Ssim()},
                       {"psnr_vertex_colour", inner_vc.Psnr()},
                       {"ssim_vertex_colour", inner_vc.Ssim()}};
    if (args.ceiling) {
      out["interior"]["psnr_ceiling"] = inner_ceiling.Psnr();
      out["interior"]["ssim_ceiling"] = inner_ceiling.Ssim();
    }
    out["groups"] = Json::object();
    for (const auto& [name, g] : groups) {
      out["groups"][name] = {{"views", g.views},
                             {"building_pixels", g.tex.pixels},
                             {"psnr", g.tex.Psnr()},
                             {"ssim", g.tex.Ssim()},
                             {"psnr_vertex_colour", g.vc.Psnr()},
                             {"ssim_vertex_colour", g.vc.Ssim()},
                             {"psnr_gain", g.tex.Psnr() - g.vc.Psnr()},
                             {"aligned",
                              {{"psnr", g.tex_aligned.Psnr()},
                               {"ssim", g.tex_aligned.Ssim()},
                               {"psnr_vertex_colour", g.vc_aligned.Psnr()},
                               {"ssim_vertex_colour", g.vc_aligned.Ssim()},
                               {"psnr_gain", g.tex_aligned.Psnr() - g.vc_aligned.Psnr()}}}};
      if (localised) {
        out["groups"][name]["localised"] = {
            {"views", g.localised},
            {"psnr", g.tex_localised.Psnr()},
            {"ssim", g.tex_localised.Ssim()},
            {"psnr_vertex_colour", g.vc_localised.Psnr()},
            {"ssim_vertex_colour", g.vc_localised.Ssim()},
            {"psnr_gain", g.tex_localised.Psnr() - g.vc_localised.Psnr()}};
      }
      if (args.ceiling) {
        out["groups"][name]["psnr_ceiling"] = g.ceiling.Psnr();
        out["groups"][name]["ssim_ceiling"] = g.ceiling.Ssim();
      }
    }
    std::printf("%s\n", out.dump(2).c_str());
    return kExitOk;
  }
  std::printf(
      "held-out views   %zu  (%zu building pixels, %.1f %% covered by the reconstruction)\n",
      holdout.images.size(), total_tex.pixels, 100.0 * covered_fraction);
  std::printf("alignment        %zu / %zu cameras, scale %.6g, centre error median %.4g\n",
              cameras.registered, cameras.total, cameras.scale, cameras.position_error_median);
  std::printf("                 textured   vertex colour\n");
  std::printf("psnr (dB)        %8.2f   %8.2f   (%+.2f dB)\n", total_tex.Psnr(), total_vc.Psnr(),
              total_tex.Psnr() - total_vc.Psnr());
  std::printf("ssim             %8.4f   %8.4f\n", total_tex.Ssim(), total_vc.Ssim());
  std::printf(
      "away from edges  %8.2f   %8.2f   (%+.2f dB; %.0f %% of the pixels, %d px from "
      "silhouettes and depth steps)\n",
      inner_tex.Psnr(), inner_vc.Psnr(), inner_tex.Psnr() - inner_vc.Psnr(),
      100.0 * double(inner_tex.pixels) / double(total_tex.pixels), kEdgeRadius);
  std::printf(
      "on the surface   %8.2f   %8.2f   (%+.2f dB; the %.1f %% of the pixels the "
      "reconstruction covers)\n",
      surface_tex.Psnr(), surface_vc.Psnr(), surface_tex.Psnr() - surface_vc.Psnr(),
      100.0 * double(surface_tex.pixels) / double(total_tex.pixels));
  std::printf(
      "aligned          %8.2f   %8.2f   (%+.2f dB; each rendering registered onto the "
      "photograph by a homography)   ssim %.4f / %.4f\n",
      aligned_tex.Psnr(), aligned_vc.Psnr(), aligned_tex.Psnr() - aligned_vc.Psnr(),
      aligned_tex.Ssim(), aligned_vc.Ssim());
  if (localised) {
    std::printf(
        "localised        %8.2f   %8.2f   (%+.2f dB; %zu of %zu views posed by the "
        "reconstruction's SfM)   ssim %.4f / %.4f\n",
        localised_tex.Psnr(), localised_vc.Psnr(), localised_tex.Psnr() - localised_vc.Psnr(),
        localised_rotation_deg.size(), holdout.images.size(), localised_tex.Ssim(),
        localised_vc.Ssim());
    std::printf("  on the surface %8.2f   %8.2f   (%+.2f dB)\n", lsurface_tex.Psnr(),
                lsurface_vc.Psnr(), lsurface_tex.Psnr() - lsurface_vc.Psnr());
  }
  if (groups.size() > 1) {
    for (const auto& [name, g] : groups) {
      std::printf("  %-5s %3zu views %8.2f   %8.2f   (%+.2f dB)   ssim %.4f / %.4f\n", name.c_str(),
                  g.views, g.tex.Psnr(), g.vc.Psnr(), g.tex.Psnr() - g.vc.Psnr(), g.tex.Ssim(),
                  g.vc.Ssim());
      std::printf("  %-5s aligned   %8.2f   %8.2f   (%+.2f dB)   ssim %.4f / %.4f\n", name.c_str(),
                  g.tex_aligned.Psnr(), g.vc_aligned.Psnr(),
                  g.tex_aligned.Psnr() - g.vc_aligned.Psnr(), g.tex_aligned.Ssim(),
                  g.vc_aligned.Ssim());
      if (localised) {
        std::printf("  %-5s localised %8.2f   %8.2f   (%+.2f dB)   ssim %.4f / %.4f\n",
                    name.c_str(), g.tex_localised.Psnr(), g.vc_localised.Psnr(),
                    g.tex_localised.Psnr() - g.vc_localised.Psnr(), g.tex_localised.Ssim(),
                    g.vc_localised.Ssim());
      }
    }
  }
  if (args.ceiling) {
    std::printf(
        "ceiling (ground-truth mesh and cameras, textured): psnr %.2f dB, ssim %.4f; "
        "away from edges %.2f dB\n",
        total_ceiling.Psnr(), total_ceiling.Ssim(), inner_ceiling.Psnr());
  }
  for (const auto& v : views) {
    std::printf("  %-20s %8.2f   %8.2f   ssim %.4f / %.4f\n", v["name"].get<std::string>().c_str(),
                v["psnr"].get<double>(), v["psnr_vertex_colour"].get<double>(),
                v["ssim"].get<double>(), v["ssim_vertex_colour"].get<double>());
  }
  return kExitOk;
}

}  // namespace

CLI::App* AddEvalTexture(CLI::App& eval, std::function<int()>& run) {
  auto a = std::make_shared<Args>();
  CLI::App* sub = eval.add_subcommand(
      "texture",
      "A textured reconstruction rendered from views it never saw and compared with those "
      "photographs: a synthetic scene's held-out views (--gt, muta synth --holdout N; the "
      "building's pixels) or real photographs kept out of the reconstruction (--photos): PSNR "
      "and SSIM, against the vertex-coloured mesh");
  sub->add_option("-w,--workspace", a->workspace,
                  "Workspace with dense/textured.glb, dense/mesh.ply and dense/sparse")
      ->required();
  sub->add_option("--gt", a->gt, "The synthetic dataset (muta synth -o DIR, with --holdout)");
  sub->add_option("--photos", a->photos,
                  "Instead of --gt: a folder of photographs of the building taken with the "
                  "reconstruction's camera but kept out of it; each is posed by the "
                  "reconstruction's SfM and scored on the pixels both models draw");
  sub->add_option("--save-renders", a->save_renders,
                  "Also write, per held-out view, a PNG: photograph | textured | vertex colour "
                  "(outside the building darkened), and NAME_error.png: |textured - photograph| "
                  "| |vertex colour - photograph| (| ceiling), doubled");
  sub->add_flag("--icp", a->icp,
                "After the camera alignment, ICP of the vertex-coloured mesh onto the "
                "ground-truth surface (the same transform for both models)");
  sub->add_flag("--ceiling", a->ceiling,
                "Also texture the ground-truth mesh from the ground-truth cameras and score it "
                "(psnr_ceiling, ssim_ceiling): the texturing's ceiling without geometry error");
  sub->add_flag("--localise", a->localise,
                "Also pose the held-out photographs by the reconstruction's own SfM (registered "
                "into WORKSPACE/sparse with COLMAP, the model unchanged) and score the renderings "
                "from those poses (`localised`): the novel-view-synthesis benchmarks' protocol, "
                "free of the camera alignment's error");
  sub->add_flag("--json", a->json, "Print only a JSON object on stdout");
  run = [a] { return Run(*a); };
  return sub;
}

}  // namespace muta::cli
