#include "core/bvh_build.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <numeric>

#include <Eigen/Geometry>

#include "core/error.h"

namespace muta::bvh {
namespace {

constexpr std::uint32_t kMaxLeafSize = 4;  // always split above this many triangles...
constexpr std::uint32_t kSahLeafSize = 8;  // ...unless SAH says a leaf is cheaper
constexpr int kNumBins = 16;
// Below this depth splits follow SAH; deeper they halve the triangle count, so the tree is
// never deeper than kSahDepth + 32.
constexpr int kSahDepth = 64;

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

}  // namespace

Tree BuildTree(const Mesh& mesh) {
  const std::size_t nf = mesh.faces.size(), nv = mesh.vertices.size();
  MUTA_CHECK(nf < std::numeric_limits<std::uint32_t>::max())
      << "mesh has too many faces (" << nf << ") for a BVH";
  Tree tree;
  if (nf == 0) return tree;
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
  tree.order.resize(nf);
  std::iota(tree.order.begin(), tree.order.end(), 0u);

  struct Task {
    std::uint32_t node, begin, end;
    int depth;
  };
  tree.nodes.reserve(2 * nf / kMaxLeafSize + 1);
  tree.nodes.push_back({});
  std::vector<Task> tasks = {{0, 0, std::uint32_t(nf), 0}};
  while (!tasks.empty()) {
    const Task task = tasks.back();
    tasks.pop_back();
    tree.depth = std::max(tree.depth, task.depth);
    MUTA_INTERNAL_CHECK(task.depth < kMaxDepth) << "BVH too deep (" << task.depth << ")";
    Bounds box, centroid_box;
    for (std::uint32_t i = task.begin; i < task.end; ++i) {
      box.Extend(lo[tree.order[i]], hi[tree.order[i]]);
      centroid_box.Extend(centroids[tree.order[i]], centroids[tree.order[i]]);
    }
    Node& node = tree.nodes[task.node];
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
          const std::uint32_t t = tree.order[i];
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
      mid = std::uint32_t(
          std::partition(tree.order.begin() + task.begin, tree.order.begin() + task.end,
                         [&](std::uint32_t t) {
                           return BinOf(centroids[t][best_axis], axis_lo, scale) < best_split;
                         }) -
          tree.order.begin());
    }
    if (mid == task.begin || mid == task.end) {
      // Median split on the widest centroid axis (or any halving if all centroids coincide).
      int axis = 0;
      extent.maxCoeff(&axis);
      mid = task.begin + count / 2;
      std::nth_element(tree.order.begin() + task.begin, tree.order.begin() + mid,
                       tree.order.begin() + task.end, [&](std::uint32_t a, std::uint32_t b) {
                         return centroids[a][axis] < centroids[b][axis];
                       });
    }
    const auto left = std::uint32_t(tree.nodes.size());
    tree.nodes.push_back({});
    tree.nodes.push_back({});
    Node& parent = tree.nodes[task.node];  // re-fetched: push_back may reallocate
    parent.first = left;
    parent.count = 0;
    tasks.push_back({left, task.begin, mid, task.depth + 1});
    tasks.push_back({left + 1, mid, task.end, task.depth + 1});
  }
  return tree;
}

}  // namespace muta::bvh
