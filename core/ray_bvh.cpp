#include "core/ray_bvh.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <numeric>

#include <Eigen/Geometry>

#include "core/error.h"

namespace muta {
namespace {

// One entry per level at most, with room for both children (core/bvh_build.h bounds the depth).
constexpr int kStackSize = 2 * (bvh::kMaxDepth + 1);

}  // namespace

RayBvh::RayBvh(const Mesh& mesh) {
  bvh::Tree tree = bvh::BuildTree(mesh);
  nodes_ = std::move(tree.nodes);
  depth_ = tree.depth;
  const std::vector<std::uint32_t>& order = tree.order;
  const std::size_t nf = order.size();
  tris_.resize(nf);
  face_ids_.resize(nf);
  for (std::size_t i = 0; i < nf; ++i) {
    const Face& face = mesh.faces[order[i]];
    Tri& t = tris_[i];
    t.p0 = mesh.vertices[face[0]].cast<double>();
    t.e1 = mesh.vertices[face[1]].cast<double>() - t.p0;
    t.e2 = mesh.vertices[face[2]].cast<double>() - t.p0;
    // A zero-area triangle is never hit (its Möller–Trumbore determinant would be rounding
    // noise): zero edges make the determinant exactly 0.
    const double scale2 = std::max(t.e1.squaredNorm(), t.e2.squaredNorm());
    if (!(t.e1.cross(t.e2).squaredNorm() > 1e-24 * scale2 * scale2)) {
      t.e1.setZero();
      t.e2.setZero();
    }
    face_ids_[i] = order[i];
  }
}

template <bool kAnyHit>
bool RayBvh::Traverse(const Eigen::Vector3d& origin, const Eigen::Vector3d& direction, double t_min,
                      double t_max, const Accept* accept, RayHit* hit) const {
  if (nodes_.empty() || !(t_min <= t_max)) return false;
  // Slab test with reciprocal direction; a zero component becomes a tiny one of the same sign
  // (no 0 * inf NaN when the origin lies on a slab plane).
  Eigen::Vector3d inv;
  for (int k = 0; k < 3; ++k) {
    const double d = direction[k];
    inv[k] = 1.0 / (std::abs(d) > 1e-300 ? d : std::copysign(1e-300, d));
  }
  auto entry = [&](const Node& n, double t_far) {
    double t0 = t_min, t1 = t_far;
    for (int k = 0; k < 3; ++k) {
      double a = (double(n.lo[k]) - origin[k]) * inv[k];
      double b = (double(n.hi[k]) - origin[k]) * inv[k];
      if (a > b) std::swap(a, b);
      t0 = std::max(t0, a);
      t1 = std::min(t1, b);
    }
    return t0 <= t1 ? t0 : std::numeric_limits<double>::infinity();
  };

  bool found = false;
  double best_t = t_max;
  // Pending nodes with the ray parameter where the ray enters their box: a node entered beyond
  // the nearest hit found since it was pushed is skipped.
  std::uint32_t stack[kStackSize];
  double stack_t[kStackSize];
  int top = 0;
  const double root_t = entry(nodes_[0], best_t);
  if (root_t == std::numeric_limits<double>::infinity()) return false;
  stack[top] = 0;
  stack_t[top++] = root_t;
  while (top > 0) {
    --top;
    if (stack_t[top] > best_t) continue;
    const Node& node = nodes_[stack[top]];
    if (node.count > 0) {
      for (std::uint32_t i = node.first; i < node.first + node.count; ++i) {
        const Tri& tri = tris_[i];
        // Möller–Trumbore.
        const Eigen::Vector3d p = direction.cross(tri.e2);
        const double det = tri.e1.dot(p);
        if (det == 0) continue;
        const double inv_det = 1.0 / det;
        const Eigen::Vector3d s = origin - tri.p0;
        const double u = s.dot(p) * inv_det;
        if (u < 0 || u > 1) continue;
        const Eigen::Vector3d q = s.cross(tri.e1);
        const double v = direction.dot(q) * inv_det;
        if (v < 0 || u + v > 1) continue;
        const double t = tri.e2.dot(q) * inv_det;
        if (t < t_min || t > best_t) continue;
        if constexpr (kAnyHit) return true;
        const RayHit candidate{t, face_ids_[i], u, v};
        if (accept != nullptr && *accept && !(*accept)(candidate)) continue;
        found = true;
        best_t = t;
        *hit = candidate;
      }
      continue;
    }
    // Push the farther child first so the nearer one is visited next.
    const std::uint32_t a = node.first, b = node.first + 1;
    const double ta = entry(nodes_[a], best_t), tb = entry(nodes_[b], best_t);
    const bool a_hit = ta != std::numeric_limits<double>::infinity();
    const bool b_hit = tb != std::numeric_limits<double>::infinity();
    auto push = [&](std::uint32_t n, double t) {
      stack[top] = n;
      stack_t[top++] = t;
    };
    if (a_hit && b_hit) {
      if (ta <= tb) {
        push(b, tb);
        push(a, ta);
      } else {
        push(a, ta);
        push(b, tb);
      }
    } else if (a_hit) {
      push(a, ta);
    } else if (b_hit) {
      push(b, tb);
    }
  }
  return found;
}

std::optional<RayHit> RayBvh::Closest(const Eigen::Vector3d& origin,
                                      const Eigen::Vector3d& direction, double t_min,
                                      double t_max) const {
  RayHit hit;
  if (!Traverse<false>(origin, direction, t_min, t_max, nullptr, &hit)) return std::nullopt;
  return hit;
}

std::optional<RayHit> RayBvh::Closest(const Eigen::Vector3d& origin,
                                      const Eigen::Vector3d& direction, double t_min, double t_max,
                                      const Accept& accept) const {
  RayHit hit;
  if (!Traverse<false>(origin, direction, t_min, t_max, &accept, &hit)) return std::nullopt;
  return hit;
}

bool RayBvh::Occluded(const Eigen::Vector3d& origin, const Eigen::Vector3d& direction, double t_min,
                      double t_max) const {
  return Traverse<true>(origin, direction, t_min, t_max, nullptr, nullptr);
}

}  // namespace muta
