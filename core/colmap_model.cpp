// SparseModel checks and statistics, and reading/writing a model folder in either format.
// The per-file parsers and writers live in colmap_bin.cpp and colmap_txt.cpp.

#include "core/colmap_model.h"

#include <cmath>
#include <string>

#include "core/error.h"
#include "core/file_io.h"
#include "core/log.h"

namespace muta {
namespace fs = std::filesystem;

namespace {

constexpr const char* kInconsistentAdvice =
    "the model is inconsistent (edited by hand or by another tool?); export it again with "
    "COLMAP, e.g. `colmap model_converter`";

struct FileSet {
  const char* cameras;
  const char* images;
  const char* points;
};
constexpr FileSet kBinFiles = {"cameras.bin", "images.bin", "points3D.bin"};
constexpr FileSet kTxtFiles = {"cameras.txt", "images.txt", "points3D.txt"};

// "image 3 ('a.jpg')" for messages.
std::string DescribeImage(const SparseImage& image) {
  return "image " + std::to_string(image.id) + " ('" + image.name + "')";
}

bool IsFinite(const Eigen::Vector3d& v) {
  return v.allFinite();
}

// Re-throws a muta::Error with `prefix` in front of its message (keeping its kind).
[[noreturn]] void Rethrow(const Error& e, const std::string& prefix) {
  throw Error(e.kind(), prefix + e.what(), e.file(), e.line());
}

}  // namespace

const SparseImage* SparseModel::FindImage(const std::string& name) const {
  for (const auto& [id, image] : images) {
    if (image.name == name) return &image;
  }
  return nullptr;
}

void SparseModel::Check() const {
  for (const auto& [id, camera] : cameras) {
    MUTA_CHECK(camera.id == id) << "camera " << id << " is stored under the id " << camera.id
                                << " – " << kInconsistentAdvice;
    camera.Check();
  }
  for (const auto& [id, image] : images) {
    MUTA_CHECK(image.id == id) << "image " << id << " is stored under the id " << image.id << " – "
                               << kInconsistentAdvice;
    MUTA_CHECK(cameras.count(image.camera_id) != 0)
        << DescribeImage(image) << " refers to camera " << image.camera_id
        << ", which does not exist – " << kInconsistentAdvice;
    MUTA_CHECK(image.points2d.size() == image.point3d_ids.size())
        << DescribeImage(image) << " has " << image.points2d.size() << " points2D but "
        << image.point3d_ids.size() << " point3D ids";
    const Rigid3d& pose = image.cam_from_world;
    MUTA_CHECK(pose.rotation.coeffs().allFinite() && IsFinite(pose.translation) &&
               pose.rotation.squaredNorm() > 1e-20)
        << DescribeImage(image) << " has a non-finite pose or a zero rotation quaternion";
    for (std::size_t j = 0; j < image.points2d.size(); ++j) {
      MUTA_CHECK(image.points2d[j].allFinite())
          << DescribeImage(image) << ": point2D " << j << " is not finite";
      const std::uint64_t point_id = image.point3d_ids[j];
      MUTA_CHECK(point_id == kInvalidPoint3DId || points.count(point_id) != 0)
          << DescribeImage(image) << ": point2D " << j << " refers to 3D point " << point_id
          << ", which does not exist – " << kInconsistentAdvice;
    }
  }
  for (const auto& [id, point] : points) {
    MUTA_CHECK(point.id == id) << "3D point " << id << " is stored under the id " << point.id
                               << " – " << kInconsistentAdvice;
    MUTA_CHECK(id != kInvalidPoint3DId) << "3D point id " << id << " is the reserved 'no point' id";
    MUTA_CHECK(IsFinite(point.xyz) && std::isfinite(point.error))
        << "3D point " << id << " has a non-finite position or error";
    for (const TrackElement& element : point.track) {
      const auto image_it = images.find(element.image_id);
      MUTA_CHECK(image_it != images.end())
          << "3D point " << id << ": its track refers to image " << element.image_id
          << ", which does not exist – " << kInconsistentAdvice;
      const SparseImage& image = image_it->second;
      MUTA_CHECK(element.point2d_idx < image.points2d.size())
          << "3D point " << id << ": its track refers to point2D " << element.point2d_idx << " of "
          << DescribeImage(image) << ", which has only " << image.points2d.size() << " points2D – "
          << kInconsistentAdvice;
      const std::uint64_t back = image.point3d_ids[element.point2d_idx];
      MUTA_CHECK(back == id) << "3D point " << id << ": its track lists point2D "
                             << element.point2d_idx << " of " << DescribeImage(image)
                             << ", but that point2D refers to "
                             << (back == kInvalidPoint3DId ? std::string("no 3D point")
                                                           : "3D point " + std::to_string(back))
                             << " – " << kInconsistentAdvice;
    }
  }
}

SparseModelStats ComputeStats(const SparseModel& model) {
  SparseModelStats stats;
  stats.num_cameras = model.cameras.size();
  stats.num_images = model.images.size();
  stats.num_points = model.points.size();
  // As COLMAP: observations are the points2D that have a 3D point.
  for (const auto& [id, image] : model.images) {
    for (std::uint64_t point_id : image.point3d_ids) {
      stats.num_observations += point_id != kInvalidPoint3DId;
    }
  }
  const auto observations = static_cast<double>(stats.num_observations);
  if (stats.num_points > 0) {
    stats.mean_track_length = observations / static_cast<double>(stats.num_points);
  }
  if (stats.num_images > 0) {
    stats.mean_observations_per_image = observations / static_cast<double>(stats.num_images);
  }
  // As COLMAP: the mean over the points whose error is known (error -1 means unknown).
  double error_sum = 0;
  std::size_t num_errors = 0;
  for (const auto& [id, point] : model.points) {
    if (point.error >= 0) {
      error_sum += point.error;
      ++num_errors;
    }
  }
  if (num_errors > 0) stats.mean_reprojection_error = error_sum / static_cast<double>(num_errors);
  return stats;
}

SparseModel ReadSparseModel(const fs::path& dir) {
  std::error_code ec;
  MUTA_CHECK(fs::is_directory(dir, ec))
      << dir.string() << (fs::exists(dir, ec) ? ": is a file, not a folder" : ": no such directory")
      << " – pass the folder that holds the COLMAP model (cameras.bin/images.bin/points3D.bin "
      << "or .txt), e.g. sparse/0";
  const bool binary = fs::exists(dir / kBinFiles.cameras, ec);
  if (!binary && !fs::exists(dir / kTxtFiles.cameras, ec)) {
    std::string hint;
    if (fs::exists(dir / "0" / kBinFiles.cameras, ec) ||
        fs::exists(dir / "0" / kTxtFiles.cameras, ec)) {
      hint = " (did you mean " + (dir / "0").string() + "?)";
    }
    MUTA_FAIL << dir.string()
              << ": no COLMAP model (cameras.bin/images.bin/points3D.bin or .txt) – pass the "
                 "folder that holds the model files, e.g. sparse/0"
              << hint;
  }
  const FileSet& files = binary ? kBinFiles : kTxtFiles;
  for (const char* file : {files.images, files.points}) {
    MUTA_CHECK(fs::exists(dir / file, ec))
        << dir.string() << ": has " << files.cameras << " but no " << file
        << " – the model is incomplete; copy or export all three files again";
  }

  SparseModel model;
  const fs::path cameras_path = dir / files.cameras;
  const fs::path images_path = dir / files.images;
  const fs::path points_path = dir / files.points;
  if (binary) {
    ParseCamerasBin(ReadFileBytes(cameras_path), cameras_path.string(), model);
    ParseImagesBin(ReadFileBytes(images_path), images_path.string(), model);
    ParsePoints3DBin(ReadFileBytes(points_path), points_path.string(), model);
  } else {
    ParseCamerasTxt(ReadFileText(cameras_path), cameras_path.string(), model);
    ParseImagesTxt(ReadFileText(images_path), images_path.string(), model);
    ParsePoints3DTxt(ReadFileText(points_path), points_path.string(), model);
  }
  try {
    model.Check();
  } catch (const Error& e) {
    Rethrow(e, dir.string() + ": ");
  }
  return model;
}

void WriteSparseModel(const fs::path& dir, const SparseModel& model, SparseFormat format) {
  const std::string prefix = dir.string() + ": cannot write the COLMAP model: ";
  try {
    model.Check();
  } catch (const Error& e) {
    Rethrow(e, prefix);
  }
  const bool binary = format == SparseFormat::kBinary;
  const FileSet& files = binary ? kBinFiles : kTxtFiles;
  std::error_code ec;
  if (!binary && fs::exists(dir / kBinFiles.cameras, ec)) {
    spdlog::warn(
        "{}: also holds cameras.bin, which readers (COLMAP, Muta) prefer over the "
        ".txt files written now; remove the .bin files if they are stale",
        dir.string());
  }
  // All three files are written to temporaries first and only then renamed into place, so a
  // failure while writing (full disk, a name the format cannot hold) leaves the folder as it was.
  AtomicFile cameras(dir / files.cameras);
  AtomicFile images(dir / files.images);
  AtomicFile points(dir / files.points);
  try {
    if (binary) {
      WriteCamerasBin(model, cameras.stream());
      WriteImagesBin(model, images.stream());
      WritePoints3DBin(model, points.stream());
    } else {
      WriteCamerasTxt(model, cameras.stream());
      WriteImagesTxt(model, images.stream());
      WritePoints3DTxt(model, points.stream());
    }
  } catch (const Error& e) {
    Rethrow(e, prefix);
  }
  cameras.Commit();
  images.Commit();
  points.Commit();
}

}  // namespace muta
