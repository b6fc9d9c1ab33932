// `muta synth` as a user runs it: a damaged pagoda photographed by 12 cameras, its ground truth
// checked by `muta eval`, and COLMAP (CPU) registering the photographs.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <sstream>

#include "core/colmap_model.h"
#include "core/json.h"
#include "core/ply_io.h"
#include "core/subprocess.h"
#include "tests/test_util.h"

namespace fs = std::filesystem;
using muta::test::RunMuta;
using muta::test::RunProgram;

namespace {

// The 12-image 640x480 set of the damaged pagoda (seed 1), made once per test run.
const fs::path& PagodaSet() {
  static muta::test::TempDir dir("synth-e2e");
  static const fs::path out = [] {
    const fs::path o = dir / "pagoda";
    const auto r =
        RunMuta({"synth", "--scene", "pagoda", "--images", "12", "--size", "640x480", "--damage",
                 "default", "--seed", "1", "-o", o.string(), "--progress", "json"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    return o;
  }();
  return out;
}

}  // namespace

TEST_CASE("muta synth writes photographs and exact ground truth", "[gl][synth]") {
  const fs::path& dir = PagodaSet();
  int images = 0;
  for (const auto& e : fs::directory_iterator(dir / "images"))
    images += e.path().extension() == ".jpg";
  CHECK(images == 12);
  for (const char* f :
       {"gt/mesh.ply", "gt/intact.ply", "gt/visible.ply", "gt/scene.json", "gt/damage.json",
        "gt/sparse/cameras.txt", "gt/sparse/images.txt", "gt/sparse/points3D.txt"}) {
    INFO(f);
    CHECK(fs::exists(dir / f));
  }
  const muta::Json damage = muta::ReadJsonFile(dir / "gt" / "damage.json");
  REQUIRE(damage["regions"].size() == 4);
  for (const auto& r : damage["regions"]) CHECK(r["has_counterpart"] == true);
  const auto mesh = muta::ReadPlyHeader(dir / "gt" / "mesh.ply");
  const auto intact = muta::ReadPlyHeader(dir / "gt" / "intact.ply");
  CHECK(mesh.num_faces + damage["removed_faces"].get<std::size_t>() == intact.num_faces);

  // The ground-truth cameras against themselves: zero error.
  const auto r = RunMuta({"eval", "cameras", "--gt", (dir / "gt" / "sparse").string(), "--model",
                          (dir / "gt" / "sparse").string(), "--json"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const muta::Json eval = muta::Json::parse(r.out);
  CHECK(eval["registered"] == 12);
  CHECK(eval["position_error_max"].get<double>() < 1e-9);
  CHECK(eval["rotation_error_max_deg"].get<double>() < 1e-6);
}

TEST_CASE("muta synth rejects bad options clearly", "[e2e][synth]") {
  muta::test::TempDir dir("synth-bad");
  const std::string out = (dir / "o").string();
  auto r = RunMuta({"synth", "--scene", "castle", "-o", out});
  CHECK(r.exit_code != 0);
  r = RunMuta({"synth", "--scene", "pagoda", "--size", "640by480", "-o", out});
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("WIDTHxHEIGHT") != std::string::npos);
  r = RunMuta({"synth", "--scene", "pagoda", "--images", "1", "-o", out});
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("images") != std::string::npos);
  r = RunMuta({"synth", "--scene", "pagoda", "--damage", "missing:pillar", "-o", out});
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("unknown part kind 'pillar'") != std::string::npos);
  r = RunMuta({"synth", "--scene", "hall", "--storeys", "3", "-o", out});
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("pagoda only") != std::string::npos);
  // --gt-only: the ground truth without rendering.
  r = RunMuta({"synth", "--scene", "gate", "--gt-only", "--damage", "lost:plaque:b1:partial",
               "--seed", "4", "-o", out});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(fs::exists(dir / "o" / "gt" / "damage.json"));
  CHECK_FALSE(fs::exists(dir / "o" / "images"));
}

TEST_CASE("COLMAP registers the synthetic photographs", "[e2e][synth]") {
  if (!muta::FindExecutable("colmap").has_value()) {
    WARN("colmap is not on PATH: skipped");
    return;
  }
  const fs::path& dir = PagodaSet();
  muta::test::TempDir work("synth-colmap");
  ::setenv("QT_QPA_PLATFORM", "offscreen", 1);
  const std::string db = (work / "database.db").string();
  const std::string images = (dir / "images").string();
  auto r =
      RunProgram("colmap", {"feature_extractor", "--database_path", db, "--image_path", images,
                            "--SiftExtraction.use_gpu", "0", "--ImageReader.single_camera", "1"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  r = RunProgram("colmap",
                 {"exhaustive_matcher", "--database_path", db, "--SiftMatching.use_gpu", "0"});
  REQUIRE(r.exit_code == 0);
  fs::create_directories(work / "sparse");
  r = RunProgram("colmap", {"mapper", "--database_path", db, "--image_path", images,
                            "--output_path", (work / "sparse").string()});
  REQUIRE(r.exit_code == 0);
  std::size_t best = 0;
  for (const auto& e : fs::directory_iterator(work / "sparse")) {
    if (!e.is_directory()) continue;
    best = std::max(best, muta::ReadSparseModel(e.path()).images.size());
  }
  CHECK(best >= 11);  // >= 90 % of 12
}
