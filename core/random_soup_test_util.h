#pragma once
// A random triangle soup for tests of the spatial indices (closest_point_test, ray_bvh_test):
// their results are compared with brute force over every triangle.

#include <cstdint>
#include <random>

#include "core/mesh.h"

namespace muta::test {

inline Vec3f RandomPoint(std::mt19937& rng, float lo, float hi) {
  std::uniform_real_distribution<float> u(lo, hi);
  return {u(rng), u(rng), u(rng)};
}

/// `n` random small triangles in [-1, 1]^3, corners within `half_size` of a random centre;
/// every 50th is degenerate (coincident corners for every 100th, else collinear).
inline Mesh RandomSoup(std::size_t n, std::uint32_t seed, float half_size) {
  std::mt19937 rng(seed);
  Mesh mesh;
  for (std::size_t i = 0; i < n; ++i) {
    const Vec3f c = RandomPoint(rng, -1, 1);
    const auto base = std::uint32_t(mesh.vertices.size());
    mesh.vertices.push_back(c + RandomPoint(rng, -half_size, half_size));
    mesh.vertices.push_back(c + RandomPoint(rng, -half_size, half_size));
    if (i % 50 == 0) {
      mesh.vertices.push_back(i % 100 == 0
                                  ? mesh.vertices[base]
                                  : Vec3f(0.5f * (mesh.vertices[base] + mesh.vertices[base + 1])));
    } else {
      mesh.vertices.push_back(c + RandomPoint(rng, -half_size, half_size));
    }
    mesh.faces.emplace_back(base, base + 1, base + 2);
  }
  return mesh;
}

}  // namespace muta::test
