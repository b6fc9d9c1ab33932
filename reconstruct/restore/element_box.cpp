#include "reconstruct/restore/element_box.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <Eigen/Geometry>

#include "core/closest_point.h"

namespace muta::restore {

using Eigen::Vector3d;

Vector3d ElementBox::SideNormal(int side) const {
  const Vector3d a = axes.col(side / 2);
  return side % 2 == 1 ? a : Vector3d(-a);
}

double ElementBox::SideArea(int side) const {
  const int k = side / 2, u = (k + 1) % 3, w = (k + 2) % 3;
  return (hi[u] - lo[u]) * (hi[w] - lo[w]);
}

namespace {

// The faces connected to welded vertex `seed` (through shared welded vertices); nullopt when
// there are more than `max_faces`.
std::optional<std::vector<std::uint32_t>> ConnectedFaces(const Mesh& mesh,
                                                         const WeldedTopology& topology,
                                                         const WeldedFaceIndex& index,
                                                         std::uint32_t seed,
                                                         std::size_t max_faces) {
  const auto& rep = topology.representative;
  const auto& start = index.start;
  const auto& incident = index.incident;
  std::vector<char> face_seen(mesh.faces.size(), 0), vertex_seen(topology.num_welded, 0);
  std::vector<std::uint32_t> stack{seed}, faces;
  vertex_seen[seed] = 1;
  while (!stack.empty()) {
    const std::uint32_t v = stack.back();
    stack.pop_back();
    for (std::uint32_t i = start[v]; i < start[v + 1]; ++i) {
      const std::uint32_t f = incident[i];
      if (face_seen[f]) continue;
      face_seen[f] = 1;
      faces.push_back(f);
      if (faces.size() > max_faces) return std::nullopt;
      for (int k = 0; k < 3; ++k) {
        const std::uint32_t w = rep[mesh.faces[f][k]];
        if (!vertex_seen[w]) {
          vertex_seen[w] = 1;
          stack.push_back(w);
        }
      }
    }
  }
  std::sort(faces.begin(), faces.end());
  return faces;
}

}  // namespace

WeldedFaceIndex::WeldedFaceIndex(const Mesh& mesh, const WeldedTopology& topology)
    : start(topology.num_welded + 1, 0) {
  const auto& rep = topology.representative;
  for (const Face& f : mesh.faces) {
    for (int k = 0; k < 3; ++k) ++start[rep[f[k]] + 1];
  }
  for (std::size_t i = 0; i < topology.num_welded; ++i) start[i + 1] += start[i];
  incident.resize(start.back());
  std::vector<std::uint32_t> fill(start.begin(), start.end() - 1);
  for (std::size_t f = 0; f < mesh.faces.size(); ++f) {
    for (int k = 0; k < 3; ++k) incident[fill[rep[mesh.faces[f][k]]]++] = std::uint32_t(f);
  }
}

std::optional<ElementBox> FitElementBox(const Mesh& mesh, const WeldedTopology& topology,
                                        const WeldedFaceIndex& index, const BoundaryLoop& loop,
                                        const ElementBoxOptions& options) {
  if (loop.vertices.empty()) return std::nullopt;
  auto faces = ConnectedFaces(mesh, topology, index, topology.representative[loop.vertices[0]],
                              options.max_faces);
  if (!faces || faces->empty()) return std::nullopt;
  struct Facet {
    Vector3d normal, centroid;
    double area;
    int axis = -1;
  };
  std::vector<Facet> facets;
  Box3f bounds;
  for (const auto f : *faces) {
    const Vector3d a = mesh.vertices[mesh.faces[f][0]].cast<double>();
    const Vector3d b = mesh.vertices[mesh.faces[f][1]].cast<double>();
    const Vector3d c = mesh.vertices[mesh.faces[f][2]].cast<double>();
    for (const Vector3d* p : {&a, &b, &c}) bounds.Extend(p->cast<float>());
    const Vector3d n = (b - a).cross(c - a);
    if (n.norm() <= 1e-12) continue;  // degenerate: on any side
    facets.push_back({n.normalized(), (a + b + c) / 3.0, 0.5 * n.norm()});
  }
  if (facets.empty() || bounds.Size().norm() > options.max_extent) return std::nullopt;
  const double cos_tol = std::cos(options.normal_tolerance_deg * M_PI / 180.0);
  const double sin_tol = std::sin(options.normal_tolerance_deg * M_PI / 180.0);
  // The axes: the largest face's normal, then the largest face perpendicular to it.
  auto largest = [&](auto accept) -> const Facet* {
    const Facet* best = nullptr;
    for (const Facet& x : facets) {
      if (accept(x) && (!best || x.area > best->area)) best = &x;
    }
    return best;
  };
  const Vector3d a0 = largest([](const Facet&) { return true; })->normal;
  const Facet* second =
      largest([&](const Facet& x) { return std::abs(x.normal.dot(a0)) < sin_tol; });
  if (!second) return std::nullopt;  // one plane (or a prism): no box
  const Vector3d a1 = (second->normal - a0 * a0.dot(second->normal)).normalized();
  ElementBox box;
  box.axes.col(0) = a0;
  box.axes.col(1) = a1;
  box.axes.col(2) = a0.cross(a1);
  for (Facet& x : facets) {
    for (int k = 0; k < 3; ++k) {
      if (std::abs(x.normal.dot(box.axes.col(k))) >= cos_tol) x.axis = k;
    }
    if (x.axis < 0) return std::nullopt;  // a face along no axis: not a box
  }
  box.lo = Vector3d::Constant(std::numeric_limits<double>::infinity());
  box.hi = -box.lo;
  for (const auto f : *faces) {
    for (int k = 0; k < 3; ++k) {
      const Vector3d q = box.axes.transpose() * mesh.vertices[mesh.faces[f][k]].cast<double>();
      box.lo = box.lo.cwiseMin(q);
      box.hi = box.hi.cwiseMax(q);
    }
  }
  for (int k = 0; k < 3; ++k) {
    if (box.hi[k] - box.lo[k] <= 2 * options.plane_tolerance) return std::nullopt;  // flat
  }
  for (const Facet& x : facets) {
    const double d = box.axes.col(x.axis).dot(x.centroid);
    if (std::abs(d - box.lo[x.axis]) <= options.plane_tolerance) {
      box.side_observed_area[2 * x.axis] += x.area;
    } else if (std::abs(d - box.hi[x.axis]) <= options.plane_tolerance) {
      box.side_observed_area[2 * x.axis + 1] += x.area;
    } else {
      return std::nullopt;  // a face inside the box: a step, an L, not one board
    }
  }
  box.faces = std::move(*faces);
  return box;
}

std::vector<BoxCell> UnobservedBoxCells(const ElementBox& box, const Mesh& mesh, double cell,
                                        double tolerance) {
  Mesh element;
  for (const auto f : box.faces) {
    const auto first = std::uint32_t(element.vertices.size());
    for (int k = 0; k < 3; ++k) element.vertices.push_back(mesh.vertices[mesh.faces[f][k]]);
    element.faces.emplace_back(first, first + 1, first + 2);
  }
  const TriangleBvh observed(element);
  std::vector<BoxCell> cells;
  for (int side = 0; side < 6; ++side) {
    const int k = side / 2, u = (k + 1) % 3, w = (k + 2) % 3;
    const double plane = side % 2 == 1 ? box.hi[k] : box.lo[k];
    const int nu = std::max(1, int(std::ceil((box.hi[u] - box.lo[u]) / cell)));
    const int nw = std::max(1, int(std::ceil((box.hi[w] - box.lo[w]) / cell)));
    auto point = [&](int i, int j) {
      Vector3d q;
      q[k] = plane;
      q[u] = box.lo[u] + (box.hi[u] - box.lo[u]) * i / nu;
      q[w] = box.lo[w] + (box.hi[w] - box.lo[w]) * j / nw;
      return Vector3d(box.axes * q);
    };
    for (int j = 0; j < nw; ++j) {
      for (int i = 0; i < nu; ++i) {
        const Vector3d p00 = point(i, j), p10 = point(i + 1, j), p11 = point(i + 1, j + 1),
                       p01 = point(i, j + 1);
        // (u, w, k) is right-handed: p00 -> p10 -> p11 winds about +axis k.
        std::array<std::array<Vector3d, 3>, 2> tris = {{{p00, p10, p11}, {p00, p11, p01}}};
        for (auto& t : tris) {
          if (side % 2 == 0) std::swap(t[1], t[2]);
          if (observed.Closest((t[0] + t[1] + t[2]) / 3.0).distance <= tolerance) continue;
          cells.push_back({t, side});
        }
      }
    }
  }
  return cells;
}

}  // namespace muta::restore
