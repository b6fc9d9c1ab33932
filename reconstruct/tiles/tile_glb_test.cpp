// Tile .glb encoding with EXT_meshopt_compression: what core's reader decodes equals the
// uncompressed tile, and damaged compressed data is refused with a clear error, never a crash.
#include "reconstruct/tiles/tile_glb.h"

#include <cmath>
#include <cstring>
#include <random>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/progress.h"
#include "core/site_io.h"
#include "tests/glb_test_util.h"

namespace muta::reconstruct {
namespace {

using muta::test::Le32;

using Catch::Contains;
using OJson = nlohmann::json;

// A wavy 10 m x 10 m grid with normals, colours and UVs in [0, 1].
Mesh Grid(int n) {
  Mesh mesh;
  for (int y = 0; y <= n; ++y) {
    for (int x = 0; x <= n; ++x) {
      const float u = float(x) / float(n), v = float(y) / float(n);
      mesh.vertices.emplace_back(10 * u, 10 * v, 0.3f * std::sin(7 * u) * std::cos(5 * v));
      mesh.colors.emplace_back(std::uint8_t(255 * u), std::uint8_t(255 * v), 90);
      mesh.uvs.emplace_back(u, v);
    }
  }
  auto id = [&](int x, int y) { return static_cast<std::uint32_t>(y * (n + 1) + x); };
  for (int y = 0; y < n; ++y) {
    for (int x = 0; x < n; ++x) {
      mesh.faces.emplace_back(id(x, y), id(x + 1, y), id(x + 1, y + 1));
      mesh.faces.emplace_back(id(x, y), id(x + 1, y + 1), id(x, y + 1));
    }
  }
  mesh.ComputeVertexNormals();
  return mesh;
}

LodTree Tree(int n) {
  Progress progress(ProgressStyle::kQuiet);
  LodOptions options;
  options.max_leaf_triangles = 4096;
  return BuildLodTree(Grid(n), options, progress);
}

OJson JsonOf(const std::vector<std::uint8_t>& glb) {
  return OJson::parse(glb.begin() + 20, glb.begin() + 20 + Le32(&glb[12]));
}

// The GLB with its JSON edited by `edit`; the BIN chunk kept (or changed by `edit_bin`).
template <typename Edit>
std::vector<std::uint8_t> EditGlb(const std::vector<std::uint8_t>& glb, Edit edit) {
  return muta::test::EditGlbJson<OJson>(glb, edit);
}

// Byte offset in the file of the compressed data of bufferView `view`.
std::size_t CompressedOffset(const std::vector<std::uint8_t>& glb, int view) {
  const OJson json = JsonOf(glb);
  const std::size_t bin_start = 20 + Le32(&glb[12]) + 8;
  return bin_start +
         json["bufferViews"][view]["extensions"]["EXT_meshopt_compression"]["byteOffset"]
             .get<std::size_t>();
}

// The compressed view holding the POSITION accessor, and the one holding the indices.
std::pair<int, int> PositionAndIndexViews(const OJson& json) {
  const OJson& prim = json["meshes"][0]["primitives"][0];
  const int pos = json["accessors"][prim["attributes"]["POSITION"].get<int>()]["bufferView"];
  const int idx = json["accessors"][prim["indices"].get<int>()]["bufferView"];
  return {pos, idx};
}

// Faces with their smallest index first (same winding).
std::vector<Face> Rotated(std::vector<Face> faces) {
  for (Face& f : faces) {
    while (f[0] > f[1] || f[0] > f[2]) f = Face(f[1], f[2], f[0]);
  }
  return faces;
}

}  // namespace

TEST_CASE("meshopt-compressed tiles read back exactly like uncompressed ones", "[unit][export]") {
  const LodTree tree = Tree(64);
  REQUIRE(tree.nodes.size() >= 3);
  for (std::size_t k : {std::size_t{0}, tree.nodes.size() - 1}) {
    CAPTURE(k);
    TileGlbOptions plain;
    plain.position_step_m = QuantizationStep(12);
    TileGlbOptions packed = plain;
    packed.meshopt = true;
    const auto a = EncodeTileGlb(tree, tree.nodes[k].faces, plain);
    const auto b = EncodeTileGlb(tree, tree.nodes[k].faces, packed);
    CHECK(b.size() < a.size() * 3 / 4);  // vertex and index data shrink
    const OJson json = JsonOf(b);
    CHECK(json["extensionsRequired"].dump().find("EXT_meshopt_compression") != std::string::npos);
    CHECK(json["buffers"].size() == 2);
    CHECK(json["buffers"][1]["extensions"]["EXT_meshopt_compression"]["fallback"] == true);
    CHECK_FALSE(json["buffers"][1].contains("uri"));

    const TileContent ca = ParseTileGlb(a, "plain.glb");
    const TileContent cb = ParseTileGlb(b, "meshopt.glb");
    REQUIRE(cb.mesh.NumFaces() == tree.nodes[k].faces.size());
    CHECK(cb.mesh.vertices == ca.mesh.vertices);
    // The triangle codec keeps the triangles' order and winding but may rotate their corners.
    CHECK(Rotated(cb.mesh.faces) == Rotated(ca.mesh.faces));
    CHECK(cb.mesh.normals == ca.mesh.normals);
    CHECK(cb.mesh.colors == ca.mesh.colors);
    CHECK(cb.mesh.uvs == ca.mesh.uvs);
    CHECK(cb.mesh.provenance == ca.mesh.provenance);
  }
}

TEST_CASE("damaged meshopt data in a tile is refused with a clear error", "[unit][export]") {
  const LodTree tree = Tree(40);
  TileGlbOptions options;
  options.position_step_m = QuantizationStep(12);
  options.meshopt = true;
  const std::vector<std::uint8_t> good = EncodeTileGlb(tree, tree.nodes[0].faces, options);
  REQUIRE_NOTHROW(ParseTileGlb(good, "good.glb"));
  const auto [pos_view, index_view] = PositionAndIndexViews(JsonOf(good));
  auto ext = [](OJson& j, int view) -> OJson& {
    return j["bufferViews"][view]["extensions"]["EXT_meshopt_compression"];
  };

  SECTION("a wrong codec header byte") {
    std::vector<std::uint8_t> bad = good;
    bad[CompressedOffset(good, pos_view)] ^= 0x55;  // attributes start with 0xa0
    CHECK_THROWS_WITH(ParseTileGlb(bad, "t.glb"), Contains("t.glb") && Contains("corrupt"));
    bad = good;
    bad[CompressedOffset(good, index_view)] ^= 0x55;  // triangles start with 0xe1
    CHECK_THROWS_WITH(ParseTileGlb(bad, "t.glb"), Contains("corrupt"));
  }
  SECTION("compressed data cut short") {
    for (int view : {pos_view, index_view}) {
      const auto bad = EditGlb(good, [&](OJson& j) {
        OJson& e = ext(j, view);
        e["byteLength"] = e["byteLength"].get<std::size_t>() / 2;
      });
      CHECK_THROWS_WITH(ParseTileGlb(bad, "t.glb"), Contains("t.glb") && Contains("bufferViews"));
    }
  }
  SECTION("compressed bytes outside the BIN chunk") {
    const auto bad = EditGlb(good, [&](OJson& j) { ext(j, pos_view)["byteOffset"] = 1u << 30; });
    CHECK_THROWS_WITH(ParseTileGlb(bad, "t.glb"), Contains("outside the BIN chunk"));
  }
  SECTION("a count the compressed bytes cannot hold (no huge allocation)") {
    const auto bad = EditGlb(good, [&](OJson& j) {
      ext(j, pos_view)["count"] = 100000000;
      j["bufferViews"][pos_view]["byteLength"] = 800000000;
    });
    CHECK_THROWS_WITH(ParseTileGlb(bad, "t.glb"), Contains("cannot hold"));
  }
  SECTION("malformed extension JSON") {
    auto expect = [&](auto edit, const char* message) {
      CAPTURE(message);
      CHECK_THROWS_WITH(ParseTileGlb(EditGlb(good, edit), "t.glb"),
                        Contains("t.glb") && Contains(message));
    };
    expect([&](OJson& j) { ext(j, pos_view)["mode"] = "ZIP"; }, "unknown mode");
    expect([&](OJson& j) { ext(j, pos_view)["filter"] = "FANCY"; }, "unknown filter");
    expect([&](OJson& j) { ext(j, pos_view)["byteStride"] = 6; }, "multiple of 4");
    expect([&](OJson& j) { ext(j, index_view)["byteStride"] = 3; }, "must be 2 or 4");
    expect([&](OJson& j) { ext(j, index_view)["count"] = 7; }, "not a multiple of 3");
    expect([&](OJson& j) { ext(j, pos_view)["buffer"] = 1; }, "BIN chunk");
    expect([&](OJson& j) { ext(j, pos_view)["count"] = -3; }, "non-negative integer");
    expect([&](OJson& j) { ext(j, pos_view).erase("mode"); }, "mode must be a string");
    expect([&](OJson& j) { j["bufferViews"][pos_view]["byteLength"] = 8; },
           "is not byteStride x count");
    expect([&](OJson& j) { j["bufferViews"][pos_view].erase("extensions"); }, "holds no data");
  }
  SECTION("truncated anywhere or bytes flipped: an error or a valid mesh, never a crash") {
    for (std::size_t cut = 0; cut < good.size(); cut += 1 + good.size() / 300) {
      const std::vector<std::uint8_t> bad(good.begin(), good.begin() + std::ptrdiff_t(cut));
      CHECK_THROWS_AS(ParseTileGlb(bad, "t.glb"), Error);
    }
    std::mt19937 rng(7);
    const std::size_t bin_start = 20 + Le32(&good[12]) + 8;
    std::uniform_int_distribution<std::size_t> at(bin_start, good.size() - 1);
    int refused = 0;
    for (int i = 0; i < 300; ++i) {
      std::vector<std::uint8_t> bad = good;
      for (int k = 0; k < 4; ++k) bad[at(rng)] ^= static_cast<std::uint8_t>(1 + rng() % 255);
      try {
        const TileContent c = ParseTileGlb(bad, "t.glb");
        bool in_range = true;
        for (const Face& f : c.mesh.faces) {
          for (int v = 0; v < 3; ++v) in_range = in_range && f[v] < c.mesh.NumVertices();
        }
        CHECK(in_range);
      } catch (const Error&) {
        ++refused;
      }
    }
    CHECK(refused > 0);
  }
}

}  // namespace muta::reconstruct
