#pragma once
// Iterative closest point refinement of a similarity, for evaluation: after a reconstruction
// has been put into the ground truth's frame by its cameras, ICP removes the remaining
// misalignment (as Tanks and Temples does), so that surface accuracy measures the dense
// reconstruction and not the last millimetres of camera error, which `eval cameras` reports.

#include <cstdint>
#include <span>

#include "core/mesh.h"
#include "core/pose.h"

namespace muta {

class TriangleBvh;

struct IcpOptions {
  /// Pairs farther apart than this are ignored (scene units); e.g. a few times tau.
  double max_distance = 0.05;
  int max_iterations = 30;
  /// Points of the source used (an even subsample when there are more).
  std::size_t max_points = 50'000;
  /// Stop when an iteration moves points by less than this fraction of max_distance.
  double min_change = 1e-4;
  bool estimate_scale = true;
  void Check() const;
};

struct IcpResult {
  Sim3d transform;  ///< refined_from_source
  int iterations = 0;
  std::size_t pairs = 0;  ///< pairs used in the last iteration
  double rms_before = 0;  ///< of the pairs within max_distance, before and after
  double rms_after = 0;
};

/// Aligns `source` points onto the surface in `target` (closest points, similarity or rigid
/// Umeyama fits). Throws muta::Error if fewer than 3 pairs are within max_distance.
IcpResult RefineAlignmentIcp(const TriangleBvh& target, std::span<const Vec3f> source,
                             const IcpOptions& options = {});

/// Keeps the part of `reconstruction` inside the ground truth's bounding box grown by 2 tau,
/// with its floor raised by tau above the ground truth's lowest point: the ground a building
/// stands on is not scored (as Tanks and Temples crops). A face is kept when all its corners
/// are inside; per-face attributes are dropped. Returns the faces (or points) kept.
std::size_t CropToGroundTruthBox(const Mesh& gt, double tau, Mesh& reconstruction);

/// Two ICP passes (pairs within 8 tau, then 3 tau) moving `reconstruction` onto `gt`; for a
/// mesh, 100k surface samples drive the fit. Returns the combined result (transform composed).
IcpResult RefineOntoGroundTruth(const Mesh& gt, double tau, Mesh& reconstruction,
                                std::uint64_t seed = 7);

}  // namespace muta
