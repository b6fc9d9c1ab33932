#pragma once
// Camera intrinsics with COLMAP's models and parameter order.
//
// Pixel convention (COLMAP): the centre of the top-left pixel is (0.5, 0.5); x right, y down.
// Project() maps a point in the camera frame (z forward, metres) to pixels; Unproject() maps a
// pixel to a point on the z = 1 plane (a ray direction). Distortion acts on normalised image
// coordinates (x/z, y/z).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <Eigen/Core>

namespace muta {

/// COLMAP's camera model ids (cameras.bin stores these numbers).
enum class CameraModel : int {
  kSimplePinhole = 0,        ///< f, cx, cy
  kPinhole = 1,              ///< fx, fy, cx, cy
  kSimpleRadial = 2,         ///< f, cx, cy, k
  kRadial = 3,               ///< f, cx, cy, k1, k2
  kOpenCV = 4,               ///< fx, fy, cx, cy, k1, k2, p1, p2
  kOpenCVFisheye = 5,        ///< fx, fy, cx, cy, k1, k2, k3, k4
  kFullOpenCV = 6,           ///< fx, fy, cx, cy, k1, k2, p1, p2, k3, k4, k5, k6
  kFOV = 7,                  ///< fx, fy, cx, cy, omega
  kSimpleRadialFisheye = 8,  ///< f, cx, cy, k
  kRadialFisheye = 9,        ///< f, cx, cy, k1, k2
  kThinPrismFisheye = 10,    ///< fx, fy, cx, cy, k1, k2, p1, p2, k3, k4, sx1, sy1
};

/// COLMAP's name ("PINHOLE", ...) and parameter count; nullopt/0 for an unknown id.
std::string_view CameraModelName(CameraModel model);
int CameraModelNumParams(CameraModel model);
/// Parses a COLMAP model name or numeric id; nullopt when unknown.
std::optional<CameraModel> CameraModelFromName(std::string_view name);
std::optional<CameraModel> CameraModelFromId(int id);

struct Camera {
  std::uint32_t id = 0;
  CameraModel model = CameraModel::kPinhole;
  int width = 0;   ///< pixels
  int height = 0;  ///< pixels
  std::vector<double> params;  ///< in COLMAP's order for `model`

  /// Convenience constructors.
  static Camera Pinhole(int width, int height, double fx, double fy, double cx, double cy);
  static Camera SimpleRadial(int width, int height, double f, double cx, double cy, double k);

  /// True for the models that Project/Unproject implement: SIMPLE_PINHOLE, PINHOLE,
  /// SIMPLE_RADIAL, RADIAL, OPENCV, FULL_OPENCV. Others can be stored and written only.
  bool Supported() const;
  /// Throws muta::Error if the parameter count does not match the model or values are
  /// not finite, or the size is not positive.
  void Check() const;

  double FocalX() const;
  double FocalY() const;
  double PrincipalX() const;
  double PrincipalY() const;
  /// 3x3 intrinsic matrix (without distortion).
  Eigen::Matrix3d K() const;
  bool HasDistortion() const;

  /// Camera frame (z > 0) -> pixel. Behaviour for z <= 0 is undefined (check first).
  Eigen::Vector2d Project(const Eigen::Vector3d& point_cam) const;
  /// Pixel -> point on the z = 1 plane (undistorted ray).
  Eigen::Vector3d Unproject(const Eigen::Vector2d& pixel) const;
  /// Applies / removes lens distortion on normalised coordinates.
  Eigen::Vector2d Distort(const Eigen::Vector2d& normalized) const;
  Eigen::Vector2d Undistort(const Eigen::Vector2d& distorted) const;
  /// Maps a distorted pixel to the pixel an ideal pinhole camera with the same K would see.
  Eigen::Vector2d UndistortPixel(const Eigen::Vector2d& pixel) const;
};

}  // namespace muta
