#include "reconstruct/texture/view_alignment.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>

#include "core/error.h"
#include "core/pose.h"
#include "core/progress.h"
#include "reconstruct/texture/plane_scene_test_support.h"

namespace muta::reconstruct {
namespace {

// The textured plane photographed from above (plane_scene_test_support.h), 320 x 240 pixels,
// the photograph's content moved by `shift` pixels.
TextureView Photograph(double cx, Eigen::Vector2d shift = Eigen::Vector2d::Zero()) {
  return test::PlanePhotograph(cx, 320, 240, shift);
}

// A grid over [-2.4, 2.4]^2 at z = 0, facing up.
Mesh Plane() {
  return test::PlaneGrid(2.4, 33, 0.0);
}

double MeanAbsDiff(const Image& a, const Image& b, int border) {
  double s = 0;
  int n = 0;
  for (int y = border; y < a.height - border; ++y)
    for (int x = border; x < a.width - border; ++x, ++n) s += std::abs(a.at(x, y) - b.at(x, y));
  return s / n;
}

TEST_CASE("view alignment undoes a photograph's shift against the others", "[unit][texture]") {
  const Eigen::Vector2d shift(2.5, -1.5);
  std::vector<TextureView> views{Photograph(-0.6), Photograph(0, shift), Photograph(0.6)};
  const TextureView truth = Photograph(0);
  Progress progress(ProgressStyle::kQuiet);
  const double before = MeanAbsDiff(views[1].image, truth.image, 24);
  const Json fig = AlignViews(Plane(), views, ViewAlignmentOptions{}, progress);
  INFO(fig.dump());
  CHECK(fig["aligned"].get<bool>());
  CHECK(fig["points"].get<std::size_t>() > 1000);
  // The views disagreed by the shift; aligned, they agree.
  CHECK(fig["consistency_rms_after"].get<double>() <
        0.5 * fig["consistency_rms_before"].get<double>());
  // The shifted photograph moved back against the other two: resampled, it matches the
  // unshifted photograph far better (not exactly: the pull towards no displacement shares the
  // correction out among the views, so the other two moved a little the other way).
  const double after = MeanAbsDiff(views[1].image, truth.image, 24);
  INFO("mean |difference| to the unshifted photograph: " << before << " -> " << after);
  CHECK(fig["shift_max_pixels"].get<double>() > 1.0);
  CHECK(fig["shift_max_pixels"].get<double>() < 4.0);
  CHECK(after < 0.6 * before);
}

TEST_CASE("view alignment leaves consistent photographs as they are", "[unit][texture]") {
  std::vector<TextureView> views{Photograph(-0.6), Photograph(0), Photograph(0.6)};
  const std::vector<TextureView> original = views;
  Progress progress(ProgressStyle::kQuiet);
  const Json fig = AlignViews(Plane(), views, ViewAlignmentOptions{}, progress);
  INFO(fig.dump());
  CHECK(fig["aligned"].get<bool>());
  CHECK(fig["shift_max_pixels"].get<double>() < 0.2);
  for (std::size_t v = 0; v < views.size(); ++v) {
    CHECK(MeanAbsDiff(views[v].image, original[v].image, 0) < 1.0);
  }
}

TEST_CASE("view alignment refuses bad options and skips what it cannot align", "[unit][texture]") {
  Progress progress(ProgressStyle::kQuiet);
  ViewAlignmentOptions bad;
  bad.lattice_pixels = 2;
  std::vector<TextureView> views{Photograph(0)};
  CHECK_THROWS_AS(AlignViews(Plane(), views, bad, progress), Error);
  // One view: nothing to align it to.
  const Json one = AlignViews(Plane(), views, ViewAlignmentOptions{}, progress);
  CHECK_FALSE(one["aligned"].get<bool>());
  // A plane no camera sees (behind them all).
  Mesh behind = Plane();
  for (Vec3f& v : behind.vertices) v.z() = 20.0f;
  std::vector<TextureView> two{Photograph(-0.6), Photograph(0.6)};
  const Json none = AlignViews(behind, two, ViewAlignmentOptions{}, progress);
  CHECK_FALSE(none["aligned"].get<bool>());
  CHECK(none["points"].get<std::size_t>() == 0);
}

}  // namespace
}  // namespace muta::reconstruct
