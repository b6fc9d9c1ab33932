#pragma once
// The matching cost of a plane hypothesis: plane-induced homographies and the bilaterally
// weighted NCC between a reference window and its warp into a source image.
//
// Internal pixel coordinates are *index* coordinates: the centre of pixel (i, j) is (i, j) –
// COLMAP's (i + 0.5, j + 0.5). IndexK() converts a COLMAP-convention K.

#include <array>
#include <cstdint>
#include <vector>

#include <Eigen/Core>

#include "core/pose.h"

namespace muta::reconstruct {

/// Largest cost: 1 - NCC lies in [0, 2]; invalid warps (outside the source, behind it) get this.
inline constexpr float kMaxCost = 2.0f;
/// At most this many window samples (an 11x11 window with step 1 has 121).
inline constexpr int kMaxWindowSamples = 128;

/// K in index coordinates (principal point shifted by -0.5).
Eigen::Matrix3f IndexK(const Eigen::Matrix3d& K_colmap);

/// A float image for sampling: row-major, width * height, borders clamped.
struct GrayImage {
  const float* pixels = nullptr;
  int width = 0;
  int height = 0;
};

/// The relative geometry of one source view: ref pixel -> source pixel through the plane
/// (n, rho) of the reference camera frame (points X with n.X = rho) is
///   H = A + b * (Kr^-T n / rho)^T,  A = Ks R Kr^-1,  b = Ks t,
/// where (R, t) maps reference camera coordinates into the source camera frame.
struct SourceGeometry {
  Eigen::Matrix3f A;
  Eigen::Vector3f b;
  Eigen::Matrix3f R;  ///< src_from_ref rotation
  Eigen::Vector3f t;  ///< src_from_ref translation
  Eigen::Matrix3f K;  ///< source intrinsics, index coordinates
  Eigen::Matrix3f K_inv;
};

/// Builds SourceGeometry for reference/source poses and index-coordinate intrinsics.
SourceGeometry MakeSourceGeometry(const Eigen::Matrix3f& K_ref, const Rigid3d& ref_from_world,
                                  const Eigen::Matrix3f& K_src, const Rigid3d& src_from_world);

/// The homography (row-major 3x3) induced by the plane through the reference-frame point
/// depth * Kr^-1 (x, y, 1) with unit normal `normal` (reference camera frame).
/// `K_ref_inv` is the inverse index-coordinate K of the reference.
std::array<float, 9> PlaneHomography(const SourceGeometry& geometry,
                                     const Eigen::Matrix3f& K_ref_inv, float x, float y,
                                     float depth, const Eigen::Vector3f& normal);

/// The reference side of the weighted NCC, computed once per pixel: sample offsets, bilateral
/// weights w_k = exp(-|offset|^2 / (2 sigma_s^2) - (I_k - I_centre)^2 / (2 sigma_c^2)) and the
/// weighted, mean-free reference intensities.
struct RefPatch {
  int count = 0;  ///< samples used (padded to a multiple of 8 with zero weights)
  float x = 0;    ///< centre pixel
  float y = 0;
  float weight_sum = 0;
  float ref_var = 0;      ///< sum_k w_k (I_k - mean)^2
  bool textured = false;  ///< weighted standard deviation >= min_stddev
  alignas(32) float dx[kMaxWindowSamples];
  alignas(32) float dy[kMaxWindowSamples];
  alignas(32) float w[kMaxWindowSamples];
  alignas(32) float wr[kMaxWindowSamples];  ///< w_k * (I_k - mean)
};

/// Window sampling pattern: offsets -radius, -radius + step, ..., radius in x and y, with
/// their spatial weights exp(-|offset|^2 / (2 sigma_s^2)).
struct WindowPattern {
  int count = 0;
  std::vector<float> dx, dy, spatial;
};
WindowPattern MakeWindowPattern(int radius, int step, float sigma_spatial);

/// Fills `patch` for the reference pixel (x, y); samples beyond the border are clamped.
void ComputeRefPatch(const GrayImage& ref, int x, int y, const WindowPattern& pattern,
                     float sigma_color, float min_stddev, RefPatch& patch);

/// 1 - weighted NCC of the reference patch against the source warped by row-major homography
/// `H` (index coordinates), in [0, 2]. kMaxCost when the patch is not textured, the centre
/// warps outside the source or behind it, or the warped patch is flat.
float PatchCost(const RefPatch& patch, const std::array<float, 9>& H, const GrayImage& src);

/// The same cost computed without SIMD (reference implementation for tests).
float PatchCostScalar(const RefPatch& patch, const std::array<float, 9>& H, const GrayImage& src);

}  // namespace muta::reconstruct
