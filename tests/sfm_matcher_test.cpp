// Our descriptor matcher against COLMAP's own CPU matcher on real SIFT features: COLMAP extracts
// features from a few synthetic photographs, its exhaustive_matcher stores its raw matches in a
// copy of the database, and ours must agree with them. COLMAP 3.8's CPU matcher searches
// approximate nearest neighbours (FLANN kd-trees) while ours computes the exact ones, so a few
// matches differ (a wrong second-best changes a ratio test); the large majority must agree. Over
// all pairs at least 90 % agree; a single pair may hold only a few dozen matches, where a handful
// of FLANN misses already costs 10 % (a CI run saw 38 of 43), so each pair must reach 80 %.
#include <catch2/catch.hpp>

#include <algorithm>

#include "core/subprocess.h"
#include "reconstruct/colmap_database.h"
#include "reconstruct/feature_match.h"
#include "tests/test_util.h"

namespace fs = std::filesystem;
using namespace muta::reconstruct;
using muta::test::RunMuta;
using muta::test::RunProgram;

TEST_CASE("Our matcher agrees with COLMAP's matcher on real SIFT features", "[e2e][sfm]") {
  const auto colmap = muta::FindExecutable("colmap");
  if (!colmap) {
    WARN("colmap is not on PATH: skipped");
    return;
  }
  muta::test::TempDir dir("matcher-vs-colmap");
  auto r = RunMuta({"synth", "--scene", "pagoda", "--images", "4", "--size", "480x360", "--seed",
                    "2", "-o", (dir / "synth").string(), "--progress", "none"});
  REQUIRE(r.exit_code == 0);
  const fs::path db = dir / "database.db";
  r = RunProgram(colmap->string(),
                 {"feature_extractor", "--database_path", db.string(), "--image_path",
                  (dir / "synth" / "images").string(), "--SiftExtraction.use_gpu", "0",
                  "--SiftExtraction.num_threads", "2", "--SiftExtraction.max_num_features", "2048",
                  "--ImageReader.single_camera", "1"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  const fs::path colmap_db = dir / "colmap.db";
  fs::copy_file(db, colmap_db);
  r = RunProgram(colmap->string(),
                 {"exhaustive_matcher", "--database_path", colmap_db.string(),
                  "--SiftMatching.use_gpu", "0", "--SiftMatching.num_threads", "2"});
  REQUIRE(r.exit_code == 0);

  ColmapDatabase ours_db(db), theirs(colmap_db);
  const auto images = ours_db.ReadImages();
  REQUIRE(images.size() == 4);
  std::size_t total = 0, total_common = 0, total_max = 0;
  for (std::size_t i = 0; i < images.size(); ++i) {
    for (std::size_t j = i + 1; j < images.size(); ++j) {
      const FeatureMatches expected = theirs.ReadMatches(images[i].image_id, images[j].image_id);
      const FeatureMatches ours =
          MatchDescriptors(ours_db.ReadDescriptors(images[i].image_id),
                           ours_db.ReadDescriptors(images[j].image_id), DescriptorMatchOptions{});
      std::size_t common = 0;
      for (const auto& m : ours) common += std::count(expected.begin(), expected.end(), m);
      INFO(images[i].name << " - " << images[j].name << ": ours " << ours.size() << ", COLMAP "
                          << expected.size() << ", in both " << common);
      CHECK(double(common) >= 0.8 * double(std::max(ours.size(), expected.size())));
      total += ours.size();
      total_common += common;
      total_max += std::max(ours.size(), expected.size());
    }
  }
  INFO("all pairs: " << total_common << " of " << total_max << " in both");
  CHECK(double(total_common) >= 0.9 * double(total_max));
  CHECK(total > 100);  // the photographs overlap: there is something to compare
  CHECK(theirs.CountVerifiedPairs() >= 3);
}
