#include "reconstruct/mvs/plane_cost.h"

#include <cmath>

#include <catch2/catch.hpp>

#include "reconstruct/mvs/analytic_scene.h"

namespace muta::reconstruct {
namespace {

GrayImage Gray(const MvsView& v) {
  return {v.gray.data(), v.width, v.height};
}

}  // namespace

TEST_CASE("plane homography maps pixels as projecting the plane's points does", "[unit][mvs]") {
  const AnalyticScene scene = MakeFacadeScene(3, 320, 240);
  const Camera& camera = scene.model.cameras.at(1);
  const Eigen::Matrix3f K = IndexK(camera.K());
  const Eigen::Matrix3f K_inv = K.inverse();
  const Rigid3d& ref = scene.model.images.at(1).cam_from_world;
  const Rigid3d& src = scene.model.images.at(3).cam_from_world;
  const SourceGeometry g = MakeSourceGeometry(K, ref, K, src);
  const Eigen::Vector3f normal = Eigen::Vector3f(0.2f, -0.3f, -1.0f).normalized();
  const float x = 100, y = 80, depth = 6.5f;
  const std::array<float, 9> H = PlaneHomography(g, K_inv, x, y, depth, normal);
  const Eigen::Vector3f X0 = depth * (K_inv * Eigen::Vector3f(x, y, 1));
  for (const auto& [px, py] : {std::pair{100.0f, 80.0f}, {140.0f, 60.0f}, {20.0f, 200.0f}}) {
    // Intersect the ray of (px, py) with the plane through X0, move it into the source camera
    // and project it.
    const Eigen::Vector3f ray = K_inv * Eigen::Vector3f(px, py, 1);
    const Eigen::Vector3f X = ray * (normal.dot(X0) / normal.dot(ray));
    const Eigen::Vector3d Xs = src * (ref.Inverse() * Eigen::Vector3d(X.cast<double>()));
    const Eigen::Vector3f q = K * Xs.cast<float>();
    const float hz = H[6] * px + H[7] * py + H[8];
    CHECK((H[0] * px + H[1] * py + H[2]) / hz == Approx(q.x() / q.z()).margin(1e-2));
    CHECK((H[3] * px + H[4] * py + H[5]) / hz == Approx(q.y() / q.z()).margin(1e-2));
  }
}

TEST_CASE("window pattern: 11x11 with step 2 has 32 samples without the corners", "[unit][mvs]") {
  const WindowPattern p = MakeWindowPattern(5, 2, 5.0f);
  REQUIRE(p.count == 32);
  for (int k = 0; k < p.count; ++k) {
    CHECK_FALSE((std::abs(p.dx[k]) == 5 && std::abs(p.dy[k]) == 5));
    CHECK(p.spatial[k] <= 1.0f);
  }
  CHECK(MakeWindowPattern(3, 1, 3.0f).count == 49);
  CHECK_THROWS(MakeWindowPattern(2, 3, 1.0f));
}

TEST_CASE("weighted NCC is lowest for the true plane, SIMD and scalar agree", "[unit][mvs]") {
  const AnalyticScene scene = MakeFacadeScene(3, 320, 240);
  FloatMap depth, normal;
  const MvsView ref = RenderAnalyticView(scene, 2, &depth, &normal);
  const MvsView src = RenderAnalyticView(scene, 3);
  const Eigen::Matrix3f K = IndexK(ref.K);
  const SourceGeometry g = MakeSourceGeometry(K, ref.cam_from_world, K, src.cam_from_world);
  const WindowPattern pattern = MakeWindowPattern(5, 2, 5.0f);
  int tested = 0;
  for (int y = 20; y < ref.height - 20; y += 23) {
    for (int x = 20; x < ref.width - 20; x += 29) {
      if (depth.at(x, y) <= 0) continue;
      RefPatch patch;
      ComputeRefPatch(Gray(ref), x, y, pattern, 0.12f, 0.004f, patch);
      if (!patch.textured) continue;
      const Eigen::Vector3f n(normal.at(x, y, 0), normal.at(x, y, 1), normal.at(x, y, 2));
      const float d = depth.at(x, y);
      const float truth = PatchCost(patch, PlaneHomography(g, K.inverse(), x, y, d, n), Gray(src));
      const float wrong =
          PatchCost(patch, PlaneHomography(g, K.inverse(), x, y, d * 1.05f, n), Gray(src));
      const float scalar =
          PatchCostScalar(patch, PlaneHomography(g, K.inverse(), x, y, d, n), Gray(src));
      INFO("pixel " << x << "," << y);
      CHECK(truth == Approx(scalar).margin(1e-4));
      // Pixels at depth edges may be occluded in the source; most are not.
      if (truth < 0.2f) {
        ++tested;
        CHECK(wrong > truth + 0.1f);
      }
    }
  }
  CHECK(tested >= 40);
}

TEST_CASE("flat patches and warps outside the source cost the maximum", "[unit][mvs]") {
  std::vector<float> flat(64 * 64, 0.5f);
  const GrayImage img{flat.data(), 64, 64};
  const WindowPattern pattern = MakeWindowPattern(5, 2, 5.0f);
  RefPatch patch;
  ComputeRefPatch(img, 32, 32, pattern, 0.12f, 0.004f, patch);
  CHECK_FALSE(patch.textured);
  const std::array<float, 9> identity = {1, 0, 0, 0, 1, 0, 0, 0, 1};
  CHECK(PatchCost(patch, identity, img) == kMaxCost);

  std::vector<float> noise(64 * 64);
  for (std::size_t i = 0; i < noise.size(); ++i) noise[i] = float((i * 7919) % 101) / 100.0f;
  const GrayImage textured{noise.data(), 64, 64};
  ComputeRefPatch(textured, 32, 32, pattern, 0.12f, 0.004f, patch);
  REQUIRE(patch.textured);
  CHECK(PatchCost(patch, identity, textured) == Approx(0.0f).margin(1e-4));
  const std::array<float, 9> shifted = {1, 0, 100, 0, 1, 0, 0, 0, 1};
  CHECK(PatchCost(patch, shifted, textured) == kMaxCost);
  const std::array<float, 9> behind = {1, 0, 0, 0, 1, 0, 0, 0, -1};
  CHECK(PatchCost(patch, behind, textured) == kMaxCost);
}

}  // namespace muta::reconstruct
