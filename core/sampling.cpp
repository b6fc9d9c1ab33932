#include "core/sampling.h"

#include <algorithm>
#include <cmath>
#include <random>

#include <Eigen/Geometry>

#include "core/error.h"

namespace muta {
namespace {

// Uniform double in [0, 1) from the top 53 bits (platform independent, unlike
// std::uniform_real_distribution).
double Uniform01(std::mt19937_64& rng) {
  return double(rng() >> 11) * 0x1.0p-53;
}

}  // namespace

std::vector<Vec3f> SampleSurface(const Mesh& mesh, std::size_t count, std::uint64_t seed,
                                 std::vector<std::uint32_t>* faces) {
  const std::size_t nf = mesh.faces.size(), nv = mesh.vertices.size();
  MUTA_CHECK(nf > 0) << "surface sampling needs a mesh with faces; this one has none";
  // Cumulative face areas (double: a million small faces would lose precision in float).
  std::vector<double> cumulative(nf);
  double total = 0;
  for (std::size_t f = 0; f < nf; ++f) {
    const Face& face = mesh.faces[f];
    for (int k = 0; k < 3; ++k) {
      MUTA_CHECK(face[k] < nv) << "mesh: face " << f << " refers to vertex " << face[k]
                               << " but there are only " << nv << " vertices";
    }
    const Eigen::Vector3d a = mesh.vertices[face[0]].cast<double>();
    const Eigen::Vector3d b = mesh.vertices[face[1]].cast<double>();
    const Eigen::Vector3d c = mesh.vertices[face[2]].cast<double>();
    total += 0.5 * (b - a).cross(c - a).norm();
    cumulative[f] = total;
  }
  MUTA_CHECK(std::isfinite(total) && total > 0)
      << "surface sampling: the mesh's area is " << total << " (degenerate or non-finite faces)";

  std::mt19937_64 rng(seed);
  std::vector<Vec3f> points;
  points.reserve(count);
  if (faces != nullptr) {
    faces->clear();
    faces->reserve(count);
  }
  for (std::size_t i = 0; i < count; ++i) {
    const double target = Uniform01(rng) * total;
    // First face whose cumulative area exceeds the target: zero-area faces are never chosen.
    const auto it = std::upper_bound(cumulative.begin(), cumulative.end(), target);
    const std::size_t f = std::min<std::size_t>(std::size_t(it - cumulative.begin()), nf - 1);
    // Uniform barycentric coordinates (Osada et al. 2002).
    const double r1 = std::sqrt(Uniform01(rng)), r2 = Uniform01(rng);
    const Face& face = mesh.faces[f];
    const Eigen::Vector3d p = (1 - r1) * mesh.vertices[face[0]].cast<double>() +
                              r1 * (1 - r2) * mesh.vertices[face[1]].cast<double>() +
                              r1 * r2 * mesh.vertices[face[2]].cast<double>();
    points.push_back(p.cast<float>());
    if (faces != nullptr) faces->push_back(std::uint32_t(f));
  }
  return points;
}

}  // namespace muta
