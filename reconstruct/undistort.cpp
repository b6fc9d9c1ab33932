#include "reconstruct/undistort.h"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

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
  MUTA_CHECK(!texture_max_size || *texture_max_size == 0 || *texture_max_size >= 64)
      << "--texture-max-size must be 0 (texture from the dense images) or at least 64 pixels, "
         "not "
      << *texture_max_size;
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

namespace {

/// One run of COLMAP's undistorter into `out_dir` (created), at most `max_size` px on the longest
/// side; returns the written model, its zero-distortion cameras rewritten as PINHOLE, after
/// checking that every image was written.
SparseModel Undistort(const fs::path& colmap, const fs::path& images_dir,
                      const fs::path& sparse_dir, const fs::path& out_dir,
                      std::optional<int> max_size, std::size_t images, const std::string& label,
                      Progress& progress) {
  fs::create_directories(out_dir);
  std::vector<std::string> args = {
      "--image_path",  images_dir.string(), "--input_path",  sparse_dir.string(),
      "--output_path", out_dir.string(),    "--output_type", "COLMAP"};
  if (max_size) {
    args.push_back("--max_image_size");
    args.push_back(std::to_string(*max_size));
  }
  progress.Begin(label, images, "images");
  RunColmap(colmap, "image_undistorter", args, &progress);
  progress.End();
  SparseModel model = ReadSparseModel(out_dir / "sparse");
  if (const int converted = PinholeForZeroDistortion(model); converted > 0) {
    WriteSparseModel(out_dir / "sparse", model);
    spdlog::info("{}: {} camera(s) without distortion written as PINHOLE", label, converted);
  }
  for (const auto& [id, image] : model.images) {
    MUTA_CHECK(fs::exists(out_dir / "images" / image.name))
        << "COLMAP image_undistorter did not write " << (out_dir / "images" / image.name).string();
  }
  return model;
}

struct SizeRange {
  int min_w = 1 << 30, max_w = 0, min_h = 1 << 30, max_h = 0;
  double megapixels = 0;
  explicit SizeRange(const SparseModel& model) {
    for (const auto& [id, image] : model.images) {
      const Camera& c = model.cameras.at(image.camera_id);
      min_w = std::min(min_w, int(c.width));
      max_w = std::max(max_w, int(c.width));
      min_h = std::min(min_h, int(c.height));
      max_h = std::max(max_h, int(c.height));
      megapixels += double(c.width) * double(c.height) / 1e6;
    }
  }
  int Longest() const { return std::max(max_w, max_h); }
};

}  // namespace

Json RunUndistort(const fs::path& images_dir, const fs::path& sparse_dir, const fs::path& dense_dir,
                  const UndistortOptions& options, Progress& progress) {
  options.Check();
  const fs::path colmap = FindColmap(options.colmap);
  const SparseModel input = ReadSparseModel(sparse_dir);
  // Everything in dense/ derives from the undistorted images: start afresh.
  fs::remove_all(dense_dir);
  const SparseModel model =
      Undistort(colmap, images_dir, sparse_dir, dense_dir, options.max_image_size,
                input.images.size(), "undistort", progress);
  const SizeRange dense(model);
  spdlog::info("undistort: {} images, {}-{} x {}-{} px", model.images.size(), dense.min_w,
               dense.max_w, dense.min_h, dense.max_h);
  Json figures = {{"images", model.images.size()}, {"width_min", dense.min_w},
                  {"width_max", dense.max_w},      {"height_min", dense.min_h},
                  {"height_max", dense.max_h},     {"megapixels_total", dense.megapixels}};

  // Texturing samples the photographs at their own size when dense matching works on smaller
  // images: a second undistortion into dense/texture (only its images and model are kept).
  const int photo_longest = SizeRange(input).Longest();
  const int texture_longest =
      options.texture_max_size ? std::min(*options.texture_max_size, photo_longest) : photo_longest;
  const bool texture_copy = texture_longest > 1.05 * dense.Longest();  // worth a copy
  figures["texture_images"] = texture_copy ? "dense/texture" : "dense/images";
  if (texture_copy) {
    const fs::path tmp = dense_dir / "texture.tmp";
    const SparseModel tex = Undistort(colmap, images_dir, sparse_dir, tmp,
                                      options.texture_max_size && *options.texture_max_size > 0
                                          ? options.texture_max_size
                                          : std::nullopt,
                                      input.images.size(), "undistort (texture images)", progress);
    for (const auto& entry : fs::directory_iterator(tmp)) {
      const std::string name = entry.path().filename().string();
      if (name != "images" && name != "sparse") fs::remove_all(entry.path());
    }
    fs::rename(tmp, dense_dir / "texture");
    const SizeRange sizes(tex);
    spdlog::info("undistort: texture images {}-{} x {}-{} px in {}", sizes.min_w, sizes.max_w,
                 sizes.min_h, sizes.max_h, (dense_dir / "texture").string());
    figures["texture_width_max"] = sizes.max_w;
    figures["texture_height_max"] = sizes.max_h;
    figures["texture_megapixels_total"] = sizes.megapixels;
  }
  return figures;
}

}  // namespace muta::reconstruct
