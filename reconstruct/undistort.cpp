#include "reconstruct/undistort.h"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "core/colmap_model.h"
#include "core/error.h"
#include "core/progress.h"
#include "reconstruct/colmap.h"

namespace fs = std::filesystem;

namespace muta::reconstruct {

namespace {

/// COLMAP's image_undistorter copies a camera whose distortion parameters are all zero as it
/// is (a SIMPLE_RADIAL with k = 0 stays SIMPLE_RADIAL), and the dense stages take only pinhole
/// cameras: such a camera is rewritten as the PINHOLE it is. Returns how many were.
int PinholeForZeroDistortion(SparseModel& model) {
  int converted = 0;
  for (auto& [id, camera] : model.cameras) {
    std::size_t first_distortion = 0;  // index of the first distortion parameter
    switch (camera.model) {
      case CameraModel::kSimpleRadial:
      case CameraModel::kRadial:
        first_distortion = 3;
        break;
      case CameraModel::kOpenCV:
      case CameraModel::kFullOpenCV:
        first_distortion = 4;
        break;
      default:
        continue;
    }
    if (camera.params.size() <= first_distortion ||
        !std::all_of(camera.params.begin() + std::ptrdiff_t(first_distortion), camera.params.end(),
                     [](double p) { return p == 0.0; })) {
      continue;
    }
    camera = Camera::Pinhole(int(camera.width), int(camera.height), camera.FocalX(),
                             camera.FocalY(), camera.PrincipalX(), camera.PrincipalY());
    camera.id = id;
    ++converted;
  }
  return converted;
}

}  // namespace

void UndistortOptions::Check() const {
  MUTA_CHECK(!max_image_size || *max_image_size >= 64)
      << "UndistortOptions.max_image_size must be at least 64 pixels, not " << *max_image_size;
}

UndistortOptions UndistortPreset(const std::string& quality) {
  UndistortOptions o;
  if (quality == "preview") {
    o.max_image_size = 1000;
  } else if (quality == "standard") {
    o.max_image_size = 1600;
  } else if (quality == "high") {
    o.max_image_size = std::nullopt;
  } else {
    MUTA_CHECK(false) << "unknown quality '" << quality << "'; use preview, standard or high";
  }
  return o;
}

Json RunUndistort(const fs::path& images_dir, const fs::path& sparse_dir, const fs::path& dense_dir,
                  const UndistortOptions& options, Progress& progress) {
  options.Check();
  const fs::path colmap = FindColmap(options.colmap);
  const SparseModel input = ReadSparseModel(sparse_dir);
  // Everything in dense/ derives from the undistorted images: start afresh.
  fs::remove_all(dense_dir);
  fs::create_directories(dense_dir);
  std::vector<std::string> args = {
      "--image_path",  images_dir.string(), "--input_path",  sparse_dir.string(),
      "--output_path", dense_dir.string(),  "--output_type", "COLMAP"};
  if (options.max_image_size) {
    args.push_back("--max_image_size");
    args.push_back(std::to_string(*options.max_image_size));
  }
  progress.Begin("undistort", input.images.size(), "images");
  RunColmap(colmap, "image_undistorter", args, &progress);
  progress.End();

  SparseModel model = ReadSparseModel(dense_dir / "sparse");
  if (const int converted = PinholeForZeroDistortion(model); converted > 0) {
    WriteSparseModel(dense_dir / "sparse", model);
    spdlog::info("undistort: {} camera(s) without distortion written as PINHOLE", converted);
  }
  int min_w = 1 << 30, max_w = 0, min_h = 1 << 30, max_h = 0;
  double megapixels = 0;
  for (const auto& [id, image] : model.images) {
    const Camera& c = model.cameras.at(image.camera_id);
    min_w = std::min(min_w, int(c.width));
    max_w = std::max(max_w, int(c.width));
    min_h = std::min(min_h, int(c.height));
    max_h = std::max(max_h, int(c.height));
    megapixels += double(c.width) * double(c.height) / 1e6;
    MUTA_CHECK(fs::exists(dense_dir / "images" / image.name))
        << "COLMAP image_undistorter did not write "
        << (dense_dir / "images" / image.name).string();
  }
  spdlog::info("undistort: {} images, {}-{} x {}-{} px", model.images.size(), min_w, max_w, min_h,
               max_h);
  return {{"images", model.images.size()}, {"width_min", min_w},  {"width_max", max_w},
          {"height_min", min_h},           {"height_max", max_h}, {"megapixels_total", megapixels}};
}

}  // namespace muta::reconstruct
