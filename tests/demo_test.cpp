// `muta demo` end to end: every stage runs, outputs exist, a second run resumes (skips), and
// --json output is pure JSON.
#include <catch2/catch.hpp>

#include "core/image_io.h"
#include "core/json.h"
#include "tests/test_util.h"

namespace fs = std::filesystem;
using muta::test::RunMuta;

TEST_CASE("muta demo runs, measures and resumes", "[e2e][demo]") {
  muta::test::TempDir dir("demo");
  const std::string ws = (dir / "ws").string();
  auto r = RunMuta({"demo", "-w", ws, "--progress", "json"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  for (const char* f : {"muta.job.json",
                        "log.txt",
                        "scene/gt/mesh.ply",
                        "scene/gt/sparse/images.txt",
                        "scene/scan.ply",
                        "scene/sfm/sparse/images.bin",
                        "evaluation.json",
                        "export/model.glb",
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
                        "accuracy.json"}) {
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
  CHECK(accuracy["fused"]["precision"].get<double>() > 0.9);
  CHECK(accuracy["fused"]["f_score"].get<double>() > 0.5);
  CHECK(r.out.find("synthetic pagoda reconstructed") != std::string::npos);

  // Progress went to stderr as JSON lines.
  CHECK(r.err.find("\"event\":\"end\"") != std::string::npos);
  const muta::Json eval = muta::ReadJsonFile(fs::path(ws) / "evaluation.json");
  CHECK(eval["cameras"]["registered"] == 24);
  CHECK(eval["cameras"]["position_error_median"].get<double>() < 0.1);
  CHECK(eval["cameras"]["scale"].get<double>() == Approx(1 / 0.37).epsilon(0.01));
  CHECK(eval["surface"]["f_score"].get<double>() > 0.9);

  // Second run: everything up to date; --json prints only JSON.
  r = RunMuta({"demo", "-w", ws, "--json"});
  REQUIRE(r.exit_code == 0);
  const muta::Json again = muta::Json::parse(r.out);
  CHECK(again["surface"]["f_score"] == eval["surface"]["f_score"]);
  CHECK(r.err.find("up to date") != std::string::npos);
  const muta::Json job = muta::ReadJsonFile(fs::path(ws) / "muta.job.json");
  for (const auto& s : job["stages"]) CHECK(s["status"] == "done");

  // Bad stage name: user error, workspace intact.
  r = RunMuta({"demo", "-w", ws, "--from", "nope"});
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("no such stage") != std::string::npos);
  CHECK(muta::ReadJsonFile(fs::path(ws) / "muta.job.json") == job);
}
