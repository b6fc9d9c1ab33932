#include "core/closest_point.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <numeric>

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <Eigen/Geometry>
#include <nanoflann.hpp>

#include "core/error.h"

namespace muta {
namespace {

// One entry per level at most (core/bvh_build.h bounds the depth).
constexpr int kStackSize = bvh::kMaxDepth + 2;
constexpr std::size_t kGrain = 256;  // queries per parallel task

Eigen::Vector3d ClosestPointOnSegment(const Eigen::Vector3d& p, const Eigen::Vector3d& a,
                                      const Eigen::Vector3d& b) {
  const Eigen::Vector3d ab = b - a;
  const double len2 = ab.squaredNorm();
  if (!(len2 > 0)) return a;
  const double t = std::clamp((p - a).dot(ab) / len2, 0.0, 1.0);
  return a + t * ab;
}

template <typename Node>
double BoxDistance2(const Node& node, const Eigen::Vector3d& q) {
  double d2 = 0;
  for (int k = 0; k < 3; ++k) {
    const double below = double(node.lo[k]) - q[k];
    const double above = q[k] - double(node.hi[k]);
    const double d = std::max({below, above, 0.0});
    d2 += d * d;
  }
  return d2;
}

// out[i] = fn(queries[i]) in parallel, with progress and interrupt checks per chunk.
template <typename T, typename Fn>
std::vector<T> ParallelMap(std::span<const Vec3f> queries, Progress* progress, const Fn& fn) {
  std::vector<T> out(queries.size());
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, queries.size(), kGrain),
                    [&](const tbb::blocked_range<std::size_t>& range) {
                      CheckInterrupted();
                      for (std::size_t i = range.begin(); i < range.end(); ++i) {
                        out[i] = fn(queries[i]);
                      }
                      if (progress != nullptr) progress->Advance(range.size());
                    });
  return out;
}

}  // namespace

Eigen::Vector3d ClosestPointOnTriangle(const Eigen::Vector3d& p, const Eigen::Vector3d& a,
                                       const Eigen::Vector3d& b, const Eigen::Vector3d& c) {
  // Voronoi-region walk (Ericson, Real-Time Collision Detection, 5.1.5).
  const Eigen::Vector3d ab = b - a, ac = c - a, bc = c - b;
  const double scale2 = std::max({ab.squaredNorm(), ac.squaredNorm(), bc.squaredNorm()});
  if (!(ab.cross(ac).squaredNorm() > 1e-12 * scale2 * scale2)) {
    // (Nearly) degenerate, narrower than 1e-6 of its longest edge, where the barycentric
    // arithmetic below cancels badly: the closest point of the three edges.
    const Eigen::Vector3d candidates[3] = {ClosestPointOnSegment(p, a, b),
                                           ClosestPointOnSegment(p, b, c),
                                           ClosestPointOnSegment(p, c, a)};
    int best = 0;
    for (int k = 1; k < 3; ++k) {
      if ((candidates[k] - p).squaredNorm() < (candidates[best] - p).squaredNorm()) best = k;
    }
    return candidates[best];
  }
  const Eigen::Vector3d ap = p - a;
  const double d1 = ab.dot(ap), d2 = ac.dot(ap);
  if (d1 <= 0 && d2 <= 0) return a;
  const Eigen::Vector3d bp = p - b;
  const double d3 = ab.dot(bp), d4 = ac.dot(bp);
  if (d3 >= 0 && d4 <= d3) return b;
  const double vc = d1 * d4 - d3 * d2;
  if (vc <= 0 && d1 >= 0 && d3 <= 0) return a + (d1 / (d1 - d3)) * ab;
  const Eigen::Vector3d cp = p - c;
  const double d5 = ab.dot(cp), d6 = ac.dot(cp);
  if (d6 >= 0 && d5 <= d6) return c;
  const double vb = d5 * d2 - d1 * d6;
  if (vb <= 0 && d2 >= 0 && d6 <= 0) return a + (d2 / (d2 - d6)) * ac;
  const double va = d3 * d6 - d5 * d4;
  if (va <= 0 && d4 - d3 >= 0 && d5 - d6 >= 0) {
    return b + ((d4 - d3) / ((d4 - d3) + (d5 - d6))) * bc;
  }
  const double denom = 1.0 / (va + vb + vc);
  return a + ab * (vb * denom) + ac * (vc * denom);
}

// ---------------------------------------------------------------------------------------------
// TriangleBvh

TriangleBvh::TriangleBvh(const Mesh& mesh) {
  MUTA_CHECK(!mesh.faces.empty())
      << "closest-point queries need a mesh with faces; this one has none";
  bvh::Tree tree = bvh::BuildTree(mesh);
  nodes_ = std::move(tree.nodes);
  const std::size_t nf = tree.order.size();
  corners_.resize(3 * nf);
  faces_.resize(nf);
  for (std::size_t i = 0; i < nf; ++i) {
    const Face& face = mesh.faces[tree.order[i]];
    for (int k = 0; k < 3; ++k) corners_[3 * i + k] = mesh.vertices[face[k]];
    faces_[i] = tree.order[i];
  }
}

ClosestPoint TriangleBvh::Closest(const Eigen::Vector3d& query) const {
  ClosestPoint best;
  double best_d2 = std::numeric_limits<double>::infinity();
  struct Entry {
    std::uint32_t node;
    double d2;
  };
  std::array<Entry, kStackSize> stack;
  int size = 0;
  std::uint32_t node_index = 0;
  double node_d2 = BoxDistance2(nodes_[0], query);
  while (true) {
    if (node_d2 < best_d2) {
      const Node& node = nodes_[node_index];
      if (node.count > 0) {
        for (std::uint32_t i = node.first; i < node.first + node.count; ++i) {
          const Eigen::Vector3d p = ClosestPointOnTriangle(query, corners_[3 * i].cast<double>(),
                                                           corners_[3 * i + 1].cast<double>(),
                                                           corners_[3 * i + 2].cast<double>());
          const double d2 = (p - query).squaredNorm();
          if (d2 < best_d2) {
            best_d2 = d2;
            best.point = p;
            best.face = faces_[i];
          }
        }
      } else {
        std::uint32_t near = node.first, far = node.first + 1;
        double near_d2 = BoxDistance2(nodes_[near], query);
        double far_d2 = BoxDistance2(nodes_[far], query);
        if (far_d2 < near_d2) {
          std::swap(near, far);
          std::swap(near_d2, far_d2);
        }
        if (far_d2 < best_d2) stack[size++] = {far, far_d2};
        node_index = near;
        node_d2 = near_d2;
        continue;
      }
    }
    if (size == 0) break;
    --size;
    node_index = stack[size].node;
    node_d2 = stack[size].d2;
  }
  best.distance = std::sqrt(best_d2);
  return best;
}

std::vector<ClosestPoint> ClosestPointsOnMesh(const TriangleBvh& bvh,
                                              std::span<const Vec3f> queries, Progress* progress) {
  return ParallelMap<ClosestPoint>(queries, progress,
                                   [&](const Vec3f& q) { return bvh.Closest(q.cast<double>()); });
}

std::vector<double> DistancesToMesh(const TriangleBvh& bvh, std::span<const Vec3f> queries,
                                    Progress* progress) {
  return ParallelMap<double>(
      queries, progress, [&](const Vec3f& q) { return bvh.Closest(q.cast<double>()).distance; });
}

// ---------------------------------------------------------------------------------------------
// PointIndex (nanoflann k-d tree)

namespace {

struct PointAdaptor {
  std::vector<Vec3f> points;
  std::size_t kdtree_get_point_count() const { return points.size(); }
  float kdtree_get_pt(std::uint32_t i, std::size_t dim) const {
    return points[i][Eigen::Index(dim)];
  }
  template <class Box>
  bool kdtree_get_bbox(Box&) const {
    return false;
  }
};

using KdTree =
    nanoflann::KDTreeSingleIndexAdaptor<nanoflann::L2_Simple_Adaptor<float, PointAdaptor>,
                                        PointAdaptor, 3, std::uint32_t>;

PointAdaptor CheckedPoints(std::span<const Vec3f> points) {
  MUTA_CHECK(!points.empty()) << "nearest-point queries need at least one point";
  MUTA_CHECK(points.size() < kInvalidIndex)
      << "too many points (" << points.size() << ") for the k-d tree";
  for (std::size_t i = 0; i < points.size(); ++i) {
    MUTA_CHECK(points[i].allFinite()) << "point " << i << " is not finite";
  }
  return PointAdaptor{{points.begin(), points.end()}};
}

}  // namespace

struct PointIndex::Impl {
  explicit Impl(std::span<const Vec3f> points)
      : data(CheckedPoints(points)), tree(3, data, nanoflann::KDTreeSingleIndexAdaptorParams(10)) {}
  PointAdaptor data;  // declared before `tree`, which keeps a reference to it
  KdTree tree;
};

PointIndex::PointIndex(std::span<const Vec3f> points) : impl_(std::make_unique<Impl>(points)) {}
PointIndex::~PointIndex() = default;
PointIndex::PointIndex(PointIndex&&) noexcept = default;
PointIndex& PointIndex::operator=(PointIndex&&) noexcept = default;

std::size_t PointIndex::size() const {
  return impl_->data.points.size();
}

NearestPoint PointIndex::Nearest(const Eigen::Vector3d& query) const {
  const Vec3f q = query.cast<float>();
  std::uint32_t index = 0;
  float d2 = 0;
  const std::size_t found = impl_->tree.knnSearch(q.data(), 1, &index, &d2);
  MUTA_INTERNAL_CHECK(found == 1) << "k-d tree query found nothing";
  NearestPoint out;
  out.index = index;
  out.distance = (impl_->data.points[index].cast<double>() - query).norm();
  return out;
}

std::vector<double> DistancesToPoints(const PointIndex& index, std::span<const Vec3f> queries,
                                      Progress* progress) {
  return ParallelMap<double>(
      queries, progress, [&](const Vec3f& q) { return index.Nearest(q.cast<double>()).distance; });
}

}  // namespace muta
