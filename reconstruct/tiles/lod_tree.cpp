// The LOD hierarchy: provenance groups, vertex splitting at group borders, the balanced k-d
// tiling and per-level simplification with locked borders.

#include "reconstruct/tiles/lod_tree.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <tuple>
#include <unordered_map>

#include <meshoptimizer.h>
#include <spdlog/spdlog.h>
#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_for.h>

#include "core/error.h"
#include "core/progress.h"
#include "core/site_io.h"

namespace muta::reconstruct {
namespace {

constexpr std::uint32_t kUnset = std::numeric_limits<std::uint32_t>::max();

// Face index ranges of the k-d tree over a permutation of the faces.
struct Range {
  std::size_t begin = 0;
  std::size_t end = 0;
};

Vec3f Centroid(const Mesh& mesh, const Face& f) {
  return (mesh.vertices[f[0]] + mesh.vertices[f[1]] + mesh.vertices[f[2]]) / 3.0f;
}

// Splits `range` of `order` at its median along the longest axis of the centroid bounds.
std::pair<Range, Range> SplitRange(const Mesh& mesh, std::vector<std::uint32_t>& order,
                                   Range range) {
  Box3f bounds;
  for (std::size_t i = range.begin; i < range.end; ++i) {
    bounds.Extend(Centroid(mesh, mesh.faces[order[i]]));
  }
  int axis = 0;
  bounds.Size().maxCoeff(&axis);
  const std::size_t mid = range.begin + (range.end - range.begin) / 2;
  std::nth_element(
      order.begin() + std::ptrdiff_t(range.begin), order.begin() + std::ptrdiff_t(mid),
      order.begin() + std::ptrdiff_t(range.end), [&](std::uint32_t a, std::uint32_t b) {
        return Centroid(mesh, mesh.faces[a])[axis] < Centroid(mesh, mesh.faces[b])[axis];
      });
  return {{range.begin, mid}, {mid, range.end}};
}

// Per-thread scratch for compacting a group's vertices.
struct Scratch {
  std::vector<std::uint32_t> local_of;  // global vertex -> local index, kUnset when unused
  std::vector<std::uint32_t> global_of;
  std::vector<float> positions;
  std::vector<std::uint32_t> indices;
  std::vector<std::uint32_t> result;
};

// Simplifies the triangles `faces` (all of one group) towards `reduction` of their count
// within `error_m`, borders locked. Appends the result to `out`; returns the error in metres.
double SimplifyGroup(const LodTree& tree, const std::vector<Face>& faces, double reduction,
                     double error_m, Scratch& s, std::vector<Face>& out) {
  const std::size_t nv_global = tree.mesh.vertices.size();
  if (s.local_of.size() != nv_global) s.local_of.assign(nv_global, kUnset);
  s.global_of.clear();
  s.positions.clear();
  s.indices.clear();
  for (const Face& f : faces) {
    for (int k = 0; k < 3; ++k) {
      std::uint32_t& local = s.local_of[f[k]];
      if (local == kUnset) {
        local = static_cast<std::uint32_t>(s.global_of.size());
        s.global_of.push_back(f[k]);
        const Vec3f& p = tree.mesh.vertices[f[k]];
        s.positions.insert(s.positions.end(), {p.x(), p.y(), p.z()});
      }
      s.indices.push_back(local);
    }
  }
  for (std::uint32_t g : s.global_of) s.local_of[g] = kUnset;  // leave the scratch clean

  const std::size_t nv = s.global_of.size();
  const float scale = meshopt_simplifyScale(s.positions.data(), nv, 3 * sizeof(float));
  double error_out_m = 0;
  std::size_t count = s.indices.size();
  const std::uint32_t* result = s.indices.data();
  if (scale > 0 && std::isfinite(scale)) {
    const std::size_t target =
        std::max<std::size_t>(3, std::size_t(double(faces.size()) * reduction) * 3);
    s.result.resize(s.indices.size());
    float error_rel = 0;
    count =
        meshopt_simplify(s.result.data(), s.indices.data(), s.indices.size(), s.positions.data(),
                         nv, 3 * sizeof(float), target, static_cast<float>(error_m / scale),
                         meshopt_SimplifyLockBorder, &error_rel);
    result = s.result.data();
    error_out_m = double(error_rel) * scale;
  }
  for (std::size_t i = 0; i + 2 < count; i += 3) {
    out.emplace_back(s.global_of[result[i]], s.global_of[result[i + 1]],
                     s.global_of[result[i + 2]]);
  }
  return error_out_m;
}

// The content of an inner node: its children's content, simplified group by group.
void SimplifyNode(LodTree& tree, LodNode& node, const LodOptions& options, double error_m,
                  Scratch& scratch) {
  std::map<std::uint32_t, std::vector<Face>> by_group;
  for (int c : node.children) {
    for (const Face& f : tree.nodes[std::size_t(c)].faces) by_group[tree.FaceGroup(f)].push_back(f);
  }
  node.faces.clear();
  node.content_error_m = 0;
  for (auto& [group, faces] : by_group) {
    if (faces.size() < options.min_group_triangles) {
      node.faces.insert(node.faces.end(), faces.begin(), faces.end());
      continue;
    }
    const double e = SimplifyGroup(tree, faces, options.reduction, error_m, scratch, node.faces);
    node.content_error_m = std::max(node.content_error_m, e);
  }
}

Box3f FacesBox(const Mesh& mesh, const std::vector<Face>& faces) {
  Box3f box;
  for (const Face& f : faces) {
    for (int k = 0; k < 3; ++k) box.Extend(mesh.vertices[f[k]]);
  }
  return box;
}

}  // namespace

void LodOptions::Check() const {
  MUTA_CHECK(max_leaf_triangles >= 64)
      << "LodOptions.max_leaf_triangles must be at least 64, not " << max_leaf_triangles;
  MUTA_CHECK(std::isfinite(lod_error_m) && lod_error_m > 0)
      << "LodOptions.lod_error_m must be > 0 metres, not " << lod_error_m;
  MUTA_CHECK(reduction > 0 && reduction < 1)
      << "LodOptions.reduction must be in (0, 1), not " << reduction;
  MUTA_CHECK(confidence_steps >= 1 && confidence_steps <= 1000)
      << "LodOptions.confidence_steps must be in 1..1000, not " << confidence_steps;
  MUTA_CHECK(max_depth >= 0 && max_depth <= 24)
      << "LodOptions.max_depth must be in 0..24, not " << max_depth;
}

std::vector<std::uint32_t> GroupFaces(const Mesh& mesh, int confidence_steps,
                                      std::vector<ProvenanceGroup>& groups) {
  const ExtraProperty* source = nullptr;
  for (const ExtraProperty& e : mesh.face_extra) {
    if (e.name == kSourceFaceExtra && e.values.size() == mesh.NumFaces()) source = &e;
  }
  using Key = std::tuple<int, int, std::int32_t>;
  std::map<Key, std::uint32_t> ids;
  groups.clear();
  std::vector<std::uint32_t> face_group(mesh.NumFaces());
  Key last_key{-1, -1, 0};
  std::uint32_t last_id = kUnset;
  for (std::size_t f = 0; f < mesh.NumFaces(); ++f) {
    const Provenance p = mesh.provenance.empty() ? Provenance::kObserved : mesh.provenance[f];
    const float c = mesh.confidence.empty() ? 1.0f : mesh.confidence[f];
    const int level = static_cast<int>(
        std::lround(std::clamp(std::isfinite(c) ? c : 0.0f, 0.0f, 1.0f) * confidence_steps));
    const double raw_source = source != nullptr ? source->values[f] : -1.0;
    const std::int32_t src =
        std::isfinite(raw_source) && raw_source >= 0 && raw_source <= 2147483647.0
            ? static_cast<std::int32_t>(raw_source)
            : kNoSource;
    const Key key{static_cast<int>(p), level, src};
    if (key != last_key) {
      auto [it, inserted] = ids.emplace(key, static_cast<std::uint32_t>(groups.size()));
      if (inserted) {
        groups.push_back(
            {p, static_cast<float>(level) / static_cast<float>(confidence_steps), src});
      }
      last_key = key;
      last_id = it->second;
    }
    face_group[f] = last_id;
  }
  return face_group;
}

LodTree BuildLodTree(const Mesh& input, const LodOptions& options, Progress& progress) {
  options.Check();
  input.Check();
  MUTA_CHECK(input.NumFaces() > 0) << "the mesh has no triangles; nothing to tile";
  MUTA_CHECK(input.NumFaces() < std::size_t{1} << 31)
      << "the mesh has " << input.NumFaces() << " triangles; Muta tiles at most 2^31";
  const auto start = std::chrono::steady_clock::now();

  LodTree tree;
  const std::vector<std::uint32_t> face_group =
      GroupFaces(input, options.confidence_steps, tree.groups);

  // Vertices shared by two groups are duplicated, one copy per group.
  Mesh& mesh = tree.mesh;
  mesh.vertices = input.vertices;
  mesh.normals = input.normals;
  mesh.colors = input.colors;
  mesh.uvs = input.uvs;
  tree.vertex_group.assign(mesh.vertices.size(), kUnset);
  std::unordered_map<std::uint64_t, std::uint32_t> copies;  // (vertex << 32 | group) -> copy
  mesh.faces.resize(input.NumFaces());
  for (std::size_t f = 0; f < input.NumFaces(); ++f) {
    const std::uint32_t g = face_group[f];
    Face face = input.faces[f];
    for (int k = 0; k < 3; ++k) {
      const std::uint32_t v = face[k];
      if (tree.vertex_group[v] == kUnset) tree.vertex_group[v] = g;
      if (tree.vertex_group[v] == g) continue;
      auto [it, inserted] = copies.emplace((std::uint64_t{v} << 32) | g,
                                           static_cast<std::uint32_t>(mesh.NumVertices()));
      if (inserted) {
        MUTA_CHECK(mesh.NumVertices() < kUnset) << "too many vertices after splitting groups";
        mesh.vertices.push_back(mesh.vertices[v]);
        if (!mesh.normals.empty()) mesh.normals.push_back(mesh.normals[v]);
        if (!mesh.colors.empty()) mesh.colors.push_back(mesh.colors[v]);
        if (!mesh.uvs.empty()) mesh.uvs.push_back(mesh.uvs[v]);
        tree.vertex_group.push_back(g);
      }
      face[k] = it->second;
    }
    mesh.faces[f] = face;
  }
  // Unused vertices keep kUnset; give them group 0 so that the array is valid everywhere.
  for (std::uint32_t& g : tree.vertex_group) {
    if (g == kUnset) g = 0;
  }

  // Balanced k-d tree to one depth.
  const std::size_t n = mesh.NumFaces();
  int depth = 0;
  while (depth < options.max_depth && (n >> depth) > options.max_leaf_triangles) ++depth;
  // Guard against ranges too small to split (only possible with tiny meshes).
  while (depth > 0 && (n >> depth) < 1) --depth;
  tree.depth = depth;
  std::vector<std::uint32_t> order(n);
  std::iota(order.begin(), order.end(), 0u);
  std::vector<Range> ranges = {{0, n}};
  tree.nodes.push_back({});
  for (int d = 0; d < depth; ++d) {
    const std::size_t first = tree.nodes.size() - ranges.size();
    std::vector<Range> next(ranges.size() * 2);
    tbb::parallel_for(std::size_t{0}, ranges.size(), [&](std::size_t i) {
      std::tie(next[2 * i], next[2 * i + 1]) = SplitRange(mesh, order, ranges[i]);
    });
    for (std::size_t i = 0; i < ranges.size(); ++i) {
      for (int c = 0; c < 2; ++c) {
        LodNode child;
        child.depth = d + 1;
        child.parent = static_cast<int>(first + i);
        tree.nodes[first + i].children.push_back(static_cast<int>(tree.nodes.size()));
        tree.nodes.push_back(std::move(child));
      }
    }
    ranges = std::move(next);
  }
  const std::size_t first_leaf = tree.nodes.size() - ranges.size();
  progress.Begin("lod", tree.nodes.size(), "tiles");
  tbb::parallel_for(std::size_t{0}, ranges.size(), [&](std::size_t i) {
    LodNode& leaf = tree.nodes[first_leaf + i];
    leaf.faces.reserve(ranges[i].end - ranges[i].begin);
    for (std::size_t k = ranges[i].begin; k < ranges[i].end; ++k) {
      leaf.faces.push_back(mesh.faces[order[k]]);
    }
    leaf.box = FacesBox(mesh, leaf.faces);
    progress.Advance();
  });
  order = {};

  // Inner levels, deepest first; the nodes of one level in parallel.
  tbb::enumerable_thread_specific<Scratch> scratch;
  std::size_t level_end = first_leaf;
  for (int d = depth - 1; d >= 0; --d) {
    CheckInterrupted();
    const std::size_t level_begin = level_end - (std::size_t{1} << d);
    const double error_m = options.lod_error_m * std::ldexp(1.0, depth - 1 - d);
    tbb::parallel_for(level_begin, level_end, [&](std::size_t i) {
      if (InterruptRequested()) return;
      LodNode& node = tree.nodes[i];
      SimplifyNode(tree, node, options, error_m, scratch.local());
      node.box = FacesBox(mesh, node.faces);
      double child_error = 0;
      for (int c : node.children) {
        const LodNode& child = tree.nodes[std::size_t(c)];
        node.box.Extend(child.box.min);
        node.box.Extend(child.box.max);
        child_error = std::max(child_error, child.geometric_error_m);
      }
      node.geometric_error_m = node.content_error_m + child_error;
      progress.Advance();
    });
    CheckInterrupted();
    level_end = level_begin;
  }
  progress.End();
  tree.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  spdlog::debug("lod: {} triangles, {} groups, depth {}, {} nodes, {:.2f} s", n, tree.groups.size(),
                depth, tree.nodes.size(), tree.seconds);
  return tree;
}

}  // namespace muta::reconstruct
