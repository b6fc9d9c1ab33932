// `muta export`: a synthetic pagoda with parts labelled inferred by hand goes through the CLI;
// every tile, every level and model.glb are read back with core/site_io and checked for
// provenance, cracks and bounds; site.json and the workspace mode are checked too.
#include <array>
#include <cmath>
#include <map>
#include <set>
#include <tuple>

#include <Eigen/Geometry>
#include <catch2/catch.hpp>

#include "core/error.h"
#include "core/file_io.h"
#include "core/gltf_io.h"
#include "core/json.h"
#include "core/ply_io.h"
#include "core/site_io.h"
#include "tests/export_test_util.h"
#include "tests/test_util.h"

namespace muta::test {
namespace {

namespace fs = std::filesystem;

using Tuple = std::tuple<int, float, int>;  // provenance, confidence, source

std::set<Tuple> Tuples(const Mesh& mesh) {
  std::set<Tuple> tuples;
  const std::vector<double>* source = nullptr;
  for (const auto& e : mesh.face_extra) {
    if (e.name == kSourceFaceExtra) source = &e.values;
  }
  for (std::size_t f = 0; f < mesh.NumFaces(); ++f) {
    tuples.insert(
        {static_cast<int>(mesh.provenance.empty() ? Provenance::kObserved : mesh.provenance[f]),
         mesh.confidence.empty() ? 1.0f : mesh.confidence[f],
         source != nullptr ? static_cast<int>((*source)[f]) : kNoSource});
  }
  return tuples;
}

// Boundary edges (used by one triangle) after welding vertices with identical positions.
std::size_t BoundaryEdges(const Mesh& mesh) {
  std::map<std::array<float, 3>, std::uint32_t> ids;
  std::vector<std::uint32_t> weld(mesh.NumVertices());
  for (std::size_t v = 0; v < mesh.NumVertices(); ++v) {
    const Vec3f& p = mesh.vertices[v];
    weld[v] = ids.emplace(std::array<float, 3>{p.x(), p.y(), p.z()},
                          static_cast<std::uint32_t>(ids.size()))
                  .first->second;
  }
  std::map<std::pair<std::uint32_t, std::uint32_t>, int> edges;
  for (const Face& f : mesh.faces) {
    const std::array<std::uint32_t, 3> w = {weld[f[0]], weld[f[1]], weld[f[2]]};
    if (w[0] == w[1] || w[1] == w[2] || w[0] == w[2]) continue;
    for (int k = 0; k < 3; ++k) {
      const std::uint32_t a = w[std::size_t(k)], b = w[std::size_t((k + 1) % 3)];
      ++edges[{std::min(a, b), std::max(a, b)}];
    }
  }
  std::size_t boundary = 0;
  for (const auto& [edge, count] : edges) boundary += count == 1 ? 1 : 0;
  return boundary;
}

bool Contains(const Box3f& box, const Vec3f& p, float tolerance) {
  return (p.array() >= box.min.array() - tolerance).all() &&
         (p.array() <= box.max.array() + tolerance).all();
}

}  // namespace

TEST_CASE("muta export: every tile and level reads back with its provenance", "[e2e][export]") {
  const ExportedPagoda& e = ExportedPagodaSite();
  const std::map<Provenance, std::size_t> input = ClassCounts(e.labelled);
  REQUIRE(input.size() == 4);  // observed + three inferred classes
  const std::set<Tuple> input_tuples = Tuples(e.labelled);

  const fs::path tileset_path = e.site / "tileset.json";
  const Tileset tileset = ReadTileset(tileset_path);
  CHECK(tileset.version == "1.1");
  REQUIRE(tileset.tiles.size() > 7);  // the test asks for small tiles: several levels
  const int leaf_depth = tileset.MaxDepth();
  REQUIRE(leaf_depth >= 2);
  CHECK(tileset.geometric_error >= tileset.tiles[0].geometric_error);

  std::size_t leaf_boundary = 0;
  for (int depth = leaf_depth; depth >= 0; --depth) {
    CAPTURE(depth);
    Mesh level;
    bool first = true;
    for (int index : tileset.Cut(depth)) {
      const TilesetTile& tile = tileset.tiles[std::size_t(index)];
      CAPTURE(tile.content_uri);
      CHECK(tile.refine == "REPLACE");
      if (tile.parent >= 0) {
        CHECK(tile.geometric_error <= tileset.tiles[std::size_t(tile.parent)].geometric_error);
      }
      if (tile.children.empty()) CHECK(tile.geometric_error == 0);
      REQUIRE(!tile.content_uri.empty());
      TileContent content = ReadTileGlb(TileContentPath(tileset_path, tile));
      REQUIRE(content.mesh.NumFaces() > 0);
      for (const Vec3f& v : content.mesh.vertices) {
        REQUIRE(Contains(tile.box, v, 1e-4f));
      }
      if (first) {
        level = std::move(content.mesh);
        first = false;
      } else {
        level.Append(content.mesh);
      }
    }
    const std::map<Provenance, std::size_t> counts = ClassCounts(level);
    // Nothing blends: every read triangle carries one of the input's exact labels, and no
    // class disappears at any level.
    const std::set<Tuple> tuples = Tuples(level);
    for (const Tuple& t : tuples) CHECK(input_tuples.count(t) == 1);
    CHECK(counts.size() == input.size());
    for (const auto& [p, n] : input) {
      CAPTURE(ProvenanceName(p));
      if (depth == leaf_depth) {
        CHECK(counts.at(p) == n);  // full resolution: every labelled triangle, exactly
      } else {
        CHECK(counts.count(p) == 1);
        CHECK(counts.at(p) <= n);
      }
    }
    // No cracks: a level's open edges are exactly the full-resolution level's.
    const std::size_t boundary = BoundaryEdges(level);
    if (depth == leaf_depth) {
      leaf_boundary = boundary;
    } else {
      CHECK(boundary == leaf_boundary);
    }
    if (depth == 0) CHECK(level.NumFaces() < e.labelled.NumFaces() / 2);
  }

  // model.glb: the full-resolution model with the same metadata.
  const TileContent model = ReadTileGlb(e.site / "model.glb");
  CHECK(ClassCounts(model.mesh) == input);
  CHECK(Tuples(model.mesh) == input_tuples);
  CHECK(std::abs(model.mesh.Area() - e.labelled.Area()) < 1e-4 * e.labelled.Area());
}

// The synth UVs repeat (material tiles, UVs beyond [0, 1]): no charts to cut, so every tile
// keeps the whole texture (per-tile atlases: export_texture_test.cpp).
TEST_CASE("muta export keeps a texture in every tile", "[e2e][export]") {
  const ExportedTextured& e = ExportedTexturedSite();
  const fs::path tileset_path = e.site / "tileset.json";
  const Tileset tileset = ReadTileset(tileset_path);
  REQUIRE(tileset.tiles.size() >= 3);
  const Mesh input = ReadGlb(e.glb).mesh;
  for (const TilesetTile& tile : tileset.tiles) {
    CAPTURE(tile.content_uri);
    const TileContent content = ReadTileGlb(TileContentPath(tileset_path, tile));
    REQUIRE(content.base_color_texture.has_value());
    CHECK(content.base_color_texture->width == 64);
    CHECK(content.base_color_texture->pixels == e.texture.pixels);  // PNG: lossless
    REQUIRE(content.mesh.uvs.size() == content.mesh.NumVertices());
    CHECK(ClassCounts(content.mesh).size() == 1);  // a plain .glb reads as observed
  }
  const TileContent model = ReadTileGlb(e.site / "model.glb");
  CHECK(model.mesh.NumFaces() == input.NumFaces());
  // UVs survive (float in model.glb; the v flip may move the last bit).
  const auto uv_range = [](const Mesh& m) {
    Eigen::AlignedBox2f box;
    for (const Vec2f& uv : m.uvs) box.extend(uv);
    return box;
  };
  CHECK((uv_range(model.mesh).min() - uv_range(input).min()).cwiseAbs().maxCoeff() < 1e-4f);
  CHECK((uv_range(model.mesh).max() - uv_range(input).max()).cwiseAbs().maxCoeff() < 1e-4f);
}

TEST_CASE("muta export writes site.json with layers, provenance and a viewpoint", "[e2e][export]") {
  const ExportedPagoda& e = ExportedPagodaSite();
  const Json site = ReadSiteJson(e.site / "site.json");
  const std::map<Provenance, std::size_t> input = ClassCounts(e.labelled);
  std::size_t inferred = 0;
  for (const auto& [p, n] : input) inferred += IsInferred(p) ? n : 0;
  CHECK(site["units"] == "metres");
  CHECK(site["up_axis"] == "z");
  CHECK(site["unscaled"] == false);
  CHECK(site["tileset"] == "tileset.json");
  CHECK(site["model"] == "model.glb");
  CHECK(site["annotations"].empty());
  CHECK(site["levels"].size() == 2);  // the two storeys' floors (reconstruct/tiles/site_levels)
  REQUIRE(site["layers"].size() == 2);
  CHECK(site["layers"][0]["id"] == "observed");
  CHECK(site["layers"][0]["triangles"] == input.at(Provenance::kObserved));
  CHECK(site["layers"][1]["id"] == "inferred");
  CHECK(site["layers"][1]["triangles"] == inferred);
  for (const auto& [p, n] : input) {
    CHECK(site["provenance"]["classes"][std::string(ProvenanceName(p))]["triangles"] == n);
  }
  REQUIRE(!site["viewpoints"].empty());
  const Json& view = site["viewpoints"][0];
  CHECK(view["name"] == "three-quarter");
  // The eye is outside the bounding box, above it and in front of it (-y).
  const Box3f box = BoundingBox(e.labelled.vertices);
  const Vec3f eye(view["eye"][0].get<float>(), view["eye"][1].get<float>(),
                  view["eye"][2].get<float>());
  CHECK(!Contains(box, eye, 0));
  CHECK(eye.z() > box.Center().z());
  CHECK(eye.y() < box.min.y());
  for (int a = 0; a < 3; ++a) {
    CHECK(site["bounding_box"]["min"][std::size_t(a)].get<float>() == box.min[a]);
    CHECK(site["bounding_box"]["max"][std::size_t(a)].get<float>() == box.max[a]);
  }
  CHECK(site["lod"]["depth"].get<int>() >= 2);
}

TEST_CASE("muta export -w picks the workspace's best mesh and passes unscaled through",
          "[e2e][export]") {
  const ExportedPagoda& e = ExportedPagodaSite();
  TempDir dir("export-ws");
  const fs::path ws = dir / "ws";

  // No such workspace; a workspace without any mesh.
  CommandResult r = RunMuta({"export", "-w", (dir / "missing").string()});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("no such workspace"));
  fs::create_directories(ws);
  WriteFileAtomic(ws / "muta.job.json",
                  std::string(R"({"format": "muta.job", "version": 1, "muta_version": "0.1.0",
  "created": "2026-11-25T15:46:22Z", "updated": "2026-11-25T15:46:22Z",
  "properties": {"unscaled": true}, "stages": []})"));
  r = RunMuta({"export", "-w", ws.string()});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("restore/restored.ply") && Catch::Contains("dense/mesh.ply"));
  CHECK(!fs::exists(ws / "site"));

  // dense/mesh.ply only: exported into WORKSPACE/site, unscaled recorded.
  fs::create_directories(ws / "dense");
  fs::copy_file(e.synth / "gt" / "mesh.ply", ws / "dense" / "mesh.ply");
  r = RunMuta({"export", "-w", ws.string(), "--tile-triangles", "8000", "--no-model"});
  REQUIRE(r.exit_code == 0);
  Json site = ReadSiteJson(ws / "site" / "site.json");
  CHECK(site["unscaled"] == true);
  CHECK(site["source"] == "dense/mesh.ply");
  CHECK(site["model"].is_null());
  CHECK(!fs::exists(ws / "site" / "model.glb"));
  CHECK(site["layers"][1]["triangles"] == 0);

  // Unchanged inputs: the stage is up to date.
  r = RunMuta({"export", "-w", ws.string(), "--tile-triangles", "8000", "--no-model"});
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("up to date"));

  // A restored mesh wins over dense/mesh.ply; the bundle is replaced as a whole.
  fs::create_directories(ws / "restore");
  fs::copy_file(e.labelled_path, ws / "restore" / "restored.ply");
  r = RunMuta({"export", "-w", ws.string(), "--tile-triangles", "8000", "--no-model"});
  REQUIRE(r.exit_code == 0);
  site = ReadSiteJson(ws / "site" / "site.json");
  CHECK(site["source"] == "restore/restored.ply");
  CHECK(site["layers"][1]["triangles"].get<std::size_t>() > 0);
  for (const auto& entry : fs::directory_iterator(ws)) {
    CHECK(entry.path().filename().string().find(".tmp-") == std::string::npos);
  }
  const Json job = ReadJsonFile(ws / "muta.job.json");
  bool found = false;
  for (const Json& stage : job["stages"]) {
    if (stage["name"] == "export") {
      found = true;
      CHECK(stage["status"] == "done");
      CHECK(stage["figures"]["tiles"].get<int>() > 1);
    }
  }
  CHECK(found);
}

TEST_CASE("muta export refuses to replace a folder that is not a site bundle", "[e2e][export]") {
  const ExportedPagoda& e = ExportedPagodaSite();
  TempDir dir("export-refuse");
  fs::create_directories(dir / "photos");
  WriteBytes(dir / "photos" / "keep.txt", "precious");
  CommandResult r =
      RunMuta({"export", "--mesh", e.labelled_path.string(), "-o", (dir / "photos").string()});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("not a Muta site bundle"));
  CHECK(ReadFileText(dir / "photos" / "keep.txt") == "precious");

  // A mesh that is not a mesh: a clear error, no bundle.
  WriteBytes(dir / "bad.ply", "ply\nformat ascii 1.0\nelement vertex 3\n");
  r = RunMuta({"export", "--mesh", (dir / "bad.ply").string(), "-o", (dir / "site").string()});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("bad.ply"));
  CHECK(!fs::exists(dir / "site"));
  r = RunMuta({"export", "-o", (dir / "site").string()});
  CHECK(r.exit_code == 1);
}

}  // namespace muta::test
