#include "render/viewer/ray_picker.h"

#include <cmath>
#include <limits>

#include <Eigen/Geometry>

#include "core/error.h"

namespace muta::render::viewer {
namespace {

// Copies the faces after checking them (RayBvh checks them again, with its own message).
std::vector<std::uint32_t> CheckedFaces(const Mesh& mesh) {
  std::vector<std::uint32_t> faces;
  faces.reserve(mesh.faces.size() * 3);
  for (std::size_t f = 0; f < mesh.faces.size(); ++f) {
    for (int k = 0; k < 3; ++k) {
      MUTA_CHECK(mesh.faces[f][k] < mesh.vertices.size())
          << "face " << f << " refers to vertex " << mesh.faces[f][k] << " of "
          << mesh.vertices.size();
      faces.push_back(mesh.faces[f][k]);
    }
  }
  return faces;
}

}  // namespace

TrianglePicker::TrianglePicker(const Mesh& mesh)
    : vertices_(mesh.vertices), faces_(CheckedFaces(mesh)), bvh_(mesh) {}

Eigen::Vector3d TrianglePicker::Corner(std::uint32_t face, int corner) const {
  MUTA_CHECK(face < NumTriangles() && corner >= 0 && corner < 3)
      << "TrianglePicker::Corner: no corner " << corner << " of face " << face;
  return vertices_[faces_[3 * std::size_t(face) + corner]].cast<double>();
}

std::optional<RayHit> TrianglePicker::Cast(const Eigen::Vector3d& origin,
                                           const Eigen::Vector3d& direction, double max_distance,
                                           const Accept& accept) const {
  if (bvh_.NumTriangles() == 0 || !origin.allFinite() || !direction.allFinite() ||
      direction.squaredNorm() == 0 || !(max_distance > 0)) {
    return std::nullopt;
  }
  const Eigen::Vector3d dir = direction.normalized();
  // The hit point from the barycentrics of the face (exact on the triangle, not the ray).
  const auto point_of = [&](const muta::RayHit& h) {
    return ((1 - h.u - h.v) * Corner(h.face, 0) + h.u * Corner(h.face, 1) + h.v * Corner(h.face, 2))
        .eval();
  };
  RayBvh::Accept filter;
  if (accept) {
    filter = [&](const muta::RayHit& h) { return accept(h.face, point_of(h)); };
  }
  // t > 0: the smallest positive double as t_min.
  const std::optional<muta::RayHit> h =
      bvh_.Closest(origin, dir, std::numeric_limits<double>::denorm_min(), max_distance, filter);
  if (!h) return std::nullopt;
  RayHit hit;
  hit.distance = h->t;
  hit.face = h->face;
  hit.barycentric = Eigen::Vector3d(1 - h->u - h->v, h->u, h->v);
  hit.point = point_of(*h);
  const Eigen::Vector3d a = Corner(h->face, 0);
  Eigen::Vector3d n = (Corner(h->face, 1) - a).cross(Corner(h->face, 2) - a);
  if (n.squaredNorm() > 0) n.normalize();
  hit.normal = n.dot(dir) > 0 ? Eigen::Vector3d(-n) : n;
  return hit;
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
