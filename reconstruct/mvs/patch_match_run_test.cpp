// RunPatchMatchStereo on a small dense workspace: layout, sizes, resume, interruption.
#include <catch2/catch.hpp>

#include "core/colmap_model.h"
#include "core/depth_map_io.h"
#include "core/error.h"
#include "core/file_io.h"
#include "core/progress.h"
#include "reconstruct/mvs/analytic_scene.h"
#include "reconstruct/mvs/patch_match.h"
#include "tests/test_util.h"

namespace muta::reconstruct {
namespace {

namespace fs = std::filesystem;

PatchMatchOptions FastOptions() {
  PatchMatchOptions o;
  o.num_scales = 1;
  o.num_iterations = 2;
  o.num_source_images = 3;
  return o;
}

std::vector<fs::path> OutputFiles(const fs::path& dir, const std::string& name) {
  return {DepthMapPath(dir, name, false), NormalMapPath(dir, name, false),
          DepthMapPath(dir, name, true), NormalMapPath(dir, name, true)};
}

}  // namespace

TEST_CASE("RunPatchMatchStereo writes COLMAP's layout and resumes per image", "[unit][mvs]") {
  test::TempDir dir("mvs-run");
  AnalyticScene scene = MakeFacadeScene(4, 160, 120);
  AddSparsePoints(scene, 300);
  WriteAnalyticWorkspace(scene, dir.path());
  Progress progress(ProgressStyle::kQuiet);

  const Json first = RunPatchMatchStereo(dir.path(), FastOptions(), progress);
  CHECK(first["images"] == 4);
  CHECK(first["photometric"]["processed"] == 4);
  CHECK(first["geometric"]["processed"] == 4);
  CHECK(first["geometric"]["mean_valid_fraction"].get<double>() > 0.3);
  for (const auto& [id, image] : scene.model.images) {
    for (const fs::path& p : OutputFiles(dir.path(), image.name)) {
      INFO(p.string());
      REQUIRE(fs::exists(p));
      const FloatMap m = ReadColmapArray(p);
      CHECK(m.width == 160);
      CHECK(m.height == 120);
      CHECK(m.channels == (p.parent_path().filename() == "normal_maps" ? 3 : 1));
    }
  }
  // Config files for COLMAP's stereo_fusion: one image per line; patch-match.cfg alternates
  // image and source lines.
  const std::string fusion = ReadFileText(dir / "stereo/fusion.cfg");
  CHECK(fusion == "view_001.png\nview_002.png\nview_003.png\nview_004.png\n");
  const std::string pm = ReadFileText(dir / "stereo/patch-match.cfg");
  CHECK(pm.find("view_001.png\nview_002.png, ") == 0);

  // Everything done: a rerun skips every image and changes nothing.
  const auto before = fs::last_write_time(DepthMapPath(dir.path(), "view_002.png", true));
  const Json second = RunPatchMatchStereo(dir.path(), FastOptions(), progress);
  CHECK(second["photometric"]["skipped"] == 4);
  CHECK(second["geometric"]["skipped"] == 4);
  CHECK(second["geometric"]["processed"] == 0);
  CHECK(fs::last_write_time(DepthMapPath(dir.path(), "view_002.png", true)) == before);

  // A missing geometric map is recomputed alone, from the photometric maps on disk.
  const FloatMap kept = ReadColmapArray(DepthMapPath(dir.path(), "view_003.png", true));
  fs::remove(DepthMapPath(dir.path(), "view_003.png", true));
  const Json third = RunPatchMatchStereo(dir.path(), FastOptions(), progress);
  CHECK(third["photometric"]["processed"] == 0);
  CHECK(third["geometric"]["processed"] == 1);
  CHECK(ReadColmapArray(DepthMapPath(dir.path(), "view_003.png", true)).data == kept.data);
  // No temporary files are left behind.
  for (const auto& e : fs::recursive_directory_iterator(dir / "stereo")) {
    CHECK(e.path().filename().string().find(".tmp") == std::string::npos);
  }
}

TEST_CASE("RunPatchMatchStereo stops on an interrupt and downscales by option", "[unit][mvs]") {
  test::TempDir dir("mvs-run2");
  AnalyticScene scene = MakeFacadeScene(3, 160, 120);
  AddSparsePoints(scene, 200);
  WriteAnalyticWorkspace(scene, dir.path());
  Progress progress(ProgressStyle::kQuiet);
  RequestInterrupt();
  CHECK_THROWS_AS(RunPatchMatchStereo(dir.path(), FastOptions(), progress), Cancelled);
  ResetInterrupt();
  CHECK_FALSE(fs::exists(DepthMapPath(dir.path(), "view_001.png", false)));

  PatchMatchOptions o = FastOptions();
  o.max_image_size = 80;
  o.geometric = false;
  const Json figures = RunPatchMatchStereo(dir.path(), o, progress);
  CHECK(figures["photometric"]["processed"] == 3);
  CHECK_FALSE(figures.contains("geometric"));
  const FloatMap m = ReadColmapArray(DepthMapPath(dir.path(), "view_002.png", false));
  CHECK(m.width == 80);
  CHECK(m.height == 60);
  CHECK_FALSE(fs::exists(DepthMapPath(dir.path(), "view_002.png", true)));
}

TEST_CASE("RunPatchMatchStereo explains a workspace it cannot use", "[unit][mvs]") {
  test::TempDir dir("mvs-bad");
  Progress progress(ProgressStyle::kQuiet);
  CHECK_THROWS_WITH(RunPatchMatchStereo(dir.path(), FastOptions(), progress),
                    Catch::Contains("undistort"));
  AnalyticScene scene = MakeFacadeScene(3, 160, 120);
  Camera& camera = scene.model.cameras.at(1);
  camera = Camera::SimpleRadial(160, 120, 144, 80, 60, 0.01);
  camera.id = 1;
  WriteAnalyticWorkspace(scene, dir.path());
  CHECK_THROWS_WITH(RunPatchMatchStereo(dir.path(), FastOptions(), progress),
                    Catch::Contains("SIMPLE_RADIAL"));
}

}  // namespace muta::reconstruct
