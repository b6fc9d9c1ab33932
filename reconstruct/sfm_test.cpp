#include "reconstruct/sfm.h"

#include <catch2/catch.hpp>

#include <fstream>

#include "core/error.h"
#include "core/subprocess.h"
#include "reconstruct/colmap.h"
#include "tests/test_util.h"

namespace fs = std::filesystem;
using namespace muta::reconstruct;

namespace {
fs::path WriteText(const muta::test::TempDir& dir, const std::string& name,
                   const std::string& text) {
  const fs::path p = dir / name;
  std::ofstream(p) << text;
  return p;
}
}  // namespace

TEST_CASE("Calibration files are read as K in COLMAP's pixel convention", "[unit][sfm]") {
  muta::test::TempDir dir("intrinsics");
  const Eigen::Matrix3d k =
      ReadIntrinsicsFile(WriteText(dir, "K.txt", "2759.48 0 1520.69\n0 2764.16 1006.81\n0 0 1\n"));
  CHECK(k(0, 0) == Approx(2759.48));
  CHECK(k(1, 1) == Approx(2764.16));
  CHECK(k(0, 2) == Approx(1521.19));  // + 0.5: COLMAP's first pixel centre is at 0.5
  CHECK(k(1, 2) == Approx(1007.31));
  const Eigen::Matrix3d k4 = ReadIntrinsicsFile(WriteText(dir, "k4.txt", "100, 110, 50, 40"));
  CHECK(k4(1, 1) == Approx(110));
  CHECK(k4(0, 2) == Approx(50.5));

  auto message = [&](const std::string& text) -> std::string {
    try {
      ReadIntrinsicsFile(WriteText(dir, "bad.txt", text));
    } catch (const muta::Error& e) {
      return e.what();
    }
    return "no error";
  };
  CHECK_THAT(message("1 2 3"), Catch::Contains("found 3 numbers"));
  CHECK_THAT(message("1 0 0 0 1 0 0 0 x"), Catch::Contains("'x' is not a number"));
  CHECK_THAT(message("100 0 50 0 100 40 1 0 1"), Catch::Contains("upper triangular"));
  CHECK_THAT(message("100 5 50 0 100 40 0 0 1"), Catch::Contains("skew"));
  CHECK_THAT(message("-100 0 50 0 100 40 0 0 1"), Catch::Contains("positive"));
  CHECK_THAT(message(""), Catch::Contains("bad.txt"));
  CHECK_THROWS_AS(ReadIntrinsicsFile(dir / "missing.txt"), muta::Error);
}

TEST_CASE("SfM options and presets are checked", "[unit][sfm]") {
  CHECK(ParseMatcherKind("sequential") == MatcherKind::kSequential);
  CHECK(MatcherKindName(MatcherKind::kSpatial) == "spatial");
  CHECK_THROWS_WITH(ParseMatcherKind("vocab"), Catch::Contains("exhaustive"));
  CHECK(SfmPreset("preview").sift_max_image_size < SfmPreset("high").sift_max_image_size);
  CHECK_THROWS_AS(SfmPreset("ultra"), muta::Error);
  SfmOptions o;
  o.camera_model = "PINHOLEX";
  CHECK_THROWS_WITH(o.Check(), Catch::Contains("camera_model"));
}

TEST_CASE("COLMAP errors are quoted and a missing COLMAP is explained", "[unit][sfm]") {
  const std::vector<std::string> lines = {
      "Reading images...", "E20261125 10:00:00.000 1 database.cc:10] cannot open database",
      "Elapsed time: 0.1 [minutes]"};
  const std::string text = ColmapErrorText(lines);
  CHECK_THAT(text, Catch::Contains("cannot open database"));
  CHECK_THAT(text, !Catch::Contains("Reading images"));
  CHECK_THAT(ColmapErrorText({"just one line"}), Catch::Contains("just one line"));
  CHECK_THROWS_WITH(FindColmap(fs::path("/no/such/colmap")), Catch::Contains("--colmap"));
}

TEST_CASE("A failing COLMAP command is reported with COLMAP's message", "[unit][sfm]") {
  if (!muta::FindExecutable("colmap")) {
    WARN("colmap is not on PATH: skipped");
    return;
  }
  muta::test::TempDir dir("colmap-fail");
  try {
    RunColmap(FindColmap(std::nullopt), "mapper",
              {"--database_path", (dir / "missing.db").string(), "--image_path",
               (dir / "none").string(), "--output_path", (dir / "out").string()});
    FAIL("expected an error");
  } catch (const muta::Error& e) {
    CHECK_THAT(e.what(), Catch::Contains("COLMAP mapper failed"));
    CHECK_THAT(e.what(), Catch::Contains("log.txt"));
  }
}
