#include "reconstruct/tiles/lod_tree.h"

#include <array>
#include <cmath>
#include <map>
#include <set>

#include <catch2/catch.hpp>

#include "core/error.h"
#include "core/progress.h"

namespace muta::reconstruct {
namespace {

// A wavy 20 m x 20 m heightfield of 2 * n * n triangles; the triangles within 4 m of (3, 2)
// are inferred:smooth with confidence 0.5.
Mesh WavyGrid(int n) {
  Mesh mesh;
  for (int y = 0; y <= n; ++y) {
    for (int x = 0; x <= n; ++x) {
      const float u = 20.0f * float(x) / float(n) - 10, v = 20.0f * float(y) / float(n) - 10;
      mesh.vertices.emplace_back(u, v, 0.4f * std::sin(u) * std::cos(0.7f * v));
    }
  }
  auto id = [&](int x, int y) { return static_cast<std::uint32_t>(y * (n + 1) + x); };
  for (int y = 0; y < n; ++y) {
    for (int x = 0; x < n; ++x) {
      mesh.faces.emplace_back(id(x, y), id(x + 1, y), id(x + 1, y + 1));
      mesh.faces.emplace_back(id(x, y), id(x + 1, y + 1), id(x, y + 1));
    }
  }
  mesh.provenance.assign(mesh.NumFaces(), Provenance::kObserved);
  mesh.confidence.assign(mesh.NumFaces(), 1.0f);
  for (std::size_t f = 0; f < mesh.NumFaces(); ++f) {
    const Vec3f c = (mesh.vertices[mesh.faces[f][0]] + mesh.vertices[mesh.faces[f][1]] +
                     mesh.vertices[mesh.faces[f][2]]) /
                    3.0f;
    if ((c.head<2>() - Vec2f(3, 2)).norm() < 4) {
      mesh.provenance[f] = Provenance::kInferredSmooth;
      mesh.confidence[f] = 0.5f;
    }
  }
  mesh.ComputeVertexNormals();
  return mesh;
}

// Open edges of a set of triangles, vertices identified by position.
std::set<std::pair<std::uint32_t, std::uint32_t>> OpenEdges(
    const std::vector<Face>& faces, const std::vector<std::uint32_t>& weld) {
  std::map<std::pair<std::uint32_t, std::uint32_t>, int> count;
  for (const Face& f : faces) {
    for (int k = 0; k < 3; ++k) {
      const std::uint32_t a = weld[f[k]], b = weld[f[(k + 1) % 3]];
      ++count[{std::min(a, b), std::max(a, b)}];
    }
  }
  std::set<std::pair<std::uint32_t, std::uint32_t>> open;
  for (const auto& [edge, n] : count) {
    if (n == 1) open.insert(edge);
  }
  return open;
}

}  // namespace

TEST_CASE("BuildLodTree: levels without cracks, groups kept apart, errors monotone",
          "[unit][export]") {
  const Mesh mesh = WavyGrid(120);  // 28800 triangles
  LodOptions options;
  options.max_leaf_triangles = 2000;
  options.lod_error_m = 0.01;
  Progress progress(ProgressStyle::kQuiet);
  const LodTree tree = BuildLodTree(mesh, options, progress);
  REQUIRE(tree.depth == 4);
  REQUIRE(tree.nodes.size() == 31);
  REQUIRE(tree.groups.size() == 2);

  // Weld the split vertices back by position (the input grid has unique positions).
  std::map<std::array<float, 3>, std::uint32_t> ids;
  std::vector<std::uint32_t> weld(tree.mesh.NumVertices());
  for (std::size_t v = 0; v < weld.size(); ++v) {
    const Vec3f& p = tree.mesh.vertices[v];
    weld[v] = ids.emplace(std::array<float, 3>{p.x(), p.y(), p.z()},
                          static_cast<std::uint32_t>(ids.size()))
                  .first->second;
  }
  CHECK(ids.size() == mesh.NumVertices());

  // Per group, the open edges of every REPLACE cut equal the full resolution's: the grid's
  // outline plus the outline of the inferred patch. Also a mixed cut (root's left half at
  // depth 1, right half at the leaves).
  std::vector<std::vector<int>> cuts;
  for (int d = 0; d <= tree.depth; ++d) {
    std::vector<int> cut;
    for (std::size_t i = 0; i < tree.nodes.size(); ++i) {
      if (tree.nodes[i].depth == d) cut.push_back(static_cast<int>(i));
    }
    cuts.push_back(cut);
  }
  {
    std::vector<int> mixed = {tree.nodes[0].children[0]};
    std::vector<int> stack = {tree.nodes[0].children[1]};
    while (!stack.empty()) {
      const int i = stack.back();
      stack.pop_back();
      if (tree.nodes[std::size_t(i)].children.empty()) {
        mixed.push_back(i);
      } else {
        for (int c : tree.nodes[std::size_t(i)].children) stack.push_back(c);
      }
    }
    cuts.push_back(mixed);
  }
  for (std::uint32_t g = 0; g < tree.groups.size(); ++g) {
    auto faces_of = [&](const std::vector<int>& cut) {
      std::vector<Face> faces;
      for (int i : cut) {
        for (const Face& f : tree.nodes[std::size_t(i)].faces) {
          // Every vertex of a triangle belongs to its group: nothing blends.
          REQUIRE(tree.vertex_group[f[1]] == tree.vertex_group[f[0]]);
          REQUIRE(tree.vertex_group[f[2]] == tree.vertex_group[f[0]]);
          if (tree.FaceGroup(f) == g) faces.push_back(f);
        }
      }
      return faces;
    };
    const auto full = OpenEdges(faces_of(cuts[std::size_t(tree.depth)]), weld);
    REQUIRE(!full.empty());
    for (std::size_t c = 0; c < cuts.size(); ++c) {
      CAPTURE(g, c);
      const std::vector<Face> faces = faces_of(cuts[c]);
      CHECK(OpenEdges(faces, weld) == full);
      if (c == 0) CHECK(faces.size() < faces_of(cuts[std::size_t(tree.depth)]).size() / 2);
    }
  }

  for (const LodNode& node : tree.nodes) {
    CHECK(!node.faces.empty());
    if (node.children.empty()) {
      CHECK(node.geometric_error_m == 0);
      continue;
    }
    CHECK(node.content_error_m >= 0);
    // Within the level's bound: lod_error * 2^(levels above the leaves - 1), plus float slack.
    CHECK(node.content_error_m <=
          options.lod_error_m * std::ldexp(1.0, tree.depth - 1 - node.depth) * 1.01);
    for (int c : node.children) {
      const LodNode& child = tree.nodes[std::size_t(c)];
      CHECK(child.geometric_error_m <= node.geometric_error_m);
      CHECK((child.box.min.array() >= node.box.min.array()).all());
      CHECK((child.box.max.array() <= node.box.max.array()).all());
    }
  }
  CHECK(tree.nodes[0].geometric_error_m > 0);
}

TEST_CASE("LodOptions::Check names the bad field", "[unit][export]") {
  LodOptions o;
  o.max_leaf_triangles = 10;
  CHECK_THROWS_WITH(o.Check(), Catch::Contains("max_leaf_triangles"));
  o = {};
  o.lod_error_m = 0;
  CHECK_THROWS_WITH(o.Check(), Catch::Contains("lod_error_m"));
  o = {};
  o.reduction = 1;
  CHECK_THROWS_WITH(o.Check(), Catch::Contains("reduction"));
  Progress progress(ProgressStyle::kQuiet);
  CHECK_THROWS_WITH(BuildLodTree(Mesh{}, LodOptions{}, progress), Catch::Contains("no triangles"));
}

}  // namespace muta::reconstruct
