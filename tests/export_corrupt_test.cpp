// Damaged site bundles: corrupt or truncated tileset.json, truncated tiles and tiles with
// broken provenance metadata give clear errors naming the file, never a crash or wrong labels.
#include <cstring>

#include <catch2/catch.hpp>

#include "core/error.h"
#include "core/file_io.h"
#include "core/json.h"
#include "core/site_io.h"
#include "tests/export_test_util.h"
#include "tests/glb_test_util.h"
#include "tests/test_util.h"

namespace muta::test {
namespace {

using muta::test::Le32;

namespace fs = std::filesystem;
using Catch::Contains;

constexpr const char* kGoodTileset = R"({
  "asset": {"version": "1.1"},
  "geometricError": 10,
  "root": {
    "boundingVolume": {"box": [0, 0, 1, 2, 0, 0, 0, 3, 0, 0, 0, 1]},
    "geometricError": 1, "refine": "REPLACE", "content": {"uri": "tiles/0_0.glb"},
    "children": [
      {"boundingVolume": {"sphere": [1, 1, 1, 0.5]}, "geometricError": 0,
       "content": {"uri": "tiles/1_0.glb"}}
    ]
  }
})";

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  const auto pos = text.find(from);
  REQUIRE(pos != std::string::npos);
  return text.replace(pos, from.size(), to);
}

// A GLB with its JSON chunk edited by `edit` (the BIN chunk kept).
template <typename Edit>
std::vector<std::uint8_t> EditGlb(const std::vector<std::uint8_t>& glb, Edit edit) {
  return muta::test::EditGlbJson<Json>(glb, edit);
}

}  // namespace

TEST_CASE("ParseTileset reads a good tileset and inherits refine", "[unit][export]") {
  const Tileset t = ParseTileset(kGoodTileset, "t.json");
  REQUIRE(t.tiles.size() == 2);
  CHECK(t.version == "1.1");
  CHECK(t.tiles[0].box.min.isApprox(Vec3f(-2, -3, 0)));
  CHECK(t.tiles[0].box.max.isApprox(Vec3f(2, 3, 2)));
  CHECK(t.tiles[1].refine == "REPLACE");
  CHECK(t.tiles[1].parent == 0);
  CHECK(t.tiles[1].depth == 1);
  CHECK(t.tiles[1].box.min.isApprox(Vec3f(0.5f, 0.5f, 0.5f)));
  CHECK(t.Cut(0) == std::vector<int>{0});
  CHECK(t.Cut(1) == std::vector<int>{1});
  CHECK(TileContentPath("/a/b/tileset.json", t.tiles[1]) == fs::path("/a/b/tiles/1_0.glb"));
}

TEST_CASE("corrupt tileset.json gives a clear error", "[unit][export]") {
  const std::string good = kGoodTileset;
  CHECK_THROWS_WITH(ParseTileset("", "t.json"), Contains("t.json"));
  CHECK_THROWS_WITH(ParseTileset(good.substr(0, good.size() / 2), "t.json"), Contains("t.json"));
  CHECK_THROWS_WITH(ParseTileset("[1, 2]", "t.json"), Contains("JSON object"));
  CHECK_THROWS_WITH(ParseTileset(Replace(good, "\"1.1\"", "\"2.0\""), "t.json"),
                    Contains("version '2.0'"));
  CHECK_THROWS_WITH(ParseTileset(Replace(good, R"("asset": {"version": "1.1"},)", ""), "t.json"),
                    Contains("asset.version"));
  CHECK_THROWS_WITH(
      ParseTileset(Replace(good, "\"geometricError\": 1,", "\"geometricError\": -1,"), "t.json"),
      Contains("geometricError"));
  CHECK_THROWS_WITH(ParseTileset(Replace(good, "\"root\": {", "\"rot\": {"), "t.json"),
                    Contains("no root"));
  CHECK_THROWS_WITH(
      ParseTileset(Replace(good, "[0, 0, 1, 2, 0, 0, 0, 3, 0, 0, 0, 1]", "[0, 0, 1]"), "t.json"),
      Contains("12 numbers"));
  CHECK_THROWS_WITH(
      ParseTileset(Replace(good, "\"sphere\": [1, 1, 1, 0.5]", "\"region\": [0, 0, 1, 1, 0, 1]"),
                   "t.json"),
      Contains("box or a sphere"));
  CHECK_THROWS_WITH(ParseTileset(Replace(good, "\"REPLACE\"", "\"MERGE\""), "t.json"),
                    Contains("refine"));
  CHECK_THROWS_WITH(ParseTileset(Replace(good, "\"refine\": \"REPLACE\", ", ""), "t.json"),
                    Contains("no refine"));
  CHECK_THROWS_WITH(ParseTileset(Replace(good, "tiles/1_0.glb", "../../etc/passwd"), "t.json"),
                    Contains("leaves the bundle"));
  CHECK_THROWS_WITH(
      ParseTileset(Replace(good, "tiles/1_0.glb", "https://example.com/x.glb"), "t.json"),
      Contains("not a relative path"));
  CHECK_THROWS_WITH(ParseTileset(Replace(good, "\"children\": [", "\"children\": [7, "), "t.json"),
                    Contains("not an object"));
  CHECK_THROWS_WITH(
      ParseTileset(Replace(good, "\"refine\": \"REPLACE\",",
                           "\"refine\": \"REPLACE\", \"transform\": [2,0,0,0,0,1,0,0,0,0,1,0,0,0,"
                           "0,1],"),
                   "t.json"),
      Contains("transform"));
  // Deep nesting is refused, not recursed into.
  std::string deep = R"({"asset": {"version": "1.1"}, "geometricError": 1, "root": )";
  const std::string tile =
      R"({"boundingVolume": {"sphere": [0, 0, 0, 1]}, "geometricError": 0, "refine": "ADD", )"
      R"("children": [)";
  for (int i = 0; i < 80; ++i) deep += tile;
  deep += R"({"boundingVolume": {"sphere": [0, 0, 0, 1]}, "geometricError": 0})";
  for (int i = 0; i < 80; ++i) deep += "]}";
  deep += "}";
  CHECK_THROWS_WITH(ParseTileset(deep, "t.json"), Contains("deeper"));

  // Files: missing, zero bytes, truncated.
  TempDir dir("export-corrupt");
  CHECK_THROWS_WITH(ReadTileset(dir / "none.json"), Contains("none.json"));
  WriteBytes(dir / "zero.json", "");
  CHECK_THROWS_WITH(ReadTileset(dir / "zero.json"), Contains("zero.json"));
  WriteBytes(dir / "cut.json", good.substr(0, 100));
  CHECK_THROWS_WITH(ReadTileset(dir / "cut.json"), Contains("cut.json"));
}

TEST_CASE("truncated or tampered tiles give a clear error", "[e2e][export]") {
  const ExportedPagoda& e = ExportedPagodaSite();
  const fs::path tile = e.site / "tiles" / "1_0.glb";
  const std::vector<std::uint8_t> good = ReadFileBytes(tile);
  REQUIRE(ParseTileGlb(good, "good.glb").mesh.NumFaces() > 0);
  TempDir dir("export-tamper");

  // Truncated anywhere: the file is named, nothing crashes.
  for (const std::size_t size :
       {std::size_t{0}, std::size_t{11}, std::size_t{40}, good.size() / 2, good.size() - 4}) {
    CAPTURE(size);
    WriteTruncatedCopy(tile, dir / "cut.glb", size);
    CHECK_THROWS_WITH(ReadTileGlb(dir / "cut.glb"), Contains("cut.glb"));
  }

  // Feature IDs beyond the property table's rows.
  auto fewer_rows = EditGlb(good, [](Json& j) {
    j["meshes"][0]["primitives"][0]["extensions"]["EXT_mesh_features"]["featureIds"][0]
     ["featureCount"] = 1;
    j["extensions"]["EXT_structural_metadata"]["propertyTables"][0]["count"] = 1;
  });
  // (Only a tile with more than one group has feature IDs above 0.)
  const Json original = ParseJson(
      std::string_view(reinterpret_cast<const char*>(&good[20]), Le32(&good[12])), "tile");
  const int rows = original["extensions"]["EXT_structural_metadata"]["propertyTables"][0]["count"];
  REQUIRE(rows > 1);
  CHECK_THROWS_WITH(ParseTileGlb(fewer_rows, "rows.glb"), Contains("featureCount"));

  // A property table column outside the binary chunk.
  auto outside = EditGlb(good, [](Json& j) {
    const int view = j["extensions"]["EXT_structural_metadata"]["propertyTables"][0]["properties"]
                      ["confidence"]["values"];
    j["bufferViews"][std::size_t(view)]["byteOffset"] = 1u << 30;
  });
  CHECK_THROWS_WITH(ParseTileGlb(outside, "outside.glb"), Contains("outside the binary chunk"));

  // An unknown provenance class name.
  auto unknown = EditGlb(good, [](Json& j) {
    j["extensions"]["EXT_structural_metadata"]["schema"]["enums"]["provenance_class"]["values"][0]
     ["name"] = "guessed";
  });
  CHECK_THROWS_WITH(ParseTileGlb(unknown, "unknown.glb"), Contains("guessed"));

  // The metadata removed altogether: a required-provenance read fails, a lenient one reads
  // everything as observed.
  auto stripped =
      EditGlb(good, [](Json& j) { j["meshes"][0]["primitives"][0].erase("extensions"); });
  CHECK_THROWS_WITH(ParseTileGlb(stripped, "stripped.glb"), Contains("no provenance"));
  const TileContent lenient = ParseTileGlb(stripped, "stripped.glb", {.require_provenance = false});
  CHECK(ClassCounts(lenient.mesh).size() == 1);

  // The CLI names the file and exits with 1.
  WriteTruncatedCopy(tile, dir / "cut.glb", good.size() / 2);
  const CommandResult r =
      RunMuta({"export", "--mesh", (dir / "cut.glb").string(), "-o", (dir / "site").string()});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Contains("cut.glb"));
  CHECK(!fs::exists(dir / "site"));
}

}  // namespace muta::test
