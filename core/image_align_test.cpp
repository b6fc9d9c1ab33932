#include "core/image_align.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>

#include <Eigen/LU>

#include "core/error.h"

namespace {

// A textured test picture: waves at several scales and a hash speckle, like a photograph's
// detail (no flat areas, no exact periodicity).
muta::Image Picture(int w, int h) {
  muta::Image im(w, h, 3);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      std::uint32_t k = std::uint32_t(x) * 73856093u ^ std::uint32_t(y) * 19349663u;
      k = (k ^ (k >> 13)) * 0x5bd1e995u;
      const double speckle = double(k >> 24) / 255.0 - 0.5;
      const double v = 0.5 + 0.18 * std::sin(0.05 * x + 0.3 * std::sin(0.02 * y)) +
                       0.14 * std::cos(0.11 * y - 0.04 * x) + 0.1 * std::sin(0.23 * (x + y)) +
                       0.06 * speckle;
      for (int c = 0; c < 3; ++c) {
        im.at(x, y, c) = std::uint8_t(std::clamp(std::lround(255 * (v + 0.05 * c)), 0l, 255l));
      }
    }
  }
  return im;
}

Eigen::Vector2d Map(const Eigen::Matrix3d& h, double x, double y) {
  const Eigen::Vector3d q = h * Eigen::Vector3d(x, y, 1);
  return q.head<2>() / q.z();
}

}  // namespace

TEST_CASE("A homography a few pixels off is found again and undone", "[unit]") {
  const int w = 400, h = 300;
  const muta::Image reference = Picture(w, h);
  // moving(y) = reference(G y): a shift of (4.5, -3.2) px, 0.4 degrees of roll, 0.6 % scale and a
  // little perspective – what a pose error of a few tenths of a degree does to a view.
  const double a = 0.4 * M_PI / 180;
  Eigen::Matrix3d g;
  g << 1.006 * std::cos(a), -std::sin(a), 4.5, std::sin(a), 1.006 * std::cos(a), -3.2, 2e-6, -1e-6,
      1;
  const Eigen::Matrix3d to_centre =
      (Eigen::Matrix3d() << 1, 0, -0.5 * w, 0, 1, -0.5 * h, 0, 0, 1).finished();
  g = to_centre.inverse() * g * to_centre;  // about the image centre
  const muta::Image moving = muta::WarpHomography(reference, {}, g, 0);
  std::vector<std::uint8_t> mask(std::size_t(w) * h, 0);
  for (int y = 20; y < h - 20; ++y) {
    for (int x = 20; x < w - 20; ++x) mask[std::size_t(y) * w + x] = 1;
  }
  const muta::HomographyFit fit = muta::FitHomography(reference, mask, moving, {});
  REQUIRE(fit.converged);
  CHECK(fit.rms_after < 0.25 * fit.rms_before);
  // moving(H x) = reference(G H x) = reference(x): H = G^-1, checked at the corners.
  const Eigen::Matrix3d expected = g.inverse();
  for (const auto& [x, y] : {std::pair{20.0, 20.0}, {380.0, 20.0}, {20.0, 280.0}, {380.0, 280.0}}) {
    CAPTURE(x, y);
    CHECK((Map(fit.h, x, y) - Map(expected, x, y)).norm() < 0.15);
  }
  // Warping the moving image back lines it up with the reference.
  const muta::Image back = muta::WarpHomography(moving, {}, fit.h, 0);
  double err = 0;
  std::size_t n = 0;
  for (int y = 30; y < h - 30; ++y) {
    for (int x = 30; x < w - 30; ++x, ++n)
      err += std::abs(back.at(x, y, 1) - reference.at(x, y, 1));
  }
  CHECK(err / double(n) < 4.0);
}

TEST_CASE("Image alignment leaves unrelated or empty inputs at the identity", "[unit]") {
  const muta::Image reference = Picture(200, 150);
  const std::vector<std::uint8_t> none(200 * 150, 0);
  const muta::HomographyFit empty = muta::FitHomography(reference, none, reference, {});
  CHECK_FALSE(empty.converged);
  CHECK(empty.h.isIdentity());
  // Already aligned: nothing to gain, the identity stays (or a fit within a hundredth of a px).
  const std::vector<std::uint8_t> all(200 * 150, 1);
  const muta::HomographyFit same = muta::FitHomography(reference, all, reference, {});
  CHECK((Map(same.h, 100, 75) - Eigen::Vector2d(100, 75)).norm() < 0.01);
  CHECK_THROWS_AS(muta::FitHomography(reference, all, Picture(100, 75), {}), muta::Error);
  CHECK_THROWS_AS(muta::FitHomography(reference, std::vector<std::uint8_t>(10, 1), reference, {}),
                  muta::Error);
}
