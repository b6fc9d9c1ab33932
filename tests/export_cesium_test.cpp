// The exported site bundle loads and draws in CesiumJS: tools/cesium/run.js serves the bundle
// and Cesium on 127.0.0.1, opens it in headless Chromium (software WebGL), fully offline, waits
// until the tileset has loaded every tile the view needs and takes screenshots. The test checks
// the report (no load errors, no request leaving the machine) and the screenshots' pixels: the
// model covers the centre, observed triangles are grey and inferred ones orange (the page
// styles triangles by their EXT_structural_metadata provenance). Skipped with a message when
// node, Chromium or tools/cesium/node_modules are missing.
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "core/image_io.h"
#include "core/json.h"
#include "tests/export_atlas_util.h"
#include "tests/export_test_util.h"
#include "tests/test_util.h"

namespace muta::test {
namespace {

namespace fs = std::filesystem;

// The page's clear colour (tools/cesium/page/page.js kClear).
constexpr int kClear[3] = {20, 30, 70};

struct PixelFigures {
  double centre_drawn = 0;  ///< fraction of the centre half (in x and y) that is not background
  double drawn = 0;         ///< fraction of the whole image that is not background
  double inferred = 0;      ///< fraction of drawn pixels that are orange (inferred)
  double observed = 0;      ///< fraction of drawn pixels that are grey (observed)
  double unknown = 0;       ///< fraction of drawn pixels that are magenta (no provenance)
  double warm = 0;  ///< fraction of drawn pixels clearly redder than green and blue (textured)
};

PixelFigures Measure(const Image& image) {
  PixelFigures p;
  std::size_t drawn = 0, centre = 0, centre_drawn = 0, inferred = 0, observed = 0, unknown = 0,
              warm = 0;
  for (int y = 0; y < image.height; ++y) {
    for (int x = 0; x < image.width; ++x) {
      const int r = image.at(x, y, 0), g = image.at(x, y, 1), b = image.at(x, y, 2);
      const bool background = std::abs(r - kClear[0]) <= 12 && std::abs(g - kClear[1]) <= 12 &&
                              std::abs(b - kClear[2]) <= 12;
      const bool in_centre = x >= image.width / 4 && x < 3 * image.width / 4 &&
                             y >= image.height / 4 && y < 3 * image.height / 4;
      centre += in_centre ? 1 : 0;
      if (background) continue;
      ++drawn;
      centre_drawn += in_centre ? 1 : 0;
      if (r > 60 && g > r / 4 && g < 3 * r / 4 && b < r / 3) ++inferred;
      if (r > 70 && std::abs(r - g) < 16 && std::abs(g - b) < 20) ++observed;
      if (r > 60 && b > 60 && 2 * g < std::min(r, b)) ++unknown;
      if (r >= g + 12 && r >= b + 12) ++warm;
    }
  }
  const auto pixels = double(image.width) * double(image.height);
  p.drawn = double(drawn) / pixels;
  p.centre_drawn = double(centre_drawn) / double(std::max<std::size_t>(centre, 1));
  p.inferred = double(inferred) / double(std::max<std::size_t>(drawn, 1));
  p.observed = double(observed) / double(std::max<std::size_t>(drawn, 1));
  p.unknown = double(unknown) / double(std::max<std::size_t>(drawn, 1));
  p.warm = double(warm) / double(std::max<std::size_t>(drawn, 1));
  return p;
}

// Node, Chromium and tools/cesium/node_modules, or a WARN saying why the test is skipped.
bool CesiumInstalled(fs::path& node) {
  const fs::path tool = fs::path(MUTA_SOURCE_DIR) / "tools" / "cesium";
  node = FindNode();
  const char* chromium_env = std::getenv("MUTA_CHROMIUM");
  const fs::path chromium = chromium_env != nullptr ? chromium_env : "/usr/bin/chromium";
  const bool modules = fs::exists(tool / "node_modules" / "cesium" / "package.json") &&
                       fs::exists(tool / "node_modules" / "puppeteer-core" / "package.json");
  if (node.empty() || !fs::exists(chromium) || !modules) {
    WARN("skipped: " << (node.empty()            ? "no node on PATH"
                         : !fs::exists(chromium) ? "no Chromium at " + chromium.string()
                                                 : "no tools/cesium/node_modules")
                     << "; run scripts/install-deps.sh and tools/cesium/install.sh");
    return false;
  }
  return true;
}

// Runs tools/cesium/run.js on `site` at 800 x 600 with `options` (views, screen-space error,
// style) and checks what every run must give: it ran, no load error, no request leaving the
// machine, two views. `exit_code` receives run.js's exit code.
Json RunCesium(const fs::path& node, const fs::path& site, const fs::path& out,
               const std::vector<std::string>& options, int& exit_code) {
  const fs::path tool = fs::path(MUTA_SOURCE_DIR) / "tools" / "cesium";
  std::vector<std::string> args = {(tool / "run.js").string(),
                                   site.string(),
                                   "--out",
                                   out.string(),
                                   "--width",
                                   "800",
                                   "--height",
                                   "600"};
  args.insert(args.end(), options.begin(), options.end());
  const CommandResult r = RunProgram(node.string(), args);
  INFO(r.err);
  INFO(r.out.substr(0, 6000));
  REQUIRE((r.exit_code == 0 || r.exit_code == 1));  // 2 = could not run
  const Json report = ParseJson(r.out, "tools/cesium/run.js output");
  CHECK(report["errors"].empty());
  CHECK(report["blocked_requests"].empty());
  CHECK(report["ok"] == true);
  REQUIRE(report["views"].size() == 2);
  exit_code = r.exit_code;
  return report;
}

}  // namespace

TEST_CASE("the exported tileset loads and draws in CesiumJS, offline", "[gl]") {
  fs::path node;
  if (!CesiumInstalled(node)) {
    SUCCEED("skipped");
    return;
  }

  const ExportedPagoda& e = ExportedPagodaSite();  // labelled 2-storey pagoda, 31 tiles
  TempDir out("cesium");
  // The default view, and the close-up with a small screen-space error so that deeper tiles
  // load too.
  int exit_code = -1;
  const Json report = RunCesium(node, e.site, out.path(),
                                {"--view", "three-quarter,close-up", "--sse", "1"}, exit_code);
  CHECK(exit_code == 0);

  for (const Json& view : report["views"]) {
    const std::string name = view["view"].get<std::string>();
    CAPTURE(name);
    CHECK(view["tiles_loaded"] == true);
    CHECK(view["tiles_failed"] == 0);
    CHECK(view["tiles_selected"].get<int>() >= 1);
    CHECK(view["triangles_drawn"].get<double>() > 1000);
    const fs::path png = view["screenshot"].get<std::string>();
    REQUIRE(fs::exists(png));
    const Image image = ReadImage(png);
    CHECK(image.width == 800);
    CHECK(image.height == 600);
    const PixelFigures p = Measure(image);
    CAPTURE(p.drawn, p.centre_drawn, p.inferred, p.observed, p.unknown);
    // The model fills much of the centre; observed grey and inferred orange are both drawn, and
    // nothing lacks provenance.
    CHECK(p.centre_drawn > (name == "close-up" ? 0.5 : 0.25));
    CHECK(p.observed > 0.2);
    CHECK(p.inferred > 0.02);
    CHECK(p.unknown < 0.001);
  }
  // The close-up needs more detail than the overview: the finer tiles were loaded and drawn.
  CHECK(report["views"][1]["tiles_selected"].get<int>() >
        report["views"][0]["tiles_selected"].get<int>());
}

TEST_CASE("a site with per-tile texture atlases draws its textures in CesiumJS", "[gl]") {
  fs::path node;
  if (!CesiumInstalled(node)) {
    SUCCEED("skipped");
    return;
  }
  // Per-tile atlases at every level, meshopt-compressed (tests/export_atlas_util.h): the back
  // of the pagoda, which the photographs saw (red columns, dark roofs), and the close-up, with
  // the glTF materials (--no-style) and a small screen-space error, so finer tiles load too.
  const ExportedAtlas& e = ExportedAtlasSite();
  TempDir out("cesium-atlas");
  int exit_code = -1;
  const Json report = RunCesium(node, e.site, out.path(),
                                {"--view", "back,close-up", "--sse", "1", "--no-style"}, exit_code);
  for (const Json& view : report["views"]) {
    const std::string name = view["view"].get<std::string>();
    CAPTURE(name);
    CHECK(view["tiles_loaded"] == true);
    CHECK(view["tiles_failed"] == 0);
    CHECK(view["triangles_drawn"].get<double>() > 1000);
    const Image image = ReadImage(view["screenshot"].get<std::string>());
    const PixelFigures p = Measure(image);
    CAPTURE(p.drawn, p.centre_drawn, p.warm);
    CHECK(p.centre_drawn > 0.25);
    // The texture is drawn: the photographed side shows its red columns (an untextured or
    // unstyled grey model has no such pixels: < 0.1 %).
    if (name == "back") CHECK(p.warm > 0.02);
  }
  // The close-up needs finer tiles than the overview of the back.
  CHECK(report["views"][1]["tiles_selected"].get<int>() >
        report["views"][0]["tiles_selected"].get<int>());
}

}  // namespace muta::test
