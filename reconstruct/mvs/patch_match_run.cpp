// RunPatchMatchStereo: the mvs stage over a COLMAP dense workspace, resumable per image.
#include <chrono>
#include <sstream>

#include <spdlog/spdlog.h>

#include "core/error.h"
#include "core/file_io.h"
#include "core/progress.h"
#include "reconstruct/mvs/patch_match.h"

namespace muta::reconstruct {

namespace fs = std::filesystem;

fs::path DepthMapPath(const fs::path& dense_dir, const std::string& name, bool geometric) {
  return dense_dir / "stereo" / "depth_maps" /
         (name + (geometric ? ".geometric.bin" : ".photometric.bin"));
}

fs::path NormalMapPath(const fs::path& dense_dir, const std::string& name, bool geometric) {
  return dense_dir / "stereo" / "normal_maps" /
         (name + (geometric ? ".geometric.bin" : ".photometric.bin"));
}

namespace {

struct ImagePlan {
  std::uint32_t id = 0;
  std::string name;
  std::vector<std::uint32_t> sources;
  std::pair<double, double> range{0, 0};
};

bool Done(const fs::path& dense_dir, const std::string& name, bool geometric) {
  return fs::exists(DepthMapPath(dense_dir, name, geometric)) &&
         fs::exists(NormalMapPath(dense_dir, name, geometric));
}

MvsView LoadView(const fs::path& dense_dir, const SparseModel& model, std::uint32_t id,
                 const PatchMatchOptions& options) {
  const SparseImage& image = model.images.at(id);
  return LoadMvsView(dense_dir / "images" / image.name, image.name,
                     model.cameras.at(image.camera_id), image.cam_from_world,
                     options.max_image_size.value_or(0));
}

double ValidFraction(const FloatMap& depth) {
  std::size_t valid = 0;
  for (const float d : depth.data) valid += d > 0;
  return depth.data.empty() ? 0.0 : double(valid) / double(depth.data.size());
}

void WriteConfigs(const fs::path& dense_dir, const SparseModel& model,
                  const std::vector<ImagePlan>& plans) {
  const fs::path stereo = dense_dir / "stereo";
  if (!fs::exists(stereo / "patch-match.cfg")) {
    std::ostringstream out;
    for (const ImagePlan& p : plans) {
      out << p.name << "\n";
      for (std::size_t i = 0; i < p.sources.size(); ++i) {
        out << (i ? ", " : "") << model.images.at(p.sources[i]).name;
      }
      out << "\n";
    }
    WriteFileAtomic(stereo / "patch-match.cfg", out.str());
  }
  if (!fs::exists(stereo / "fusion.cfg")) {
    std::ostringstream out;
    for (const ImagePlan& p : plans) out << p.name << "\n";
    WriteFileAtomic(stereo / "fusion.cfg", out.str());
  }
}

}  // namespace

Json RunPatchMatchStereo(const fs::path& dense_dir, const PatchMatchOptions& options,
                         Progress& progress) {
  options.Check();
  MUTA_CHECK(fs::is_directory(dense_dir / "images") && fs::is_directory(dense_dir / "sparse"))
      << dense_dir.string()
      << ": not an undistorted dense workspace (needs images/ and sparse/); run the undistort "
         "stage first";
  const SparseModel model = ReadSparseModel(dense_dir / "sparse");
  for (const auto& [id, camera] : model.cameras) {
    MUTA_CHECK(camera.model == CameraModel::kPinhole || camera.model == CameraModel::kSimplePinhole)
        << (dense_dir / "sparse").string() << ": camera " << id << " is "
        << CameraModelName(camera.model)
        << "; multi-view stereo needs undistorted PINHOLE cameras – run the undistort stage";
  }
  fs::create_directories(dense_dir / "stereo" / "depth_maps");
  fs::create_directories(dense_dir / "stereo" / "normal_maps");

  std::vector<ImagePlan> plans;
  std::vector<std::string> without_sources;
  for (const auto& [id, image] : model.images) {
    ImagePlan p;
    p.id = id;
    p.name = image.name;
    p.sources = SelectSourceViews(model, id, options);
    if (p.sources.empty()) {
      spdlog::warn(
          "mvs: {} has no usable source image (no overlap with enough parallax); "
          "it gets no depth map",
          image.name);
      without_sources.push_back(image.name);
      continue;
    }
    p.range = EstimateDepthRange(model, id, options);
    plans.push_back(std::move(p));
  }
  WriteConfigs(dense_dir, model, plans);

  Json figures = Json::object();
  figures["images"] = model.images.size();
  figures["images_without_sources"] = without_sources;
  const auto passes = options.geometric ? std::vector<bool>{false, true} : std::vector<bool>{false};
  for (const bool geometric : passes) {
    const char* pass = geometric ? "geometric" : "photometric";
    std::size_t processed = 0, skipped = 0;
    double seconds = 0, valid_sum = 0;
    int width = 0, height = 0;
    progress.Begin(std::string("mvs ") + pass, plans.size(), "images");
    for (const ImagePlan& plan : plans) {
      CheckInterrupted();
      if (Done(dense_dir, plan.name, geometric)) {
        ++skipped;
        progress.Advance();
        continue;
      }
      const auto start = std::chrono::steady_clock::now();
      MvsProblem problem;
      problem.reference = LoadView(dense_dir, model, plan.id, options);
      for (const std::uint32_t s : plan.sources) {
        problem.sources.push_back(LoadView(dense_dir, model, s, options));
      }
      problem.depth_min = plan.range.first;
      problem.depth_max = plan.range.second;
      DepthEstimate estimate;
      if (!geometric) {
        estimate = EstimateDepthMap(problem, options);
      } else {
        const fs::path initial_path = DepthMapPath(dense_dir, plan.name, false);
        DepthEstimate initial;
        initial.depth = ReadColmapArray(initial_path);
        initial.normal = ReadColmapArray(NormalMapPath(dense_dir, plan.name, false));
        MUTA_CHECK(initial.depth.width == problem.reference.width &&
                   initial.depth.height == problem.reference.height &&
                   initial.depth.channels == 1 && initial.normal.channels == 3 &&
                   initial.normal.width == initial.depth.width &&
                   initial.normal.height == initial.depth.height)
            << initial_path.string() << ": size does not match the image as processed ("
            << problem.reference.width << "x" << problem.reference.height
            << "); delete dense/stereo to recompute with the current options";
        for (const std::uint32_t s : plan.sources) {
          const fs::path p = DepthMapPath(dense_dir, model.images.at(s).name, false);
          problem.source_depths.push_back(fs::exists(p) ? ReadColmapArray(p) : FloatMap());
        }
        estimate = RefineDepthMapGeometric(problem, initial, options);
        FilterDepthMap(problem, options, estimate);
      }
      // Normal map first: the depth map's presence marks the image done for readers that only
      // look at depth maps.
      WriteColmapArray(NormalMapPath(dense_dir, plan.name, geometric), estimate.normal);
      WriteColmapArray(DepthMapPath(dense_dir, plan.name, geometric), estimate.depth);
      const double s =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      const double valid = ValidFraction(estimate.depth);
      spdlog::debug("mvs {}: {} {}x{} valid {:.1f}% in {:.2f} s", pass, plan.name,
                    estimate.depth.width, estimate.depth.height, 100 * valid, s);
      seconds += s;
      valid_sum += valid;
      width = estimate.depth.width;
      height = estimate.depth.height;
      ++processed;
      progress.Advance();
    }
    progress.End();
    Json f = Json::object();
    f["processed"] = processed;
    f["skipped"] = skipped;
    f["seconds"] = seconds;
    f["seconds_per_image"] = processed ? seconds / double(processed) : 0.0;
    f["mean_valid_fraction"] = processed ? valid_sum / double(processed) : 0.0;
    if (processed) f["last_size"] = {width, height};
    figures[pass] = f;
  }
  return figures;
}

}  // namespace muta::reconstruct
