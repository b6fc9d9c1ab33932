#pragma once
// A COLMAP sparse model (cameras, images, points3D) and its files, in both formats:
// binary (cameras.bin, images.bin, points3D.bin) and text (cameras.txt, images.txt,
// points3D.txt), exactly as COLMAP 3.8 reads and writes them.
//
// Poses are cam_from_world (COLMAP's qvec/tvec: QW QX QY QZ TX TY TZ).

#include <cstdint>
#include <filesystem>
#include <limits>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "core/camera.h"
#include "core/mesh.h"
#include "core/pose.h"

namespace muta {

inline constexpr std::uint64_t kInvalidPoint3DId = std::numeric_limits<std::uint64_t>::max();

struct SparseImage {
  std::uint32_t id = 0;
  std::string name;  ///< path relative to the image folder, '/'-separated
  std::uint32_t camera_id = 0;
  Rigid3d cam_from_world;
  std::vector<Eigen::Vector2d> points2d;    ///< pixels
  std::vector<std::uint64_t> point3d_ids;   ///< same size; kInvalidPoint3DId if untriangulated
};

struct TrackElement {
  std::uint32_t image_id = 0;
  std::uint32_t point2d_idx = 0;
};

struct SparsePoint {
  std::uint64_t id = 0;
  Eigen::Vector3d xyz = Eigen::Vector3d::Zero();
  Color3u8 color = Color3u8::Zero();
  double error = -1.0;  ///< mean reprojection error in pixels (-1 if unknown)
  std::vector<TrackElement> track;
};

struct SparseModel {
  std::map<std::uint32_t, Camera> cameras;
  std::map<std::uint32_t, SparseImage> images;
  std::map<std::uint64_t, SparsePoint> points;

  /// The image with this name, or nullptr.
  const SparseImage* FindImage(const std::string& name) const;
  /// Throws muta::Error if an image refers to a missing camera, a track to a missing image or
  /// point2D, or a camera is invalid (Camera::Check).
  void Check() const;
};

/// Summary figures of a model (for reports).
struct SparseModelStats {
  std::size_t num_cameras = 0;
  std::size_t num_images = 0;
  std::size_t num_points = 0;
  std::size_t num_observations = 0;
  double mean_track_length = 0;
  double mean_observations_per_image = 0;
  double mean_reprojection_error = 0;  ///< pixels, mean of the points' errors
};
SparseModelStats ComputeStats(const SparseModel& model);

enum class SparseFormat { kBinary, kText };

/// Reads a model from `dir`, choosing the binary files when cameras.bin exists, else the text
/// ones. Errors name the file and, for text, the line.
SparseModel ReadSparseModel(const std::filesystem::path& dir);
/// Writes the three files atomically into `dir` (created if missing).
void WriteSparseModel(const std::filesystem::path& dir, const SparseModel& model,
                      SparseFormat format = SparseFormat::kBinary);

/// Per-file parsers on memory, used by ReadSparseModel and the fuzz targets; `name` appears in
/// error messages. They fill the corresponding part of `model`.
void ParseCamerasBin(std::span<const std::uint8_t> bytes, const std::string& name,
                     SparseModel& model);
void ParseImagesBin(std::span<const std::uint8_t> bytes, const std::string& name,
                    SparseModel& model);
void ParsePoints3DBin(std::span<const std::uint8_t> bytes, const std::string& name,
                      SparseModel& model);
void ParseCamerasTxt(std::string_view text, const std::string& name, SparseModel& model);
void ParseImagesTxt(std::string_view text, const std::string& name, SparseModel& model);
void ParsePoints3DTxt(std::string_view text, const std::string& name, SparseModel& model);

}  // namespace muta
