#pragma once
// Voxel blocks for the learned completion method (docs/restore.md, "learned"): surface
// occupancy of a mesh on a regular grid, training samples (observed/intact pairs with an
// unknown box), and marching cubes back to triangles. No libtorch here.

#include <cstdint>
#include <vector>

#include <Eigen/Core>

#include "core/mesh.h"
#include "reconstruct/restore/learned_net.h"
#include "reconstruct/restore/symmetry.h"

namespace muta {
class TriangleBvh;
}

namespace muta::restore {

/// A regular grid: voxel (x, y, z) has its centre at origin + voxel * (x, y, z).
struct VoxelBlock {
  Eigen::Vector3d origin = Eigen::Vector3d::Zero();
  double voxel = 0.12;
  GridDims dims{0, 0, 0};

  std::size_t Index(int x, int y, int z) const {
    return (std::size_t(z) * std::size_t(dims[1]) + std::size_t(y)) * std::size_t(dims[0]) +
           std::size_t(x);
  }
  Eigen::Vector3d Centre(int x, int y, int z) const {
    return origin + voxel * Eigen::Vector3d(x, y, z);
  }
  /// Whether voxel (x, y, z)'s centre lies in `box`.
  bool CentreIn(int x, int y, int z, const Box3f& box) const;
};

/// The occupancy band: a voxel is occupied when surface passes within this many voxels of its
/// centre (0.6: at least one voxel per column across any plane, at most two).
inline constexpr double kOccupancyBand = 0.6;

/// 1 where the mesh's surface passes within kOccupancyBand voxels of the voxel's centre.
/// Parallel over z slices.
std::vector<std::uint8_t> SurfaceOccupancy(const TriangleBvh& bvh, const VoxelBlock& block);

/// Known mask: 0 for voxels whose centre lies in `unknown`, 1 elsewhere.
std::vector<std::uint8_t> KnownMask(const VoxelBlock& block, const Box3f& unknown);

/// The symmetry hint (learned_net.h): for each voxel centre x and k = 1..order-1, the rotated
/// position R_k x counts when it lies in an azimuth sector the capture covered and outside
/// `unknown` (where nothing was observed, its emptiness says nothing); `counterpart` = 1 when the
/// observed surface passes within kOccupancyBand voxels of a counted position, `valid` = 1 when
/// any position counts. Both all 0 when `symmetry` is null or was not found. Parallel over z.
struct CounterpartChannels {
  std::vector<std::uint8_t> counterpart;
  std::vector<std::uint8_t> valid;
};
CounterpartChannels MakeCounterpartChannels(const TriangleBvh& observed, const VoxelBlock& block,
                                            const Symmetry* symmetry, const Box3f& unknown);

/// A training sample: `observed` (the damaged mesh) and `intact` voxelised on `block`, with the
/// voxels in `unknown` marked unknown, and the hint of `symmetry` (estimated on the observed
/// mesh; null: no hint).
CompletionSample MakeCompletionSample(const TriangleBvh& observed, const TriangleBvh& intact,
                                      const VoxelBlock& block, const Box3f& unknown,
                                      const Symmetry* symmetry);

/// Marching cubes output: triangles wound so that their normals point out of the region above
/// `iso`; per vertex the larger of the two grid values of its edge.
struct IsoSurface {
  std::vector<Eigen::Vector3d> vertices;
  std::vector<float> vertex_value;
  std::vector<Face> faces;
};

/// Extracts the iso-surface {value = iso} of `values` (one per voxel of `block`) by marching
/// cubes (Lorensen & Cline; tables from Open3D). Vertices on shared cube edges are shared.
IsoSurface MarchingCubes(const VoxelBlock& block, const std::vector<float>& values, double iso);

/// The grid value at `p` by trilinear interpolation (clamped to the grid).
double SampleTrilinear(const VoxelBlock& block, const std::vector<float>& values,
                       const Eigen::Vector3d& p);

/// Moves each vertex of `surface` up the gradient of `values` to the ridge (the largest value
/// along the gradient line within `max_distance` metres) and sets its vertex_value to the value
/// there. Surface occupancy is a band about one voxel thick around the true surface; its
/// iso-surface lies half a voxel or more off the surface on both sides, the ridge on it.
void SnapToRidge(const VoxelBlock& block, const std::vector<float>& values, double max_distance,
                 IsoSurface& surface);

}  // namespace muta::restore
