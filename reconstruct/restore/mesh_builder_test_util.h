#pragma once
// Building small test meshes quad by quad (restore_test, learned_test, element_box_test).

#include <cstdint>

#include <Eigen/Core>

#include "core/mesh.h"

namespace muta::test {

/// Appends `p` as a vertex of its own and returns its index.
inline std::uint32_t V(Mesh& m, const Eigen::Vector3d& p) {
  m.vertices.push_back(p.cast<float>());
  return std::uint32_t(m.vertices.size() - 1);
}

/// The quad a-b-c-d (counter-clockwise seen from its front) as two triangles.
inline void Quad(Mesh& m, const Eigen::Vector3d& a, const Eigen::Vector3d& b,
                 const Eigen::Vector3d& c, const Eigen::Vector3d& d) {
  const auto i = V(m, a), j = V(m, b), k = V(m, c), l = V(m, d);
  m.faces.emplace_back(i, j, k);
  m.faces.emplace_back(i, k, l);
}

/// A box centred at `c` with half extents `h` along the columns of `axes` (orthonormal,
/// right-handed): outward quads with separate vertices per side, in the order bottom (-z), top
/// (+z), -y, +x, +y, -x (faces 0-1, 2-3, ..., 10-11 after those already in `m`).
inline void OrientedBox(Mesh& m, const Eigen::Vector3d& c, const Eigen::Matrix3d& axes,
                        const Eigen::Vector3d& h) {
  auto p = [&](double x, double y, double z) {
    return Eigen::Vector3d(c + axes * Eigen::Vector3d(x * h.x(), y * h.y(), z * h.z()));
  };
  Quad(m, p(-1, -1, -1), p(-1, 1, -1), p(1, 1, -1), p(1, -1, -1));
  Quad(m, p(-1, -1, 1), p(1, -1, 1), p(1, 1, 1), p(-1, 1, 1));
  Quad(m, p(-1, -1, -1), p(1, -1, -1), p(1, -1, 1), p(-1, -1, 1));
  Quad(m, p(1, -1, -1), p(1, 1, -1), p(1, 1, 1), p(1, -1, 1));
  Quad(m, p(1, 1, -1), p(-1, 1, -1), p(-1, 1, 1), p(1, 1, 1));
  Quad(m, p(-1, 1, -1), p(-1, -1, -1), p(-1, -1, 1), p(-1, 1, 1));
}

}  // namespace muta::test
