// `muta demo` end to end: every stage runs (synth, reconstruct, accuracy, restore, export,
// stills), outputs exist, a second run resumes (skips), and --json output is pure JSON.
#include <catch2/catch.hpp>

#include <cstdlib>

#include "core/image_io.h"
#include "core/json.h"
#include "tests/test_util.h"

namespace fs = std::filesystem;
using muta::test::RunMuta;

TEST_CASE("muta demo runs, measures, restores, exports and resumes", "[e2e][demo]") {
  muta::test::TempDir dir("demo");
  const std::string ws = (dir / "ws").string();
  // --no-view: a developer's desktop has a display, and the viewer would wait for a user.
  auto r = RunMuta({"demo", "-w", ws, "--progress", "json", "--no-view"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  for (const char* f : {"muta.job.json",
                        "log.txt",
                        "synth/overview.png",
                        "synth/gt/mesh.ply",
                        "synth/gt/intact.ply",
                        "synth/gt/visible.ply",
                        "synth/gt/scene.json",
                        "synth/gt/damage.json",
                        "synth/gt/sparse/images.txt",
                        "images.json",
                        "sparse/images.bin",
                        "dense/fused.ply",
                        "dense/mesh.ply",
                        "accuracy.json",
                        "restore/damage.json",
                        "restore/report.json",
                        "site/tileset.json",
                        "site/site.json",
                        "site/model.glb",
                        "stills/overview.png",
                        "stills/view_three-quarter.png"}) {
    INFO(f);
    CHECK(fs::exists(fs::path(ws) / f));
  }
  // The synthetic damaged pagoda: 12 photographs, four damaged regions, an overview still.
  int photos = 0;
  for (const auto& e : fs::directory_iterator(fs::path(ws) / "synth" / "images")) {
    photos += e.path().extension() == ".jpg";
  }
  CHECK(photos == 12);
  const muta::Json damage = muta::ReadJsonFile(fs::path(ws) / "synth" / "gt" / "damage.json");
  CHECK(damage["regions"].size() == 4);
  const muta::ImageInfo overview = muta::ReadImageInfo(fs::path(ws) / "synth" / "overview.png");
  CHECK(overview.width == 640);
  CHECK(overview.height == 480);

  // The synthetic pagoda was reconstructed from its photographs and measured.
  const muta::Json accuracy = muta::ReadJsonFile(fs::path(ws) / "accuracy.json");
  CHECK(accuracy["cameras"]["registered"].get<int>() >= 11);
  // The photographs cover one side and look down: the orient stage stands the model upright
  // from the cameras' level right axes (their mean up vector leans about 10 degrees).
  CHECK(accuracy["cameras"]["up_error_deg"].get<double>() < 2.0);
  CHECK(accuracy["fused"]["precision"].get<double>() > 0.9);
  CHECK(accuracy["fused"]["f_score"].get<double>() > 0.5);
  CHECK(r.out.find("synthetic pagoda reconstructed") != std::string::npos);

  // Restoration ran on the reconstructed mesh; the site holds what it made.
  const muta::Json damage_found = muta::ReadJsonFile(fs::path(ws) / "restore" / "damage.json");
  const muta::Json site = muta::ReadJsonFile(fs::path(ws) / "site" / "site.json");
  const std::size_t inferred = site["provenance"]["inferred_triangles"].get<std::size_t>();
  // The photographs cover an arc of the pagoda: its 8-fold symmetry is found on what they saw
  // (the reconstruction differs a little from run to run – COLMAP's threads – and the search
  // must not depend on it: docs/restore.md, "Symmetry on reconstructed meshes").
  const muta::Json first_job = muta::ReadJsonFile(fs::path(ws) / "muta.job.json");
  const bool found = damage_found["symmetry"]["found"].get<bool>();
  REQUIRE(found);
  CHECK(damage_found["symmetry"]["azimuth_coverage"].get<double>() < 1.0);
  CHECK(fs::exists(fs::path(ws) / "restore" / "restored.ply"));
  // The texture stage's atlas was carried into the restored mesh and the site is textured.
  CHECK(fs::exists(fs::path(ws) / "restore" / "restored_textured.ply"));
  for (const auto& stage : first_job["stages"]) {
    if (stage["name"] == "restore") {
      CHECK(stage["figures"]["texture"]["transferred_faces"].get<std::size_t>() > 1000);
    }
    if (stage["name"] != "export") continue;
    CHECK(stage["figures"]["input"] == "restore/restored_textured.ply");
    for (const auto& level : stage["figures"]["levels"]) {
      CHECK(level["texture_pixels"].get<std::size_t>() > 0);
    }
  }
  CHECK(damage_found["symmetry"]["rotation_order"] == 8);
  CHECK(inferred > 0);
  CHECK(r.out.find("restored: 8-fold symmetry") != std::string::npos);
  // The overview highlights the inferred triangles: pixels that differ from the same view
  // without the inferred layer are mostly the highlight's orange there.
  const muta::Image with = muta::ReadImage(fs::path(ws) / "stills" / "overview.png");
  const muta::Image without = muta::ReadImage(fs::path(ws) / "stills" / "overview_observed.png");
  REQUIRE(with.pixels.size() == without.pixels.size());
  int changed = 0, orange = 0;
  for (std::size_t i = 0; i + 2 < with.pixels.size(); i += 3) {
    const int r0 = with.pixels[i], g0 = with.pixels[i + 1], b0 = with.pixels[i + 2];
    if (std::abs(r0 - without.pixels[i]) + std::abs(g0 - without.pixels[i + 1]) +
            std::abs(b0 - without.pixels[i + 2]) <
        30) {
      continue;
    }
    ++changed;
    orange += r0 > 100 && r0 > g0 + 30 && g0 > b0 + 15;
  }
  CHECK(changed > 100);
  CHECK(orange > changed / 2);
  CHECK(site["provenance"]["triangles"].get<std::size_t>() > 10000);
  // One still per saved viewpoint, at the size the demo renders.
  for (const auto& v : site["viewpoints"]) {
    const fs::path still =
        fs::path(ws) / "stills" / ("view_" + v["name"].get<std::string>() + ".png");
    INFO(still);
    REQUIRE(fs::exists(still));
    const muta::ImageInfo info = muta::ReadImageInfo(still);
    CHECK(info.width == 960);
    CHECK(info.height == 720);
  }
  CHECK(r.out.find("muta view " + (fs::path(ws) / "site").string()) != std::string::npos);

  // Progress went to stderr as JSON lines.
  CHECK(r.err.find("\"event\":\"end\"") != std::string::npos);

  // Second run: everything up to date; --json prints only JSON.
  r = RunMuta({"demo", "-w", ws, "--json"});
  REQUIRE(r.exit_code == 0);
  const muta::Json again = muta::Json::parse(r.out);
  CHECK(again["accuracy"]["mesh"]["f_score"] == accuracy["mesh"]["f_score"]);
  CHECK(again["export"]["triangles"] == site["provenance"]["triangles"]);
  CHECK(again["stills"]["stills"].size() >= site["viewpoints"].size() + 1);
  CHECK(r.err.find("up to date") != std::string::npos);
  const muta::Json job = muta::ReadJsonFile(fs::path(ws) / "muta.job.json");
  for (const auto& s : job["stages"]) CHECK(s["status"] == "done");

  // Bad stage name: user error, workspace intact.
  r = RunMuta({"demo", "-w", ws, "--from", "nope"});
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("no such stage") != std::string::npos);
  CHECK(muta::ReadJsonFile(fs::path(ws) / "muta.job.json") == job);
}
