// `muta render SITE` as a user runs it: a site bundle from `muta export --mesh`, streamed at
// its saved viewpoint, with the provenance layers and a section; turntables; errors.
#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

#include "core/image_io.h"
#include "core/mesh.h"
#include "core/ply_io.h"
#include "tests/test_util.h"

using muta::test::RunMuta;
using muta::test::TempDir;

namespace {

// Pixels clearly in the highlight colour (1, 0.35, 0.1 linear: orange).
int Orange(const muta::Image& image) {
  int n = 0;
  for (int y = 0; y < image.height; ++y) {
    for (int x = 0; x < image.width; ++x) {
      const int r = image.at(x, y, 0), g = image.at(x, y, 1), b = image.at(x, y, 2);
      if (r > 120 && r > g + 40 && g > b + 25) ++n;
    }
  }
  return n;
}

// Two boxes side by side, the right one (x > 2.5) inferred:symmetry.
muta::Mesh TwoBoxes() {
  muta::Mesh mesh = muta::test::ColouredBox();
  mesh.provenance.assign(mesh.NumFaces(), muta::Provenance::kObserved);
  mesh.confidence.assign(mesh.NumFaces(), 1.0f);
  muta::Mesh right = mesh;
  for (muta::Vec3f& v : right.vertices) v.x() += 3;
  right.provenance.assign(right.NumFaces(), muta::Provenance::kInferredSymmetry);
  right.confidence.assign(right.NumFaces(), 0.5f);
  mesh.Append(right);
  return mesh;
}

}  // namespace

TEST_CASE("muta render streams a site at its viewpoints, with layers and sections", "[gl]") {
  TempDir dir("render_site");
  const auto ply = dir / "boxes.ply";
  muta::WritePly(ply, TwoBoxes());
  const auto site = dir / "site";
  auto r =
      RunMuta({"export", "--mesh", ply.string(), "-o", site.string(), "--tile-triangles", "64"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);

  r = RunMuta({"render", site.string(), "--list-views"});
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("three-quarter") && Catch::Contains("site viewpoint"));

  const auto render = [&](const std::string& name, std::vector<std::string> extra) {
    std::vector<std::string> args = {
        "render",    site.string(), "--view", "three-quarter",      "--size", "200x150",
        "--samples", "1",           "-o",     (dir / name).string()};
    args.insert(args.end(), extra.begin(), extra.end());
    const auto result = RunMuta(args);
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
    return muta::ReadImage(dir / name);
  };
  const muta::Image plain = render("plain.png", {});
  const muta::Image highlighted = render("highlight.png", {"--highlight-inferred"});
  const muta::Image hidden = render("hidden.png", {"--highlight-inferred", "--hide-inferred"});
  CHECK(Orange(plain) == 0);
  CHECK(Orange(highlighted) > 500);
  CHECK(Orange(hidden) == 0);
  // Cutting away x > 1.5 (between the boxes at x in [-1, 1] and [2, 4]) removes the inferred
  // box.
  const muta::Image cut = render("cut.png", {"--highlight-inferred", "--section", "x=1.5"});
  CHECK(Orange(cut) == 0);

  // The tileset.json itself, a turntable.
  r = RunMuta({"render", (site / "tileset.json").string(), "--size", "120x90", "--samples", "1",
               "--turntable", "2", "-o", (dir / "turn.png").string()});
  REQUIRE(r.exit_code == 0);
  CHECK(std::filesystem::exists(dir / "turn_000.png"));
  CHECK(std::filesystem::exists(dir / "turn_001.png"));

  // Errors: a bad section, an unknown view, a corrupt tileset.
  r = RunMuta({"render", site.string(), "--section", "w=1", "-o", (dir / "x.png").string()});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("--section w=1"));
  r = RunMuta({"render", site.string(), "--view", "nowhere", "-o", (dir / "x.png").string()});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("nowhere"));
  muta::test::WriteBytes(dir / "bad.json", "{ not json");
  r = RunMuta({"render", (dir / "bad.json").string(), "-o", (dir / "x.png").string()});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("bad.json"));
}
