#include "reconstruct/restore/learned_voxel.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>

#include <open3d/pipelines/integration/MarchingCubesConst.h>
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include "core/closest_point.h"
#include "core/error.h"

namespace muta::restore {

bool VoxelBlock::CentreIn(int x, int y, int z, const Box3f& box) const {
  const Eigen::Vector3d c = Centre(x, y, z);
  for (int k = 0; k < 3; ++k) {
    if (c[k] < box.min[k] || c[k] > box.max[k]) return false;
  }
  return true;
}

std::vector<std::uint8_t> SurfaceOccupancy(const TriangleBvh& bvh, const VoxelBlock& block) {
  const GridDims& d = block.dims;
  std::vector<std::uint8_t> out(GridSize(d), 0);
  const double band = kOccupancyBand * block.voxel;
  tbb::parallel_for(tbb::blocked_range<int>(0, d[2]), [&](const tbb::blocked_range<int>& r) {
    for (int z = r.begin(); z < r.end(); ++z) {
      for (int y = 0; y < d[1]; ++y) {
        for (int x = 0; x < d[0]; ++x) {
          if (bvh.Closest(block.Centre(x, y, z)).distance <= band) out[block.Index(x, y, z)] = 1;
        }
      }
    }
  });
  return out;
}

std::vector<std::uint8_t> KnownMask(const VoxelBlock& block, const Box3f& unknown) {
  const GridDims& d = block.dims;
  std::vector<std::uint8_t> out(GridSize(d), 1);
  for (int z = 0; z < d[2]; ++z) {
    for (int y = 0; y < d[1]; ++y) {
      for (int x = 0; x < d[0]; ++x) {
        if (block.CentreIn(x, y, z, unknown)) out[block.Index(x, y, z)] = 0;
      }
    }
  }
  return out;
}

CounterpartChannels MakeCounterpartChannels(const TriangleBvh& observed, const VoxelBlock& block,
                                            const Symmetry* symmetry, const Box3f& unknown) {
  const GridDims& d = block.dims;
  CounterpartChannels out;
  out.counterpart.assign(GridSize(d), 0);
  out.valid.assign(GridSize(d), 0);
  if (symmetry == nullptr || !symmetry->found || symmetry->order < 2) return out;
  std::vector<Eigen::Isometry3d> rotations;
  for (int k = 1; k < symmetry->order; ++k) rotations.push_back(symmetry->Rotation(k));
  const double band = kOccupancyBand * block.voxel;
  auto in_unknown = [&](const Eigen::Vector3d& p) {
    for (int k = 0; k < 3; ++k) {
      if (p[k] < unknown.min[k] || p[k] > unknown.max[k]) return false;
    }
    return true;
  };
  // Cells of kCell^3 voxels: one query at a cell's centre bounds the distance of all its voxels'
  // rotated centres (a rotation keeps distances), so most cells far from surface need no more.
  constexpr int kCell = 4;
  const double reach = band + 0.5 * std::sqrt(3.0) * (kCell - 1) * block.voxel;
  const int cells[3] = {(d[0] + kCell - 1) / kCell, (d[1] + kCell - 1) / kCell,
                        (d[2] + kCell - 1) / kCell};
  tbb::parallel_for(tbb::blocked_range<int>(0, cells[2]), [&](const tbb::blocked_range<int>& r) {
    std::vector<char> near(rotations.size());
    for (int cz = r.begin(); cz < r.end(); ++cz) {
      for (int cy = 0; cy < cells[1]; ++cy) {
        for (int cx = 0; cx < cells[0]; ++cx) {
          const int lo[3] = {cx * kCell, cy * kCell, cz * kCell};
          const int hi[3] = {std::min(d[0], lo[0] + kCell), std::min(d[1], lo[1] + kCell),
                             std::min(d[2], lo[2] + kCell)};
          const Eigen::Vector3d centre = 0.5 * (block.Centre(lo[0], lo[1], lo[2]) +
                                                block.Centre(hi[0] - 1, hi[1] - 1, hi[2] - 1));
          for (std::size_t k = 0; k < rotations.size(); ++k) {
            near[k] = observed.Closest(rotations[k] * centre).distance <= reach;
          }
          for (int z = lo[2]; z < hi[2]; ++z) {
            for (int y = lo[1]; y < hi[1]; ++y) {
              for (int x = lo[0]; x < hi[0]; ++x) {
                const Eigen::Vector3d c = block.Centre(x, y, z);
                const std::size_t i = block.Index(x, y, z);
                for (std::size_t k = 0; k < rotations.size(); ++k) {
                  const Eigen::Vector3d q = rotations[k] * c;
                  if (!symmetry->Covers(q) || in_unknown(q)) continue;
                  out.valid[i] = 1;
                  if (near[k] && observed.Closest(q).distance <= band) {
                    out.counterpart[i] = 1;
                    break;
                  }
                }
              }
            }
          }
        }
      }
    }
  });
  return out;
}

CompletionSample MakeCompletionSample(const TriangleBvh& observed, const TriangleBvh& intact,
                                      const VoxelBlock& block, const Box3f& unknown,
                                      const Symmetry* symmetry) {
  CompletionSample s;
  s.dims = block.dims;
  s.occupancy = SurfaceOccupancy(observed, block);
  s.known = KnownMask(block, unknown);
  CounterpartChannels hint = MakeCounterpartChannels(observed, block, symmetry, unknown);
  s.counterpart = std::move(hint.counterpart);
  s.counterpart_valid = std::move(hint.valid);
  s.target = SurfaceOccupancy(intact, block);
  return s;
}

IsoSurface MarchingCubes(const VoxelBlock& block, const std::vector<float>& values, double iso) {
  const GridDims& d = block.dims;
  MUTA_INTERNAL_CHECK(values.size() == GridSize(d)) << "marching cubes: grid size mismatch";
  IsoSurface out;
  // Vertex per grid edge: key = (index of the edge's start voxel) * 3 + axis.
  std::unordered_map<std::uint64_t, std::uint32_t> edge_vertex;
  for (int z = 0; z + 1 < d[2]; ++z) {
    for (int y = 0; y + 1 < d[1]; ++y) {
      for (int x = 0; x + 1 < d[0]; ++x) {
        float v[8];
        int cube = 0;
        for (int i = 0; i < 8; ++i) {
          v[i] = values[block.Index(x + shift[i](0), y + shift[i](1), z + shift[i](2))];
          if (v[i] > iso) cube |= 1 << i;
        }
        if (edge_table[cube] == 0) continue;
        std::uint32_t ids[12];
        for (int e = 0; e < 12; ++e) {
          if (!(edge_table[cube] & (1 << e))) continue;
          const int sx = x + edge_shift[e](0), sy = y + edge_shift[e](1), sz = z + edge_shift[e](2);
          const std::uint64_t key = std::uint64_t(block.Index(sx, sy, sz)) * 3 + edge_shift[e](3);
          auto it = edge_vertex.find(key);
          if (it == edge_vertex.end()) {
            const int a = edge_to_vert[e][0], b = edge_to_vert[e][1];
            const double va = v[a], vb = v[b];
            const double t = std::abs(vb - va) > 1e-12 ? (iso - va) / (vb - va) : 0.5;
            const Eigen::Vector3d pa =
                block.Centre(x + shift[a](0), y + shift[a](1), z + shift[a](2));
            const Eigen::Vector3d pb =
                block.Centre(x + shift[b](0), y + shift[b](1), z + shift[b](2));
            out.vertices.push_back(pa + std::clamp(t, 0.0, 1.0) * (pb - pa));
            out.vertex_value.push_back(std::max(v[a], v[b]));
            it = edge_vertex.emplace(key, std::uint32_t(out.vertices.size() - 1)).first;
          }
          ids[e] = it->second;
        }
        for (int i = 0; tri_table[cube][i] != -1; i += 3) {
          out.faces.emplace_back(ids[tri_table[cube][i]], ids[tri_table[cube][i + 2]],
                                 ids[tri_table[cube][i + 1]]);
        }
      }
    }
  }
  return out;
}

double SampleTrilinear(const VoxelBlock& block, const std::vector<float>& values,
                       const Eigen::Vector3d& p) {
  const GridDims& d = block.dims;
  int i0[3];
  double f[3];
  for (int k = 0; k < 3; ++k) {
    const double g = (p[k] - block.origin[k]) / block.voxel;
    if (d[k] < 2) {
      i0[k] = 0;
      f[k] = 0;
      continue;
    }
    i0[k] = std::clamp(int(std::floor(g)), 0, d[k] - 2);
    f[k] = std::clamp(g - i0[k], 0.0, 1.0);
  }
  double sum = 0;
  for (int c = 0; c < 8; ++c) {
    const int o[3] = {c & 1, (c >> 1) & 1, (c >> 2) & 1};
    double w = 1;
    int idx[3];
    for (int k = 0; k < 3; ++k) {
      w *= o[k] ? f[k] : 1.0 - f[k];
      idx[k] = std::min(i0[k] + o[k], d[k] - 1);
    }
    if (w > 0) sum += w * values[block.Index(idx[0], idx[1], idx[2])];
  }
  return sum;
}

void SnapToRidge(const VoxelBlock& block, const std::vector<float>& values, double max_distance,
                 IsoSurface& surface) {
  constexpr int kSteps = 10;
  const double h = 0.5 * block.voxel;
  for (std::size_t i = 0; i < surface.vertices.size(); ++i) {
    Eigen::Vector3d& p = surface.vertices[i];
    Eigen::Vector3d g;
    for (int k = 0; k < 3; ++k) {
      Eigen::Vector3d e = Eigen::Vector3d::Zero();
      e[k] = h;
      g[k] = SampleTrilinear(block, values, p + e) - SampleTrilinear(block, values, p - e);
    }
    double best = SampleTrilinear(block, values, p);
    if (g.norm() < 1e-9) {
      surface.vertex_value[i] = float(best);
      continue;
    }
    const Eigen::Vector3d n = g.normalized();
    double best_t = 0;
    for (int s = 1; s <= kSteps; ++s) {
      const double t = max_distance * s / kSteps;
      const double v = SampleTrilinear(block, values, p + t * n);
      if (v > best) {
        best = v;
        best_t = t;
      }
    }
    p += best_t * n;
    surface.vertex_value[i] = float(best);
  }
}

}  // namespace muta::restore
