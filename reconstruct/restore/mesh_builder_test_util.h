#pragma once
// Building small test meshes quad by quad (restore_test, learned_test).

#include <cstdint>

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

}  // namespace muta::test
