#pragma once
// A COLMAP sparse model (cameras, images, points3D) and its files, in both formats:
// binary (cameras.bin, images.bin, points3D.bin) and text (cameras.txt, images.txt,
// points3D.txt), exactly as COLMAP 3.8 reads and writes them.
//
// Poses are cam_from_world (COLMAP's qvec/tvec: QW QX QY QZ TX TY TZ).

#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <limits>
#include <map>
#include <span>
#include <string>
#include <string_view>
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
  /// point2D, or a camera is invalid (Camera::Check). Also rejects what COLMAP itself never
  /// writes: a point2D referring to a missing 3D point, a track element whose point2D refers to
  /// another 3D point, points2d/point3d_ids of different sizes, a map key that differs from the
  /// id it holds, non-finite coordinates and a zero quaternion.
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
/// error messages. They fill the corresponding part of `model`, replacing what was there (on
/// error `model` is left unchanged). Cross references between the files are not checked here:
/// call model.Check() once all three are parsed.
void ParseCamerasBin(std::span<const std::uint8_t> bytes, const std::string& name,
                     SparseModel& model);
void ParseImagesBin(std::span<const std::uint8_t> bytes, const std::string& name,
                    SparseModel& model);
void ParsePoints3DBin(std::span<const std::uint8_t> bytes, const std::string& name,
                      SparseModel& model);
void ParseCamerasTxt(std::string_view text, const std::string& name, SparseModel& model);
void ParseImagesTxt(std::string_view text, const std::string& name, SparseModel& model);
void ParsePoints3DTxt(std::string_view text, const std::string& name, SparseModel& model);

/// Per-file writers matching the parsers, used by WriteSparseModel: records in ascending id
/// order, numbers formatted as COLMAP 3.8 formats them (text: 17 significant digits, so
/// doubles round-trip exactly). `model` should pass Check(); they throw muta::Error only for
/// what the format cannot hold (a NUL byte in an image name for .bin; an empty name, a line
/// break or leading/trailing white space for .txt). Quaternions are written as stored,
/// normalised first only if they are not already unit length.
void WriteCamerasBin(const SparseModel& model, std::ostream& out);
void WriteImagesBin(const SparseModel& model, std::ostream& out);
void WritePoints3DBin(const SparseModel& model, std::ostream& out);
void WriteCamerasTxt(const SparseModel& model, std::ostream& out);
void WriteImagesTxt(const SparseModel& model, std::ostream& out);
void WritePoints3DTxt(const SparseModel& model, std::ostream& out);

}  // namespace muta
