// Every .glb of an exported site bundle passes the Khronos glTF-Validator with no errors
// (tools/validate; skipped with a message when node or its node_modules are missing): the
// labelled untextured pagoda, a repeating texture, and per-tile texture atlases at every level.
#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>

#include <catch2/catch.hpp>

#include "core/json.h"
#include "core/site_io.h"
#include "tests/export_atlas_util.h"
#include "tests/export_test_util.h"
#include "tests/glb_test_util.h"
#include "tests/test_util.h"

namespace muta::test {
namespace {

namespace fs = std::filesystem;

fs::path ValidatorScript() {
  return fs::path(MUTA_SOURCE_DIR) / "tools" / "validate" / "validate.js";
}

// Node and the validator's node_modules, or a WARN saying why the test is skipped.
bool ValidatorInstalled(fs::path& node) {
  const fs::path module = fs::path(MUTA_SOURCE_DIR) / "tools" / "validate" / "node_modules" /
                          "gltf-validator" / "package.json";
  node = FindNode();
  if (node.empty() || !fs::exists(module)) {
    WARN("skipped: glTF-Validator not installed ("
         << (node.empty() ? "no node on PATH" : "no tools/validate/node_modules")
         << "); run scripts/install-deps.sh, or `npm ci` in tools/validate");
    return false;
  }
  return true;
}

// Runs the validator on `files`: no errors and no warnings in any of them.
void CheckValid(const fs::path& node, const std::vector<fs::path>& files) {
  std::vector<std::string> args = {ValidatorScript().string(), "--warnings"};
  for (const fs::path& f : files) args.push_back(f.string());
  const CommandResult r = RunProgram(node.string(), args);
  INFO(r.err);
  INFO(r.out.substr(0, 4000));
  REQUIRE((r.exit_code == 0 || r.exit_code == 1));  // 2 = could not run
  const Json report = ParseJson(r.out, "glTF-Validator output");
  REQUIRE(report["files"].size() == files.size());
  CHECK(report["total_errors"] == 0);
  for (const Json& file : report["files"]) {
    CAPTURE(file["file"].get<std::string>());
    CHECK(file["errors"] == 0);
    CHECK(file["warnings"] == 0);
  }
  CHECK(r.exit_code == 0);
}

// The JSON chunk of a .glb.
Json GlbJson(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  const std::vector<std::uint8_t> glb((std::istreambuf_iterator<char>(in)),
                                      std::istreambuf_iterator<char>());
  REQUIRE(glb.size() >= 20);
  const std::uint32_t length = Le32(&glb[12]);
  REQUIRE(glb.size() >= 20 + std::size_t(length));
  return ParseJson(std::string_view(reinterpret_cast<const char*>(&glb[20]), length),
                   path.string());
}

}  // namespace

TEST_CASE("every exported .glb passes the Khronos glTF-Validator", "[e2e][export]") {
  fs::path node;
  if (!ValidatorInstalled(node)) {
    SUCCEED("skipped");
    return;
  }
  // The labelled pagoda (provenance, normals, no texture) and the one with a repeating texture.
  std::vector<fs::path> files;
  for (const fs::path& site : {ExportedPagodaSite().site, ExportedTexturedSite().site}) {
    const fs::path tileset_path = site / "tileset.json";
    for (const TilesetTile& tile : ReadTileset(tileset_path).tiles) {
      files.push_back(TileContentPath(tileset_path, tile));
    }
    files.push_back(site / "model.glb");
  }
  CheckValid(node, files);
}

TEST_CASE("per-tile texture atlases at every level (meshopt) pass the glTF-Validator",
          "[e2e][export]") {
  fs::path node;
  if (!ValidatorInstalled(node)) {
    SUCCEED("skipped");
    return;
  }
  const ExportedAtlas& e = ExportedAtlasSite();
  const fs::path tileset_path = e.site / "tileset.json";
  const Tileset tileset = ReadTileset(tileset_path);
  REQUIRE(tileset.MaxDepth() >= 3);
  std::vector<fs::path> files;
  std::set<int> textured_depths;
  for (const TilesetTile& tile : tileset.tiles) {
    const fs::path path = TileContentPath(tileset_path, tile);
    CAPTURE(path.string());
    // Each tile: its own atlas (an embedded image and TEXCOORD_0), geometry meshopt-compressed.
    const Json gltf = GlbJson(path);
    REQUIRE(gltf.contains("images"));
    CHECK(gltf["images"].size() == 1);
    CHECK(gltf["meshes"][0]["primitives"][0]["attributes"].contains("TEXCOORD_0"));
    const Json& required = gltf["extensionsRequired"];
    CHECK(std::find(required.begin(), required.end(), "EXT_meshopt_compression") != required.end());
    const TileContent content = ReadTileGlb(path);  // Muta's reader decodes it all
    REQUIRE(content.base_color_texture.has_value());
    textured_depths.insert(tile.depth);
    files.push_back(path);
  }
  CHECK(int(textured_depths.size()) == tileset.MaxDepth() + 1);
  // The per-level figures agree: every level carries its atlases.
  for (const Json& level : e.summary["levels"]) {
    CHECK(level["texture_bytes"].get<double>() > 0);
  }
  files.push_back(e.site / "model.glb");
  CheckValid(node, files);
}

}  // namespace muta::test
