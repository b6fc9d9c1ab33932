#include "core/metrics.h"

#include <cmath>
#include <random>

#include <catch2/catch.hpp>

#include "core/error.h"
#include "core/sampling.h"

namespace muta {
namespace {

using Eigen::Vector3d;

Eigen::Quaterniond RandomRotation(std::mt19937& rng) {
  std::normal_distribution<double> n(0, 1);
  return Eigen::Quaterniond(n(rng), n(rng), n(rng), n(rng)).normalized();
}

std::vector<Vector3d> RandomPoints(std::mt19937& rng, int n, double extent) {
  std::uniform_real_distribution<double> u(-extent, extent);
  std::vector<Vector3d> points;
  for (int i = 0; i < n; ++i) points.emplace_back(u(rng), u(rng), u(rng));
  return points;
}

Sim3d KnownSimilarity() {
  std::mt19937 rng(1);
  Sim3d s;
  s.scale = 2.5;
  s.rotation = RandomRotation(rng);
  s.translation = Vector3d(3, -1, 7);
  return s;
}

void CheckSimilar(const Sim3d& got, const Sim3d& expected, double tolerance) {
  CHECK(got.scale == Approx(expected.scale).epsilon(tolerance));
  CHECK(RotationAngleDeg(got.rotation, expected.rotation) < tolerance * 180 / M_PI);
  CHECK((got.translation - expected.translation).norm() < tolerance * 10);
}

// `n` cameras on a helix around the origin, looking at it.
SparseModel MakeCameraModel(int n) {
  SparseModel model;
  model.cameras[1] = Camera::Pinhole(640, 480, 500, 500, 320, 240);
  model.cameras[1].id = 1;
  for (int i = 0; i < n; ++i) {
    const double angle = 2 * M_PI * i / n;
    const Vector3d center(10 * std::cos(angle), 10 * std::sin(angle), 2 + 0.3 * i);
    SparseImage image;
    image.id = std::uint32_t(i + 1);
    image.name = "img_" + std::to_string(i) + ".jpg";
    image.camera_id = 1;
    image.cam_from_world = LookAt(center, Vector3d::Zero());
    model.images[image.id] = image;
  }
  return model;
}

SparseModel Transformed(const SparseModel& model, const Sim3d& world2_from_world1) {
  SparseModel out = model;
  for (auto& [id, image] : out.images) {
    image.cam_from_world = TransformPose(world2_from_world1, image.cam_from_world);
  }
  return out;
}

// A UV sphere with vertices on the exact sphere.
Mesh MakeSphere(double radius, const Vector3d& center = Vector3d::Zero(), int stacks = 64,
                int slices = 128) {
  Mesh mesh;
  mesh.vertices.push_back((center + Vector3d(0, 0, radius)).cast<float>());
  for (int i = 1; i < stacks; ++i) {
    const double theta = M_PI * i / stacks;
    for (int j = 0; j < slices; ++j) {
      const double phi = 2 * M_PI * j / slices;
      const Vector3d p(std::sin(theta) * std::cos(phi), std::sin(theta) * std::sin(phi),
                       std::cos(theta));
      mesh.vertices.push_back((center + radius * p).cast<float>());
    }
  }
  mesh.vertices.push_back((center - Vector3d(0, 0, radius)).cast<float>());
  const auto ring = [&](int i, int j) { return std::uint32_t(1 + (i - 1) * slices + j % slices); };
  const auto south = std::uint32_t(mesh.vertices.size() - 1);
  for (int j = 0; j < slices; ++j) {
    mesh.faces.emplace_back(0, ring(1, j), ring(1, j + 1));
    mesh.faces.emplace_back(south, ring(stacks - 1, j + 1), ring(stacks - 1, j));
    for (int i = 1; i + 1 < stacks; ++i) {
      mesh.faces.emplace_back(ring(i, j), ring(i + 1, j), ring(i + 1, j + 1));
      mesh.faces.emplace_back(ring(i, j), ring(i + 1, j + 1), ring(i, j + 1));
    }
  }
  return mesh;
}

Mesh AsPointCloud(std::vector<Vec3f> points) {
  Mesh cloud;
  cloud.vertices = std::move(points);
  return cloud;
}

// Two unit spheres with centres `d` apart: a point of one at cosine c (to the offset
// direction) is at distance |sqrt(1 + d^2 + 2dc) - 1| from the other, c uniform in [-1, 1].
double ShiftedSpheresFraction(double d, double tau) {
  const double lo = ((1 - tau) * (1 - tau) - 1 - d * d) / (2 * d);
  const double hi = ((1 + tau) * (1 + tau) - 1 - d * d) / (2 * d);
  return std::max(0.0, std::min(hi, 1.0) - std::max(lo, -1.0)) / 2;
}

double ShiftedSpheresMeanDistance(double d) {
  constexpr int kSteps = 100000;
  double sum = 0;
  for (int i = 0; i < kSteps; ++i) {
    const double c = -1 + 2 * (i + 0.5) / kSteps;
    sum += std::abs(std::sqrt(1 + d * d + 2 * d * c) - 1);
  }
  return sum / kSteps;
}

}  // namespace

TEST_CASE("EstimateSimilarity recovers a known similarity and its inverse", "[unit][metrics]") {
  std::mt19937 rng(2);
  const std::vector<Vector3d> src = RandomPoints(rng, 25, 5);
  const Sim3d truth = KnownSimilarity();
  std::vector<Vector3d> dst;
  for (const auto& p : src) dst.push_back(truth * p);

  CheckSimilar(EstimateSimilarity(src, dst), truth, 1e-9);
  CheckSimilar(EstimateSimilarity(dst, src), truth.Inverse(), 1e-9);

  // Exactly three points are enough.
  const std::vector<Vector3d> src3(src.begin(), src.begin() + 3),
      dst3(dst.begin(), dst.begin() + 3);
  CheckSimilar(EstimateSimilarity(src3, dst3), truth, 1e-9);
}

TEST_CASE("EstimateSimilarity never returns a reflection", "[unit][metrics]") {
  std::mt19937 rng(4);
  const std::vector<Vector3d> src = RandomPoints(rng, 20, 1);
  std::vector<Vector3d> dst;
  for (const auto& p : src) dst.emplace_back(-p.x(), p.y(), p.z());  // a mirror image
  const Sim3d s = EstimateSimilarity(src, dst);
  CHECK(s.rotation.toRotationMatrix().determinant() == Approx(1.0));
  CHECK(s.scale > 0);
}

TEST_CASE("EstimateSimilarity rejects degenerate input", "[unit][metrics]") {
  const std::vector<Vector3d> two = {{0, 0, 0}, {1, 0, 0}};
  CHECK_THROWS_WITH(EstimateSimilarity(two, two), Catch::Contains("at least 3"));
  const std::vector<Vector3d> line = {{0, 0, 0}, {1, 1, 1}, {2, 2, 2}, {3.5, 3.5, 3.5}};
  CHECK_THROWS_WITH(EstimateSimilarity(line, line), Catch::Contains("collinear"));
  const std::vector<Vector3d> same = {{1, 2, 3}, {1, 2, 3}, {1, 2, 3}};
  CHECK_THROWS_AS(EstimateSimilarity(same, same), Error);
  const std::vector<Vector3d> triangle = {{0, 0, 0}, {1, 0, 0}, {0, 1, 0}};
  CHECK_THROWS_AS(EstimateSimilarity(triangle, same), Error);  // all targets coincide
  CHECK_THROWS_AS(EstimateSimilarity(triangle, line), Error);  // size mismatch
  const std::vector<Vector3d> nan = {{0, 0, 0}, {1, 0, 0}, {0, std::nan(""), 0}};
  CHECK_THROWS_WITH(EstimateSimilarity(triangle, nan), Catch::Contains("not finite"));
  CHECK_THROWS_AS(EstimateSimilarityRobust(line, line), Error);
  CHECK_THROWS_AS(EstimateSimilarityRobust(two, two), Error);
}

TEST_CASE("EstimateSimilarityRobust ignores 30% gross outliers", "[unit][metrics]") {
  const Sim3d truth = KnownSimilarity();
  for (const int n : {20, 60}) {  // all triples / random samples
    DYNAMIC_SECTION("n = " << n) {
      std::mt19937 rng(n);
      const std::vector<Vector3d> src = RandomPoints(rng, n, 5);
      std::normal_distribution<double> noise(0, 1e-3);
      std::vector<Vector3d> dst;
      std::vector<bool> outlier(std::size_t(n), false);
      for (int i = 0; i < n; ++i) {
        dst.push_back(truth * src[std::size_t(i)] + Vector3d(noise(rng), noise(rng), noise(rng)));
        if (i % 10 < 3) {  // 30%
          outlier[std::size_t(i)] = true;
          dst.back() += RandomPoints(rng, 1, 20)[0] + Vector3d(10, 10, 10);
        }
      }
      // Plain least squares is pulled away...
      const Sim3d plain = EstimateSimilarity(src, dst);
      CHECK(std::abs(plain.scale - truth.scale) > 0.05);
      // ...the robust estimate is not.
      const RobustSimilarity robust = EstimateSimilarityRobust(src, dst);
      CheckSimilar(robust.transform, truth, 1e-3);
      REQUIRE(robust.inliers.size() == std::size_t(n));
      for (int i = 0; i < n; ++i) CHECK(robust.inliers[std::size_t(i)] == !outlier[std::size_t(i)]);

      // Deterministic for a seed.
      const RobustSimilarity again = EstimateSimilarityRobust(src, dst);
      CHECK(again.transform.translation == robust.transform.translation);
      CHECK(again.inliers == robust.inliers);
    }
  }
}

TEST_CASE("EstimateSimilarityRobust keeps every point of noise-free data", "[unit][metrics]") {
  std::mt19937 rng(8);
  const std::vector<Vector3d> src = RandomPoints(rng, 12, 3);
  const Sim3d truth = KnownSimilarity();
  std::vector<Vector3d> dst;
  for (const auto& p : src) dst.push_back(truth * p);
  const RobustSimilarity robust = EstimateSimilarityRobust(src, dst);
  CheckSimilar(robust.transform, truth, 1e-9);
  CHECK(std::count(robust.inliers.begin(), robust.inliers.end(), true) == 12);
}

TEST_CASE("RobustSimilarityOptions::Check names the bad field", "[unit][metrics]") {
  RobustSimilarityOptions options;
  CHECK_NOTHROW(options.Check());
  options.max_samples = 0;
  CHECK_THROWS_WITH(options.Check(), Catch::Contains("max_samples"));
  options = {};
  options.inlier_sigmas = -1;
  CHECK_THROWS_WITH(options.Check(), Catch::Contains("inlier_sigmas"));
  options.inlier_sigmas = std::numeric_limits<double>::infinity();
  CHECK_THROWS_WITH(options.Check(), Catch::Contains("inlier_sigmas"));
}

TEST_CASE("EvaluateCameras on a model against itself", "[unit][metrics]") {
  const SparseModel model = MakeCameraModel(20);
  const CameraEvaluation e = EvaluateCameras(model, model);
  CHECK(e.registered == 20);
  CHECK(e.total == 20);
  CHECK(e.missing.empty());
  CHECK(e.scale == Approx(1.0).epsilon(1e-12));
  CHECK(e.position_error_median < 1e-9);
  CHECK(e.position_error_max < 1e-9);
  CHECK(e.rotation_error_median_deg < 1e-5);
  CHECK(e.rotation_error_max_deg < 1e-5);
}

TEST_CASE("EvaluateCameras undoes a similarity", "[unit][metrics]") {
  const SparseModel gt = MakeCameraModel(20);
  const Sim3d moved = KnownSimilarity();
  const SparseModel model = Transformed(gt, moved);
  const CameraEvaluation e = EvaluateCameras(gt, model);
  CHECK(e.registered == 20);
  CHECK(e.scale == Approx(1 / moved.scale).epsilon(1e-9));
  CheckSimilar(e.gt_from_model, moved.Inverse(), 1e-9);
  CHECK(e.position_error_max < 1e-8);
  CHECK(e.rotation_error_max_deg < 1e-5);
}

TEST_CASE("EvaluateCameras: one bad camera shows in the max, not the median", "[unit][metrics]") {
  const SparseModel gt = MakeCameraModel(20);
  SparseModel perturbed = gt;
  // Move camera 5's centre by 0.3 (gt units) and turn it by 5 degrees.
  Rigid3d& pose = perturbed.images.at(5).cam_from_world;
  const Vector3d center = CameraCenter(pose) + Vector3d(0.3, 0, 0);
  pose.rotation =
      (Eigen::AngleAxisd(5 * M_PI / 180, Vector3d::UnitY()) * pose.rotation).normalized();
  pose.translation = -(pose.rotation * center);
  const SparseModel model = Transformed(perturbed, KnownSimilarity());

  const CameraEvaluation e = EvaluateCameras(gt, model);
  CHECK(e.registered == 20);
  CHECK(e.position_error_max == Approx(0.3).margin(1e-6));
  CHECK(e.rotation_error_max_deg == Approx(5.0).margin(1e-4));
  CHECK(e.position_error_median < 1e-8);
  CHECK(e.rotation_error_median_deg < 1e-5);
  CHECK(e.scale == Approx(1 / 2.5).epsilon(1e-9));
}

TEST_CASE("EvaluateCameras reports missing images", "[unit][metrics]") {
  const SparseModel gt = MakeCameraModel(10);
  SparseModel model = gt;
  model.images.erase(3);
  model.images.erase(7);
  // A model image the ground truth does not have is ignored.
  SparseImage extra = model.images.at(1);
  extra.id = 100;
  extra.name = "not_in_gt.jpg";
  model.images[extra.id] = extra;
  const CameraEvaluation e = EvaluateCameras(gt, model);
  CHECK(e.registered == 8);
  CHECK(e.total == 10);
  CHECK(e.missing == std::vector<std::string>{"img_2.jpg", "img_6.jpg"});
  CHECK(e.position_error_max < 1e-9);

  SparseModel tiny = gt;
  while (tiny.images.size() > 2) tiny.images.erase(tiny.images.begin());
  CHECK_THROWS_WITH(EvaluateCameras(gt, tiny), Catch::Contains("only 2 of the 10"));
  CHECK_THROWS_WITH(EvaluateCameras(SparseModel{}, gt), Catch::Contains("no images"));
  CHECK_THROWS_WITH(EvaluateCameras(gt, SparseModel{}), Catch::Contains("no images"));
}

TEST_CASE("EvaluateSurface: a sphere against itself", "[unit][metrics]") {
  const Mesh sphere = MakeSphere(1);
  SurfaceEvaluationOptions options;
  options.tau = 0.02;
  const SurfaceEvaluation e = EvaluateSurface(sphere, sphere, nullptr, options);
  CHECK(e.tau == 0.02);
  CHECK(e.precision == 1);
  CHECK(e.recall == 1);
  CHECK(e.f_score == 1);
  CHECK(e.chamfer < 1e-6);
  CHECK(e.accuracy_mean < 1e-6);
  CHECK(e.completeness_mean < 1e-6);
  // About one sample per (tau/2)^2 of area.
  const auto expected = std::size_t(std::ceil(sphere.Area() / (0.01 * 0.01)));
  CHECK(e.num_reconstruction_samples == expected);
  CHECK(e.num_gt_samples == expected);
}

TEST_CASE("EvaluateSurface: concentric spheres are delta apart everywhere", "[unit][metrics]") {
  const double delta = 0.02;
  const Mesh gt = MakeSphere(1);
  const Mesh reconstruction = MakeSphere(1 + delta);
  SurfaceEvaluationOptions options;
  options.tau = 1.5 * delta;
  SurfaceEvaluation e = EvaluateSurface(gt, reconstruction, nullptr, options);
  CHECK(e.precision == 1);
  CHECK(e.recall == 1);
  CHECK(e.f_score == 1);
  CHECK(e.accuracy_mean == Approx(delta).epsilon(0.01));
  CHECK(e.completeness_mean == Approx(delta).epsilon(0.01));
  CHECK(e.chamfer == Approx(delta).epsilon(0.01));

  options.tau = 0.9 * delta;
  e = EvaluateSurface(gt, reconstruction, nullptr, options);
  CHECK(e.precision == 0);
  CHECK(e.recall == 0);
  CHECK(e.f_score == 0);
  CHECK(e.chamfer == Approx(delta).epsilon(0.01));
}

TEST_CASE("EvaluateSurface: shifted spheres match the analytic fractions", "[unit][metrics]") {
  const double d = 0.1;
  const Mesh gt = MakeSphere(1);
  const Mesh reconstruction = MakeSphere(1, Vector3d(d, 0, 0));
  const double mean = ShiftedSpheresMeanDistance(d);
  for (const double tau : {0.02, 0.05, 0.08, 0.12}) {
    DYNAMIC_SECTION("tau = " << tau) {
      SurfaceEvaluationOptions options;
      options.tau = tau;
      options.max_samples = 40'000;
      const SurfaceEvaluation e = EvaluateSurface(gt, reconstruction, nullptr, options);
      const double fraction = ShiftedSpheresFraction(d, tau);
      CHECK(e.precision == Approx(fraction).margin(0.015));
      CHECK(e.recall == Approx(fraction).margin(0.015));
      CHECK(e.f_score == Approx(fraction).margin(0.015));
      CHECK(e.accuracy_mean == Approx(mean).epsilon(0.02));
      CHECK(e.completeness_mean == Approx(mean).epsilon(0.02));
      CHECK(e.chamfer == Approx(mean).epsilon(0.02));
      CHECK(e.num_reconstruction_samples <= 40'000);
    }
  }
}

TEST_CASE("EvaluateSurface with point clouds", "[unit][metrics]") {
  const double delta = 0.02;
  const Mesh gt = MakeSphere(1);
  const Mesh cloud = AsPointCloud(SampleSurface(MakeSphere(1 + delta), 20'000, 3));
  SurfaceEvaluationOptions options;
  options.tau = 0.05;

  // Reconstruction as a point cloud: its own points are the samples.
  const SurfaceEvaluation e = EvaluateSurface(gt, cloud, nullptr, options);
  CHECK(e.num_reconstruction_samples == 20'000);
  CHECK(e.precision == 1);
  CHECK(e.accuracy_mean == Approx(delta).epsilon(0.01));
  // Completeness: GT samples to the nearest point, a little more than delta.
  CHECK(e.recall > 0.995);
  CHECK(e.completeness_mean > delta);
  CHECK(e.completeness_mean < delta + 0.02);

  // Ground truth as a point cloud too.
  const Mesh gt_cloud = AsPointCloud(SampleSurface(gt, 50'000, 4));
  const SurfaceEvaluation both = EvaluateSurface(gt_cloud, cloud, nullptr, options);
  CHECK(both.num_gt_samples == 50'000);
  CHECK(both.precision > 0.995);
  CHECK(both.recall > 0.995);
}

TEST_CASE("EvaluateSurface: gt_visible limits completeness to what was seen", "[unit][metrics]") {
  const Mesh gt = MakeSphere(1);
  // The reconstruction is only the x > 0 half of the sphere.
  Mesh half = gt;
  half.faces.clear();
  for (const Face& f : gt.faces) {
    if (gt.vertices[f[0]].x() + gt.vertices[f[1]].x() + gt.vertices[f[2]].x() > 0) {
      half.faces.push_back(f);
    }
  }
  SurfaceEvaluationOptions options;
  options.tau = 0.02;
  const SurfaceEvaluation all = EvaluateSurface(gt, half, nullptr, options);
  CHECK(all.precision == 1);
  CHECK(all.recall == Approx(0.5).margin(0.02));

  std::vector<Vec3f> visible;
  for (const Vec3f& p : SampleSurface(gt, 20'000, 5)) {
    if (p.x() > 0.05f) visible.push_back(p);
  }
  const SurfaceEvaluation seen = EvaluateSurface(gt, half, &visible, options);
  CHECK(seen.num_gt_samples == visible.size());
  CHECK(seen.recall == 1);
  CHECK(seen.f_score == 1);
}

TEST_CASE("EvaluateSurface rejects empty inputs and bad options", "[unit][metrics]") {
  const Mesh sphere = MakeSphere(1, Vector3d::Zero(), 8, 16);
  SurfaceEvaluationOptions options;
  CHECK_THROWS_WITH(EvaluateSurface(Mesh{}, sphere, nullptr, options),
                    Catch::Contains("ground truth is empty"));
  CHECK_THROWS_WITH(EvaluateSurface(sphere, Mesh{}, nullptr, options),
                    Catch::Contains("reconstruction is empty"));
  const std::vector<Vec3f> none;
  CHECK_THROWS_WITH(EvaluateSurface(sphere, sphere, &none, options), Catch::Contains("visible"));
  Mesh flat;
  flat.vertices = {{0, 0, 0}, {1, 0, 0}, {2, 0, 0}};
  flat.faces = {Face(0, 1, 2)};
  CHECK_THROWS_WITH(EvaluateSurface(sphere, flat, nullptr, options), Catch::Contains("area"));
  Mesh nan_cloud = AsPointCloud({{0, 0, 1}, {0, std::nanf(""), 0}});
  CHECK_THROWS_WITH(EvaluateSurface(sphere, nan_cloud, nullptr, options),
                    Catch::Contains("not finite"));
  Mesh broken = sphere;
  broken.faces.emplace_back(0, 1, 100000);
  CHECK_THROWS_AS(EvaluateSurface(broken, sphere, nullptr, options), Error);

  for (const double tau : {0.0, -1.0, std::nan(""), std::numeric_limits<double>::infinity()}) {
    options.tau = tau;
    CHECK_THROWS_WITH(options.Check(), Catch::Contains("tau"));
    CHECK_THROWS_WITH(EvaluateSurface(sphere, sphere, nullptr, options), Catch::Contains("tau"));
  }
  options = {};
  options.max_samples = 0;
  CHECK_THROWS_WITH(options.Check(), Catch::Contains("max_samples"));
}

}  // namespace muta
