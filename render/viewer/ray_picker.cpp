#include "render/viewer/ray_picker.h"

#include <algorithm>
#include <cmath>

#include <Eigen/Geometry>

#include "core/error.h"

namespace muta::render::viewer {
namespace {

constexpr std::uint32_t kLeafSize = 4;

// Slab test: does the ray enter the box before `t_max`? `inv` = 1 / direction.
bool HitsBox(const Eigen::Vector3f& lo, const Eigen::Vector3f& hi, const Eigen::Vector3d& origin,
             const Eigen::Vector3d& inv, double t_max) {
  double t0 = 0, t1 = t_max;
  for (int a = 0; a < 3; ++a) {
    double near_t = (lo[a] - origin[a]) * inv[a];
    double far_t = (hi[a] - origin[a]) * inv[a];
    if (near_t > far_t) std::swap(near_t, far_t);
    // NaN (0 * inf, a ray in the slab's plane) keeps the interval as it is.
    if (near_t > t0) t0 = near_t;
    if (far_t < t1) t1 = far_t;
    if (t0 > t1 * (1 + 1e-12) + 1e-12) return false;
  }
  return true;
}

// Möller–Trumbore, both faces; t in (0, t_max).
bool IntersectTriangle(const Eigen::Vector3d& origin, const Eigen::Vector3d& dir,
                       const Eigen::Vector3d& a, const Eigen::Vector3d& b, const Eigen::Vector3d& c,
                       double t_max, double& t, double& u, double& v) {
  const Eigen::Vector3d e1 = b - a, e2 = c - a;
  const Eigen::Vector3d p = dir.cross(e2);
  const double det = e1.dot(p);
  if (std::abs(det) < 1e-300) return false;
  const double inv_det = 1.0 / det;
  const Eigen::Vector3d s = origin - a;
  u = s.dot(p) * inv_det;
  if (u < 0 || u > 1) return false;
  const Eigen::Vector3d q = s.cross(e1);
  v = dir.dot(q) * inv_det;
  if (v < 0 || u + v > 1) return false;
  t = e2.dot(q) * inv_det;
  return t > 0 && t < t_max;
}

}  // namespace

TrianglePicker::TrianglePicker(const Mesh& mesh) : vertices_(mesh.vertices) {
  faces_.reserve(mesh.faces.size() * 3);
  std::vector<Eigen::Vector3f> centroids;
  centroids.reserve(mesh.faces.size());
  for (std::size_t f = 0; f < mesh.faces.size(); ++f) {
    const Face& face = mesh.faces[f];
    for (int k = 0; k < 3; ++k) {
      MUTA_CHECK(face[k] < vertices_.size())
          << "face " << f << " refers to vertex " << face[k] << " of " << vertices_.size();
      faces_.push_back(face[k]);
    }
    centroids.push_back((vertices_[face[0]] + vertices_[face[1]] + vertices_[face[2]]) / 3.0f);
  }
  order_.resize(mesh.faces.size());
  for (std::uint32_t i = 0; i < order_.size(); ++i) order_[i] = i;
  if (order_.empty()) return;
  nodes_.reserve(2 * order_.size() / kLeafSize + 2);
  nodes_.emplace_back();
  Build(0, static_cast<std::uint32_t>(order_.size()), centroids);
}

// Fills nodes_.back()-style slot 0 on the first call; children are allocated in pairs.
std::uint32_t TrianglePicker::Build(std::uint32_t begin, std::uint32_t end,
                                    std::vector<Eigen::Vector3f>& centroids) {
  // Iterative with an explicit stack of (slot, begin, end).
  struct Job {
    std::uint32_t slot, begin, end;
  };
  std::vector<Job> jobs = {{0, begin, end}};
  while (!jobs.empty()) {
    const Job job = jobs.back();
    jobs.pop_back();
    Node node;
    node.lo = Eigen::Vector3f::Constant(std::numeric_limits<float>::max());
    node.hi = Eigen::Vector3f::Constant(std::numeric_limits<float>::lowest());
    Eigen::Vector3f clo = node.lo, chi = node.hi;
    for (std::uint32_t i = job.begin; i < job.end; ++i) {
      const std::uint32_t t = order_[i];
      for (int k = 0; k < 3; ++k) {
        const Vec3f& p = vertices_[faces_[3 * t + k]];
        node.lo = node.lo.cwiseMin(p);
        node.hi = node.hi.cwiseMax(p);
      }
      clo = clo.cwiseMin(centroids[t]);
      chi = chi.cwiseMax(centroids[t]);
    }
    const std::uint32_t count = job.end - job.begin;
    int axis = 0;
    (chi - clo).maxCoeff(&axis);
    if (count <= kLeafSize || (chi - clo)[axis] <= 0) {
      node.first = job.begin;
      node.count = count;
      nodes_[job.slot] = node;
      continue;
    }
    const std::uint32_t mid = job.begin + count / 2;
    std::nth_element(
        order_.begin() + job.begin, order_.begin() + mid, order_.begin() + job.end,
        [&](std::uint32_t a, std::uint32_t b) { return centroids[a][axis] < centroids[b][axis]; });
    node.first = static_cast<std::uint32_t>(nodes_.size());
    node.count = 0;
    nodes_[job.slot] = node;
    nodes_.emplace_back();
    nodes_.emplace_back();
    jobs.push_back({node.first, job.begin, mid});
    jobs.push_back({node.first + 1, mid, job.end});
  }
  return 0;
}

Eigen::Vector3d TrianglePicker::Corner(std::uint32_t face, int corner) const {
  MUTA_CHECK(face < NumTriangles() && corner >= 0 && corner < 3)
      << "TrianglePicker::Corner: no corner " << corner << " of face " << face;
  return vertices_[faces_[3 * std::size_t(face) + corner]].cast<double>();
}

std::optional<RayHit> TrianglePicker::Cast(const Eigen::Vector3d& origin,
                                           const Eigen::Vector3d& direction, double max_distance,
                                           const Accept& accept) const {
  if (nodes_.empty() || !origin.allFinite() || !direction.allFinite() ||
      direction.squaredNorm() == 0) {
    return std::nullopt;
  }
  const Eigen::Vector3d dir = direction.normalized();
  const Eigen::Vector3d inv = dir.cwiseInverse();
  std::optional<RayHit> best;
  double best_t = max_distance;
  std::uint32_t stack[128];
  int top = 0;
  stack[top++] = 0;
  while (top > 0) {
    const Node& node = nodes_[stack[--top]];
    if (!HitsBox(node.lo, node.hi, origin, inv, best_t)) continue;
    if (node.count == 0) {
      stack[top++] = node.first;
      stack[top++] = node.first + 1;
      continue;
    }
    for (std::uint32_t i = node.first; i < node.first + node.count; ++i) {
      const std::uint32_t tri = order_[i];
      const Eigen::Vector3d a = vertices_[faces_[3 * tri]].cast<double>();
      const Eigen::Vector3d b = vertices_[faces_[3 * tri + 1]].cast<double>();
      const Eigen::Vector3d c = vertices_[faces_[3 * tri + 2]].cast<double>();
      double t = 0, u = 0, v = 0;
      if (!IntersectTriangle(origin, dir, a, b, c, best_t, t, u, v)) continue;
      RayHit hit;
      hit.distance = t;
      hit.barycentric = Eigen::Vector3d(1 - u - v, u, v);
      hit.point = hit.barycentric[0] * a + hit.barycentric[1] * b + hit.barycentric[2] * c;
      if (accept && !accept(tri, hit.point)) continue;
      best_t = t;
      Eigen::Vector3d n = (b - a).cross(c - a);
      if (n.squaredNorm() > 0) n.normalize();
      hit.normal = n.dot(dir) > 0 ? Eigen::Vector3d(-n) : n;
      hit.face = tri;
      best = hit;
    }
  }
  return best;
}

std::optional<RayHit> PickPoint(std::span<const Vec3f> points, const Eigen::Vector3d& origin,
                                const Eigen::Vector3d& direction, double cone_radians,
                                const std::function<bool(const Vec3f&)>& accept) {
  if (direction.squaredNorm() == 0) return std::nullopt;
  const Eigen::Vector3d dir = direction.normalized();
  const double cos_cone = std::cos(cone_radians);
  std::optional<RayHit> best;
  for (std::size_t i = 0; i < points.size(); ++i) {
    const Eigen::Vector3d d = points[i].cast<double>() - origin;
    const double along = d.dot(dir);
    if (along <= 0) continue;
    const double length = d.norm();
    if (along < cos_cone * length) continue;
    if (best && length >= best->distance) continue;
    if (accept && !accept(points[i])) continue;
    RayHit hit;
    hit.distance = length;
    hit.point = points[i].cast<double>();
    hit.normal = -dir;
    hit.face = static_cast<std::uint32_t>(i);
    hit.barycentric = Eigen::Vector3d(1, 0, 0);
    best = hit;
  }
  return best;
}

RayHit SnapToVertex(const TrianglePicker& picker, const RayHit& hit, double radius_m) {
  if (hit.face >= picker.NumTriangles()) return hit;
  RayHit snapped = hit;
  double best = radius_m;
  for (int k = 0; k < 3; ++k) {
    const Eigen::Vector3d corner = picker.Corner(hit.face, k);
    const double d = (corner - hit.point).norm();
    if (d <= best) {
      best = d;
      snapped.point = corner;
      snapped.barycentric = Eigen::Vector3d::Zero();
      snapped.barycentric[k] = 1;
    }
  }
  return snapped;
}

}  // namespace muta::render::viewer
