#include "core/closest_point.h"

#include <cmath>
#include <random>

#include <catch2/catch.hpp>

#include "core/error.h"
#include "core/random_soup_test_util.h"
#include "core/sampling.h"

namespace muta {
namespace {

using Eigen::Vector3d;

using test::RandomPoint;
// Triangles of up to 0.1 half size.
Mesh RandomSoup(std::size_t n, std::uint32_t seed) {
  return test::RandomSoup(n, seed, 0.1f);
}

ClosestPoint BruteForce(const Mesh& mesh, const Vector3d& q) {
  ClosestPoint best;
  for (std::size_t f = 0; f < mesh.faces.size(); ++f) {
    const Face& face = mesh.faces[f];
    const Vector3d p = ClosestPointOnTriangle(q, mesh.vertices[face[0]].cast<double>(),
                                              mesh.vertices[face[1]].cast<double>(),
                                              mesh.vertices[face[2]].cast<double>());
    const double d = (p - q).norm();
    if (d < best.distance) best = {d, p, std::uint32_t(f)};
  }
  return best;
}

// Minimum distance over a dense barycentric grid of the triangle (an upper bound that
// converges to the true distance).
double GridDistance(const Vector3d& p, const Vector3d& a, const Vector3d& b, const Vector3d& c) {
  double best = std::numeric_limits<double>::infinity();
  constexpr int kSteps = 400;
  for (int i = 0; i <= kSteps; ++i) {
    for (int j = 0; i + j <= kSteps; ++j) {
      const double u = double(i) / kSteps, v = double(j) / kSteps;
      best = std::min(best, (a + u * (b - a) + v * (c - a) - p).norm());
    }
  }
  return best;
}

}  // namespace

TEST_CASE("ClosestPointOnTriangle handles every Voronoi region", "[unit][metrics]") {
  const Vector3d a(0, 0, 0), b(2, 0, 0), c(0, 2, 0);
  // Interior: straight down.
  CHECK((ClosestPointOnTriangle({0.5, 0.5, 3}, a, b, c) - Vector3d(0.5, 0.5, 0)).norm() < 1e-12);
  // Vertex regions.
  CHECK((ClosestPointOnTriangle({-1, -1, 1}, a, b, c) - a).norm() < 1e-12);
  CHECK((ClosestPointOnTriangle({3, -0.5, 0}, a, b, c) - b).norm() < 1e-12);
  CHECK((ClosestPointOnTriangle({-0.5, 3, 0}, a, b, c) - c).norm() < 1e-12);
  // Edge regions.
  CHECK((ClosestPointOnTriangle({1, -1, 0}, a, b, c) - Vector3d(1, 0, 0)).norm() < 1e-12);
  CHECK((ClosestPointOnTriangle({-1, 1, 1}, a, b, c) - Vector3d(0, 1, 0)).norm() < 1e-12);
  CHECK((ClosestPointOnTriangle({2, 2, -1}, a, b, c) - Vector3d(1, 1, 0)).norm() < 1e-12);
  // Degenerate triangles: a segment and a point.
  CHECK((ClosestPointOnTriangle({1, 1, 0}, a, b, Vector3d(1, 0, 0)) - Vector3d(1, 0, 0)).norm() <
        1e-12);
  CHECK((ClosestPointOnTriangle({1, 1, 1}, a, a, a) - a).norm() < 1e-12);

  // Random triangles and points against a dense grid.
  std::mt19937 rng(3);
  for (int trial = 0; trial < 30; ++trial) {
    const Vector3d ta = RandomPoint(rng, -1, 1).cast<double>();
    const Vector3d tb = RandomPoint(rng, -1, 1).cast<double>();
    const Vector3d tc = RandomPoint(rng, -1, 1).cast<double>();
    const Vector3d p = RandomPoint(rng, -2, 2).cast<double>();
    const double exact = (ClosestPointOnTriangle(p, ta, tb, tc) - p).norm();
    const double grid = GridDistance(p, ta, tb, tc);
    CHECK(exact <= grid + 1e-12);
    CHECK(grid - exact < 0.01);
  }
}

TEST_CASE("TriangleBvh agrees with brute force", "[unit][metrics]") {
  const Mesh mesh = RandomSoup(3000, 11);
  const TriangleBvh bvh(mesh);
  CHECK(bvh.NumTriangles() == mesh.NumFaces());
  CHECK(bvh.NumNodes() > 1);

  std::mt19937 rng(5);
  std::vector<Vec3f> queries;
  for (int i = 0; i < 400; ++i) queries.push_back(RandomPoint(rng, -1.5f, 1.5f));
  for (int i = 0; i < 20; ++i) queries.push_back(RandomPoint(rng, -20, 20));  // far away
  queries.push_back(mesh.vertices[7]);                                        // on the surface

  const std::vector<ClosestPoint> batch = ClosestPointsOnMesh(bvh, queries);
  const std::vector<double> distances = DistancesToMesh(bvh, queries);
  REQUIRE(batch.size() == queries.size());
  for (std::size_t i = 0; i < queries.size(); ++i) {
    const Vector3d q = queries[i].cast<double>();
    const ClosestPoint expected = BruteForce(mesh, q);
    const ClosestPoint got = ClosestPointOnMesh(bvh, q);
    CHECK(got.distance == Approx(expected.distance).margin(1e-9));
    CHECK(batch[i].distance == got.distance);
    CHECK(distances[i] == got.distance);
    CHECK((got.point - q).norm() == Approx(got.distance).margin(1e-12));
    // The reported point lies on the reported face.
    REQUIRE(got.face < mesh.NumFaces());
    const Face& face = mesh.faces[got.face];
    const Vector3d on_face = ClosestPointOnTriangle(
        got.point, mesh.vertices[face[0]].cast<double>(), mesh.vertices[face[1]].cast<double>(),
        mesh.vertices[face[2]].cast<double>());
    CHECK((on_face - got.point).norm() < 1e-9);
  }
  CHECK(ClosestPointOnMesh(bvh, queries.back().cast<double>()).distance < 1e-12);
}

TEST_CASE("TriangleBvh copes with many coincident triangles", "[unit][metrics]") {
  Mesh mesh;
  mesh.vertices = {{0, 0, 0}, {1, 0, 0}, {0, 1, 0}, {5, 5, 5}, {6, 5, 5}, {5, 6, 5}};
  for (int i = 0; i < 1000; ++i) mesh.faces.emplace_back(0, 1, 2);
  mesh.faces.emplace_back(3, 4, 5);
  const TriangleBvh bvh(mesh);
  const ClosestPoint near = bvh.Closest({0.25, 0.25, 1});
  CHECK(near.distance == Approx(1.0));
  CHECK(near.face < 1000);
  const ClosestPoint far = bvh.Closest({5.25, 5.25, 7});
  CHECK(far.distance == Approx(2.0));
  CHECK(far.face == 1000);
}

TEST_CASE("TriangleBvh rejects bad meshes", "[unit][metrics]") {
  Mesh empty;
  empty.vertices = {{0, 0, 0}};
  CHECK_THROWS_AS(TriangleBvh(empty), Error);
  Mesh bad_index;
  bad_index.vertices = {{0, 0, 0}, {1, 0, 0}, {0, 1, 0}};
  bad_index.faces.emplace_back(0, 1, 3);
  CHECK_THROWS_WITH(TriangleBvh(bad_index), Catch::Contains("vertex 3"));
  Mesh nan = bad_index;
  nan.faces[0] = Face(0, 1, 2);
  nan.vertices[1].x() = std::numeric_limits<float>::quiet_NaN();
  CHECK_THROWS_WITH(TriangleBvh(nan), Catch::Contains("not finite"));
}

TEST_CASE("PointIndex finds the nearest point", "[unit][metrics]") {
  std::mt19937 rng(9);
  std::vector<Vec3f> points;
  for (int i = 0; i < 5000; ++i) points.push_back(RandomPoint(rng, -1, 1));
  const PointIndex index(points);
  CHECK(index.size() == points.size());
  std::vector<Vec3f> queries;
  for (int i = 0; i < 300; ++i) queries.push_back(RandomPoint(rng, -1.2f, 1.2f));
  const std::vector<double> distances = DistancesToPoints(index, queries);
  for (std::size_t i = 0; i < queries.size(); ++i) {
    const Vector3d q = queries[i].cast<double>();
    double best = std::numeric_limits<double>::infinity();
    for (const Vec3f& p : points) best = std::min(best, (p.cast<double>() - q).norm());
    const NearestPoint nearest = index.Nearest(q);
    CHECK(nearest.distance == Approx(best).margin(1e-6));
    CHECK(distances[i] == nearest.distance);
    CHECK((points[nearest.index].cast<double>() - q).norm() == nearest.distance);
  }
  CHECK(index.Nearest(points[42].cast<double>()).distance == 0);

  CHECK_THROWS_AS(PointIndex(std::vector<Vec3f>{}), Error);
  CHECK_THROWS_AS(PointIndex(std::vector<Vec3f>{{0, 0, std::nanf("")}}), Error);
}

TEST_CASE("SampleSurface is uniform by area and deterministic", "[unit][metrics]") {
  // Two triangles with areas 1 and 3 (a unit right triangle scaled by 1 and by sqrt(3)).
  Mesh mesh;
  const float s = std::sqrt(2.0f);
  mesh.vertices = {{0, 0, 0},
                   {s, 0, 0},
                   {0, s, 0},
                   {0, 0, 1},
                   {s * std::sqrt(3.0f), 0, 1},
                   {0, s * std::sqrt(3.0f), 1}};
  mesh.faces = {Face(0, 1, 2), Face(3, 4, 5)};
  std::vector<std::uint32_t> faces;
  const std::vector<Vec3f> samples = SampleSurface(mesh, 40000, 17, &faces);
  REQUIRE(samples.size() == 40000);
  REQUIRE(faces.size() == samples.size());
  std::size_t on_second = 0;
  Eigen::Vector3d mean_first = Eigen::Vector3d::Zero();
  for (std::size_t i = 0; i < samples.size(); ++i) {
    const Vec3f& p = samples[i];
    CHECK(p.z() == Approx(faces[i] == 0 ? 0.0 : 1.0).margin(1e-6));
    const float leg = faces[i] == 0 ? s : s * std::sqrt(3.0f);
    CHECK(p.x() >= 0);
    CHECK(p.y() >= 0);
    CHECK(p.x() + p.y() <= leg * 1.0001f);
    if (faces[i] == 1) {
      ++on_second;
    } else {
      mean_first += p.cast<double>();
    }
  }
  CHECK(double(on_second) / samples.size() == Approx(0.75).margin(0.01));
  // Uniform inside a triangle: the mean is the centroid.
  mean_first /= double(samples.size() - on_second);
  CHECK(mean_first.x() == Approx(s / 3).margin(0.01));
  CHECK(mean_first.y() == Approx(s / 3).margin(0.01));

  CHECK(SampleSurface(mesh, 100, 17) == SampleSurface(mesh, 100, 17));
  CHECK(SampleSurface(mesh, 100, 17) != SampleSurface(mesh, 100, 18));
  CHECK(SampleSurface(mesh, 0, 17).empty());

  Mesh flat;
  flat.vertices = {{0, 0, 0}, {1, 0, 0}, {2, 0, 0}};
  flat.faces = {Face(0, 1, 2)};
  CHECK_THROWS_WITH(SampleSurface(flat, 10, 1), Catch::Contains("area"));
  CHECK_THROWS_AS(SampleSurface(Mesh{}, 10, 1), Error);
}

}  // namespace muta
