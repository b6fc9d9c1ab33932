// Every .glb of an exported site bundle passes the Khronos glTF-Validator with no errors
// (tools/validate; skipped with a message when node or its node_modules are missing).
#include <cstdlib>
#include <sstream>

#include <catch2/catch.hpp>

#include "core/json.h"
#include "core/site_io.h"
#include "tests/export_test_util.h"
#include "tests/test_util.h"

namespace muta::test {
namespace {

namespace fs = std::filesystem;

}  // namespace

TEST_CASE("every exported .glb passes the Khronos glTF-Validator", "[e2e][export]") {
  const fs::path script = fs::path(MUTA_SOURCE_DIR) / "tools" / "validate" / "validate.js";
  const fs::path module = fs::path(MUTA_SOURCE_DIR) / "tools" / "validate" / "node_modules" /
                          "gltf-validator" / "package.json";
  const fs::path node = FindNode();
  if (node.empty() || !fs::exists(module)) {
    WARN("skipped: glTF-Validator not installed ("
         << (node.empty() ? "no node on PATH" : "no tools/validate/node_modules")
         << "); run scripts/install-deps.sh, or `npm ci` in tools/validate");
    SUCCEED("skipped");
    return;
  }

  // The labelled pagoda (provenance, normals, no texture) and the textured one.
  std::vector<std::string> args = {script.string(), "--warnings"};
  std::size_t files = 0;
  for (const fs::path& site : {ExportedPagodaSite().site, ExportedTexturedSite().site}) {
    const fs::path tileset_path = site / "tileset.json";
    const Tileset tileset = ReadTileset(tileset_path);
    for (const TilesetTile& tile : tileset.tiles) {
      args.push_back(TileContentPath(tileset_path, tile).string());
    }
    args.push_back((site / "model.glb").string());
    files += tileset.tiles.size() + 1;
  }

  const CommandResult r = RunProgram(node.string(), args);
  INFO(r.err);
  INFO(r.out.substr(0, 4000));
  REQUIRE((r.exit_code == 0 || r.exit_code == 1));  // 2 = could not run
  const Json report = ParseJson(r.out, "glTF-Validator output");
  REQUIRE(report["files"].size() == files);
  CHECK(report["total_errors"] == 0);
  for (const Json& file : report["files"]) {
    CAPTURE(file["file"].get<std::string>());
    CHECK(file["errors"] == 0);
    // Warnings are listed too; Muta's files should have none.
    CHECK(file["warnings"] == 0);
  }
  CHECK(r.exit_code == 0);
}

}  // namespace muta::test
