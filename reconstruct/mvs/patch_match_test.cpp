#include "reconstruct/mvs/patch_match.h"

#include <cmath>

#include <tbb/task_arena.h>
#include <catch2/catch.hpp>

#include "core/error.h"
#include "reconstruct/mvs/analytic_scene.h"

namespace muta::reconstruct {
namespace {

struct Facade {
  AnalyticScene scene;
  MvsProblem problem;
  FloatMap truth, truth_normal;
};

// Five 200x150 views of the facade; the middle one is the reference.
const Facade& SmallFacade() {
  static const Facade facade = [] {
    Facade f;
    f.scene = MakeFacadeScene(5, 200, 150);
    f.problem.reference = RenderAnalyticView(f.scene, 3, &f.truth, &f.truth_normal);
    for (std::uint32_t id : {1u, 2u, 4u, 5u}) {
      FloatMap depth;
      f.problem.sources.push_back(RenderAnalyticView(f.scene, id, &depth));
      f.problem.source_depths.push_back(std::move(depth));
    }
    f.problem.depth_min = 3.0;
    f.problem.depth_max = 12.0;
    return f;
  }();
  return facade;
}

PatchMatchOptions SmallOptions() {
  PatchMatchOptions o;
  o.num_scales = 1;  // 200x150 is small already
  o.num_iterations = 4;
  return o;
}

}  // namespace

TEST_CASE("photometric PatchMatch recovers depths and normals of the facade", "[unit][mvs]") {
  const Facade& f = SmallFacade();
  const DepthEstimate e = EstimateDepthMap(f.problem, SmallOptions());
  REQUIRE(e.depth.width == 200);
  REQUIRE(e.normal.channels == 3);
  const DepthAgreement a = CompareDepthMaps(e.depth, f.truth, 0.01);
  INFO("completeness " << a.completeness << " accuracy " << a.accuracy << " median error "
                       << a.median_relative_error);
  CHECK(a.completeness >= 0.85);
  CHECK(a.median_relative_error < 0.003);
  // Normals of the well-matched pixels: unit length, facing the camera, close to the truth.
  int good = 0, total = 0;
  for (int y = 0; y < e.depth.height; ++y) {
    for (int x = 0; x < e.depth.width; ++x) {
      const float d = e.depth.at(x, y), t = f.truth.at(x, y);
      if (d <= 0 || t <= 0 || std::abs(d - t) > 0.005f * t) continue;
      const Eigen::Vector3f n(e.normal.at(x, y, 0), e.normal.at(x, y, 1), e.normal.at(x, y, 2));
      const Eigen::Vector3f nt(f.truth_normal.at(x, y, 0), f.truth_normal.at(x, y, 1),
                               f.truth_normal.at(x, y, 2));
      REQUIRE(n.norm() == Approx(1.0f).margin(1e-3));
      ++total;
      good += n.dot(nt) > std::cos(15.0f * 3.14159f / 180);
    }
  }
  CHECK(good > 0.8 * total);
}

TEST_CASE("coarse-to-fine PatchMatch is as accurate as single scale", "[unit][mvs]") {
  const Facade& f = SmallFacade();
  PatchMatchOptions o;
  o.num_scales = 2;
  const DepthAgreement a = CompareDepthMaps(EstimateDepthMap(f.problem, o).depth, f.truth, 0.01);
  INFO("completeness " << a.completeness);
  CHECK(a.completeness >= 0.85);
}

TEST_CASE("red-black updates give the same result on 1 and on many threads", "[unit][mvs]") {
  const Facade& f = SmallFacade();
  PatchMatchOptions o = SmallOptions();
  o.num_iterations = 2;
  DepthEstimate one, many;
  tbb::task_arena(1).execute([&] { one = EstimateDepthMap(f.problem, o); });
  tbb::task_arena(2).execute([&] { many = EstimateDepthMap(f.problem, o); });
  CHECK(one.depth.data == many.depth.data);
  CHECK(one.normal.data == many.normal.data);
  o.seed = 2;
  const DepthEstimate other = EstimateDepthMap(f.problem, o);
  CHECK(other.depth.data != one.depth.data);
}

TEST_CASE("geometric pass and filtering keep consistent depths", "[unit][mvs]") {
  const Facade& f = SmallFacade();
  const PatchMatchOptions o = SmallOptions();
  const DepthEstimate photometric = EstimateDepthMap(f.problem, o);
  DepthEstimate geometric = RefineDepthMapGeometric(f.problem, photometric, o);
  const DepthAgreement before = CompareDepthMaps(geometric.depth, f.truth, 0.01);
  const std::size_t kept = FilterDepthMap(f.problem, o, geometric);
  const DepthAgreement after = CompareDepthMaps(geometric.depth, f.truth, 0.01);
  INFO("geometric " << before.completeness << " filtered accuracy " << after.accuracy
                    << " completeness " << after.completeness);
  CHECK(before.completeness >= 0.85);
  CHECK(after.accuracy >= 0.97);
  CHECK(after.completeness >= 0.75);
  CHECK(kept > 0);
  for (std::size_t i = 0; i < geometric.depth.data.size(); ++i) {
    if (geometric.depth.data[i] == 0) REQUIRE(geometric.normal.data[3 * i + 2] == 0);
  }
  // The true depth agrees with at least two of the four sources almost everywhere.
  const std::vector<int> counts = CountConsistentViews(f.problem, f.truth, o);
  std::size_t consistent = 0, valid = 0;
  for (std::size_t i = 0; i < counts.size(); ++i) {
    valid += f.truth.data[i] > 0;
    consistent += counts[i] >= 2;
  }
  CHECK(consistent > 0.9 * valid);
}

TEST_CASE("PatchMatch rejects bad problems and options", "[unit][mvs]") {
  const Facade& f = SmallFacade();
  MvsProblem p = f.problem;
  p.depth_min = 5;
  p.depth_max = 4;
  CHECK_THROWS_AS(EstimateDepthMap(p, SmallOptions()), Error);
  p = f.problem;
  p.sources.clear();
  CHECK_THROWS_AS(EstimateDepthMap(p, SmallOptions()), Error);
  p = f.problem;
  p.source_depths.pop_back();
  CHECK_THROWS_AS(RefineDepthMapGeometric(p, DepthEstimate{}, SmallOptions()), Error);

  PatchMatchOptions o;
  o.num_source_images = 0;
  CHECK_THROWS_WITH(o.Check(), Catch::Contains("num_source_images"));
  o = {};
  o.depth_min = 1.0;
  CHECK_THROWS_WITH(o.Check(), Catch::Contains("depth_max"));
  o = {};
  o.window_radius = 15;
  o.window_step = 1;
  CHECK_THROWS_WITH(o.Check(), Catch::Contains("window_step"));
  CHECK_NOTHROW(PatchMatchOptions{}.Check());
  for (const char* q : {"preview", "standard", "high"}) CHECK_NOTHROW(PatchMatchPreset(q).Check());
  CHECK(PatchMatchPreset("preview").max_image_size.value() <
        PatchMatchPreset("standard").max_image_size.value());
  CHECK_FALSE(PatchMatchPreset("high").max_image_size.has_value());
  // standard fuses photometric maps (FusionPreset), so it skips the geometric pass.
  CHECK_FALSE(PatchMatchPreset("standard").geometric);
  CHECK(PatchMatchPreset("preview").geometric);
  CHECK(PatchMatchPreset("high").geometric);
  CHECK_THROWS_WITH(PatchMatchPreset("ultra"), Catch::Contains("preview, standard or high"));
}

TEST_CASE("source views and depth range from sparse points", "[unit][mvs]") {
  AnalyticScene scene = MakeFacadeScene(7, 200, 150, 60.0);
  AddSparsePoints(scene, 400, 3);
  REQUIRE(scene.model.points.size() > 300);
  PatchMatchOptions o;
  o.num_source_images = 4;
  const std::vector<std::uint32_t> sources = SelectSourceViews(scene.model, 4, o);
  REQUIRE(sources.size() == 4);
  for (const std::uint32_t s : sources) CHECK(s != 4);
  // The neighbours on the arc (10 degrees either side) share the most points.
  CHECK(std::find(sources.begin(), sources.end(), 3u) != sources.end());
  CHECK(std::find(sources.begin(), sources.end(), 5u) != sources.end());

  FloatMap truth;
  RenderAnalyticView(scene, 4, &truth);
  float lo = 1e9f, hi = 0;
  for (const float d : truth.data) {
    if (d > 0) lo = std::min(lo, d), hi = std::max(hi, d);
  }
  const auto [dmin, dmax] = EstimateDepthRange(scene.model, 4, o);
  CHECK(dmin < lo);
  CHECK(dmax > hi);
  CHECK(dmax < 3 * hi);

  // Without points: the range from camera geometry still holds the scene, and sources are
  // still found from the view frusta.
  AnalyticScene bare = MakeFacadeScene(7, 200, 150, 60.0);
  const auto [gmin, gmax] = EstimateDepthRange(bare.model, 4, o);
  CHECK(gmin < lo);
  CHECK(gmax > hi);
  const std::vector<std::uint32_t> bare_sources = SelectSourceViews(bare.model, 4, o);
  CHECK(bare_sources.size() == 4);
  o.depth_min = 2.0;
  o.depth_max = 20.0;
  CHECK(EstimateDepthRange(bare.model, 4, o) == std::pair{2.0, 20.0});
  CHECK_THROWS_AS(SelectSourceViews(bare.model, 99, o), Error);
}

}  // namespace muta::reconstruct
