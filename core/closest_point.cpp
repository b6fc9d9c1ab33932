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

constexpr std::uint32_t kMaxLeafSize = 4;  // always split above this many triangles...
constexpr std::uint32_t kSahLeafSize = 8;  // ...unless SAH says a leaf is cheaper
constexpr int kNumBins = 16;
// Below this depth splits follow SAH; deeper they halve the triangle count, so the tree is
// never deeper than kSahDepth + 32 and the query stack below cannot overflow.
constexpr int kSahDepth = 64;
constexpr int kStackSize = 128;
constexpr std::size_t kGrain = 256;  // queries per parallel task

Eigen::Vector3d ClosestPointOnSegment(const Eigen::Vector3d& p, const Eigen::Vector3d& a,
                                      const Eigen::Vector3d& b) {
  const Eigen::Vector3d ab = b - a;
  const double len2 = ab.squaredNorm();
  if (!(len2 > 0)) return a;
  const double t = std::clamp((p - a).dot(ab) / len2, 0.0, 1.0);
  return a + t * ab;
}

struct Bounds {
  Vec3f lo = Vec3f::Constant(std::numeric_limits<float>::max());
  Vec3f hi = Vec3f::Constant(std::numeric_limits<float>::lowest());
  void Extend(const Vec3f& l, const Vec3f& h) {
    lo = lo.cwiseMin(l);
    hi = hi.cwiseMax(h);
  }
  // Surface area, computed in double (0 for an empty box).
  double Area() const {
    if ((lo.array() > hi.array()).any()) return 0;
    const Eigen::Vector3d d = (hi - lo).cast<double>();
    return 2.0 * (d.x() * d.y() + d.y() * d.z() + d.z() * d.x());
  }
};

// Bin of a centroid coordinate; the same function is used for binning and partitioning.
int BinOf(float c, float lo, double scale) {
  const int bin = static_cast<int>((double(c) - lo) * scale);
  return std::clamp(bin, 0, kNumBins - 1);
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
  const std::size_t nf = mesh.faces.size(), nv = mesh.vertices.size();
  MUTA_CHECK(nf > 0) << "closest-point queries need a mesh with faces; this one has none";
  MUTA_CHECK(nf < kInvalidIndex) << "mesh has too many faces (" << nf << ") for the BVH";
  std::vector<Vec3f> centroids(nf), lo(nf), hi(nf);
  for (std::size_t f = 0; f < nf; ++f) {
    const Face& face = mesh.faces[f];
    for (int k = 0; k < 3; ++k) {
      MUTA_CHECK(face[k] < nv) << "mesh: face " << f << " refers to vertex " << face[k]
                               << " but there are only " << nv << " vertices";
      MUTA_CHECK(mesh.vertices[face[k]].allFinite())
          << "mesh: vertex " << face[k] << " (of face " << f << ") is not finite";
    }
    const Vec3f& a = mesh.vertices[face[0]];
    const Vec3f& b = mesh.vertices[face[1]];
    const Vec3f& c = mesh.vertices[face[2]];
    lo[f] = a.cwiseMin(b).cwiseMin(c);
    hi[f] = a.cwiseMax(b).cwiseMax(c);
    centroids[f] = (a + b + c) / 3.0f;
  }
  std::vector<std::uint32_t> order(nf);
  std::iota(order.begin(), order.end(), 0u);
  Build(order, centroids, lo, hi);

  corners_.resize(3 * nf);
  faces_.resize(nf);
  for (std::size_t i = 0; i < nf; ++i) {
    const Face& face = mesh.faces[order[i]];
    for (int k = 0; k < 3; ++k) corners_[3 * i + k] = mesh.vertices[face[k]];
    faces_[i] = order[i];
  }
}

void TriangleBvh::Build(std::vector<std::uint32_t>& order, const std::vector<Vec3f>& centroids,
                        const std::vector<Vec3f>& lo, const std::vector<Vec3f>& hi) {
  struct Task {
    std::uint32_t node, begin, end;
    int depth;
  };
  nodes_.clear();
  nodes_.reserve(2 * order.size() / kMaxLeafSize + 1);
  nodes_.push_back({});
  std::vector<Task> tasks = {{0, 0, std::uint32_t(order.size()), 0}};
  while (!tasks.empty()) {
    const Task task = tasks.back();
    tasks.pop_back();
    MUTA_INTERNAL_CHECK(task.depth < kStackSize - 1) << "BVH too deep";
    Bounds box, centroid_box;
    for (std::uint32_t i = task.begin; i < task.end; ++i) {
      box.Extend(lo[order[i]], hi[order[i]]);
      centroid_box.Extend(centroids[order[i]], centroids[order[i]]);
    }
    Node& node = nodes_[task.node];
    for (int k = 0; k < 3; ++k) {
      node.lo[k] = box.lo[k];
      node.hi[k] = box.hi[k];
    }
    const std::uint32_t count = task.end - task.begin;
    node.first = task.begin;
    node.count = count;
    if (count <= kMaxLeafSize) continue;

    // Binned SAH: the cheapest of (kNumBins - 1) planes per axis.
    const Vec3f extent = centroid_box.hi - centroid_box.lo;
    int best_axis = -1, best_split = 0;
    double best_cost = std::numeric_limits<double>::infinity();
    if (task.depth < kSahDepth) {
      for (int axis = 0; axis < 3; ++axis) {
        if (!(extent[axis] > 0)) continue;
        const double scale = kNumBins / double(extent[axis]);
        std::array<Bounds, kNumBins> bins;
        std::array<std::uint32_t, kNumBins> counts{};
        for (std::uint32_t i = task.begin; i < task.end; ++i) {
          const std::uint32_t t = order[i];
          const int bin = BinOf(centroids[t][axis], centroid_box.lo[axis], scale);
          bins[bin].Extend(lo[t], hi[t]);
          ++counts[bin];
        }
        // right_cost[s]: area * count of bins [s, kNumBins).
        std::array<double, kNumBins> right_cost{};
        Bounds right;
        std::uint32_t right_count = 0;
        for (int s = kNumBins - 1; s > 0; --s) {
          right.Extend(bins[s].lo, bins[s].hi);
          right_count += counts[s];
          right_cost[s] = right.Area() * right_count;
        }
        Bounds left;
        std::uint32_t left_count = 0;
        for (int s = 1; s < kNumBins; ++s) {
          left.Extend(bins[s - 1].lo, bins[s - 1].hi);
          left_count += counts[s - 1];
          if (left_count == 0 || left_count == count) continue;
          const double cost = left.Area() * left_count + right_cost[s];
          if (cost < best_cost) {
            best_cost = cost;
            best_axis = axis;
            best_split = s;
          }
        }
      }
    }
    // Leaf if splitting does not pay (traversal cost 1, triangle test cost 1).
    const double area = box.Area();
    if (best_axis >= 0 && count <= kSahLeafSize && area > 0 && 1.0 + best_cost / area >= count) {
      continue;
    }

    std::uint32_t mid = task.begin;
    if (best_axis >= 0) {
      const double scale = kNumBins / double(extent[best_axis]);
      const float axis_lo = centroid_box.lo[best_axis];
      mid = std::uint32_t(std::partition(order.begin() + task.begin, order.begin() + task.end,
                                         [&](std::uint32_t t) {
                                           return BinOf(centroids[t][best_axis], axis_lo, scale) <
                                                  best_split;
                                         }) -
                          order.begin());
    }
    if (mid == task.begin || mid == task.end) {
      // Median split on the widest centroid axis (or any halving if all centroids coincide).
      int axis = 0;
      extent.maxCoeff(&axis);
      mid = task.begin + count / 2;
      std::nth_element(order.begin() + task.begin, order.begin() + mid, order.begin() + task.end,
                       [&](std::uint32_t a, std::uint32_t b) {
                         return centroids[a][axis] < centroids[b][axis];
                       });
    }
    const auto left = std::uint32_t(nodes_.size());
    nodes_.push_back({});
    nodes_.push_back({});
    Node& parent = nodes_[task.node];  // re-fetched: push_back may reallocate
    parent.first = left;
    parent.count = 0;
    tasks.push_back({left, task.begin, mid, task.depth + 1});
    tasks.push_back({left + 1, mid, task.end, task.depth + 1});
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
