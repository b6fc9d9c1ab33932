#pragma once
// Ground-truth cameras in the format of the Strecha et al. 2008 multi-view benchmark
// (fountain-P11, Herz-Jesu-P8, ...): one text file per image, named after the image plus
// ".camera" (0000.jpg.camera for 0000.jpg), holding 26 white-space separated numbers:
//
//   K (3x3, row by row)  distortion (3, radial; 0 for the undistorted "dense" sets)
//   R (3x3, row by row, camera-to-world: its columns are the camera axes in the world)
//   C (3, the camera centre in world coordinates, metres)   width height (pixels)
//
// so that a world point X projects to K R^T (X - C).
//
// Pixel convention: COLMAP (and muta::Camera) put the centre of the top-left pixel at
// (0.5, 0.5). Strecha's K turns out to use the same convention – pixel coordinates counted
// from the top-left image corner – not OpenCV's (centre of the top-left pixel at (0, 0)): with
// the ground-truth poses fixed, SIFT keypoints (COLMAP adds 0.5 to VLFeat's, so they are in
// COLMAP's convention) reproject best with the principal point used as written, not moved by
// +0.5 or -0.5 (docs/real_datasets.md, "Pixel convention of the ground truth"). So the reader
// copies K unchanged (kStrechaToColmapPrincipalPointOffset = 0). Note that ReadIntrinsicsFile
// (--intrinsics) expects OpenCV's convention and adds 0.5: a K.txt made from a Strecha K for
// --intrinsics must hold cx - 0.5 and cy - 0.5.

#include <filesystem>
#include <string>
#include <string_view>

#include <Eigen/Core>

#include "core/colmap_model.h"

namespace muta {

/// What the reader adds to a Strecha principal point to get COLMAP's (pixels): measured, 0.
inline constexpr double kStrechaToColmapPrincipalPointOffset = 0.0;

/// One parsed .camera file, as written.
struct StrechaCamera {
  Eigen::Matrix3d K = Eigen::Matrix3d::Identity();  ///< pixels, as written
  Eigen::Vector3d distortion = Eigen::Vector3d::Zero();
  Eigen::Matrix3d world_from_cam = Eigen::Matrix3d::Identity();  ///< R, camera-to-world
  Eigen::Vector3d center = Eigen::Vector3d::Zero();              ///< C, world (metres)
  int width = 0;                                                 ///< pixels
  int height = 0;                                                ///< pixels

  /// The pose in COLMAP's convention: R^T, -R^T C.
  Rigid3d CamFromWorld() const;
  /// A PINHOLE camera in COLMAP's pixel convention (principal point + the offset above).
  Camera ToColmapCamera(std::uint32_t id) const;
};

/// Parses the text of one .camera file; `name` (the file) appears in every error message.
/// Throws muta::Error, naming the file, the problem and the expected layout, when a token is
/// not a number, there are not exactly 26 numbers (truncated or extra data), K is not an
/// upper-triangular intrinsic matrix with positive focal lengths and K[2][2] = 1, the
/// distortion terms are not all zero (only the undistorted sets are supported), R is not a
/// rotation (orthonormal within 1e-4 with determinant +1), a value is not finite, or the size
/// is not a positive integer.
StrechaCamera ParseStrechaCamera(std::string_view text, const std::string& name);

/// Reads one .camera file (errors as ParseStrechaCamera, plus unreadable files).
StrechaCamera ReadStrechaCamera(const std::filesystem::path& path);

/// True if `dir` is a folder holding at least one regular file whose name ends in ".camera".
bool IsStrechaCameraFolder(const std::filesystem::path& dir);

/// Reads every *.camera file of `dir` into a model without points: image names are the file
/// names without ".camera" (0000.jpg), ids 1, 2, ... in name order, one PINHOLE camera per
/// image (same id as the image) in COLMAP's pixel convention, poses cam_from_world. The
/// model passes SparseModel::Check(). Throws muta::Error when `dir` has no .camera file or
/// one of them is malformed (naming it).
SparseModel ReadStrechaCameras(const std::filesystem::path& dir);

}  // namespace muta
