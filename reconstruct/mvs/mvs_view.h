#pragma once
// One image as the PatchMatch matcher sees it: grayscale float pixels, intrinsics and pose.

#include <filesystem>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "core/camera.h"
#include "core/pose.h"

namespace muta::reconstruct {

/// A grayscale image with its pinhole camera.
///
/// `gray` is row-major, width * height values in [0,1]. `K` is the pinhole intrinsic matrix of
/// this (possibly downscaled) image in COLMAP's pixel convention (centre of the top-left pixel
/// at (0.5, 0.5)); `cam_from_world` maps world points (scene units) into the camera frame
/// (x right, y down, z forward).
struct MvsView {
  std::string name;
  int width = 0;
  int height = 0;
  std::vector<float> gray;
  Eigen::Matrix3d K = Eigen::Matrix3d::Identity();
  Rigid3d cam_from_world;

  float At(int x, int y) const { return gray[std::size_t(y) * width + x]; }
};

/// Reads `image_path` as grayscale and pairs it with `camera` (PINHOLE or SIMPLE_PINHOLE, the
/// models image_undistorter writes; throws muta::Error naming the image otherwise, or when the
/// image size differs from the camera's). When `max_image_size` is positive and smaller than
/// the longer side, the image is downscaled (area filter) and K scaled to match.
MvsView LoadMvsView(const std::filesystem::path& image_path, const std::string& name,
                    const Camera& camera, const Rigid3d& cam_from_world, int max_image_size = 0);

/// Resizes the view to `width` x `height` (area filter when shrinking, bilinear otherwise) and
/// scales K accordingly (COLMAP convention: continuous pixel coordinates scale by the size ratio).
MvsView ResizeView(const MvsView& view, int width, int height);

/// Half the size (floor), 2x2 box filter; K scaled by exactly 1/2.
MvsView HalveView(const MvsView& view);

}  // namespace muta::reconstruct
