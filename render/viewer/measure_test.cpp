// Measuring and picking without a window: exact values, the BVH against brute force, and a
// measurement between two known vertices of a synthetic mesh.
#include <cmath>
#include <random>

#include <Eigen/Geometry>
#include <catch2/catch.hpp>

#include "core/error.h"
#include "render/viewer/measure.h"
#include "render/viewer/ray_picker.h"
#include "tests/test_util.h"

namespace muta::render::viewer {
namespace {

using Eigen::Vector3d;

TEST_CASE("measuring tools give metres and square metres", "[unit]") {
  const Vector3d a(1, 2, 3), b(4, 6, 3.5);
  CHECK(Distance(a, b) == Approx(std::sqrt(9 + 16 + 0.25)));
  CHECK(HeightDifference(a, b) == Approx(0.5));
  CHECK(HeightDifference(b, a) == Approx(-0.5));
  const std::vector<Vector3d> line = {{0, 0, 0}, {3, 0, 0}, {3, 4, 0}, {3, 4, 2}};
  CHECK(PolylineLength(line) == Approx(9));
  CHECK(PolylineLength(std::vector<Vector3d>{{1, 1, 1}}) == 0);
  // A 2 x 3 m rectangle tilted 30 degrees about x, far from the origin: 6 m^2 exactly.
  const double c = std::cos(M_PI / 6), s = std::sin(M_PI / 6);
  const Vector3d o(1000, -2000, 50);
  const std::vector<Vector3d> rect = {o, o + Vector3d(2, 0, 0), o + Vector3d(2, 3 * c, 3 * s),
                                      o + Vector3d(0, 3 * c, 3 * s)};
  CHECK(PolygonArea(rect) == Approx(6).epsilon(1e-9));
  // An L-shaped (non-convex) floor: 3 x 3 minus 2 x 2 = 5 m^2.
  const std::vector<Vector3d> ell = {{0, 0, 1}, {3, 0, 1}, {3, 1, 1},
                                     {1, 1, 1}, {1, 3, 1}, {0, 3, 1}};
  CHECK(PolygonArea(ell) == Approx(5));
  CHECK(PolygonArea(std::vector<Vector3d>{{0, 0, 0}, {1, 0, 0}}) == 0);
}

TEST_CASE("a measurement collects points and restarts two-point kinds", "[unit]") {
  Measurement m;
  m.kind = MeasureKind::kDistance;
  CHECK_FALSE(m.Complete());
  CHECK(m.Describe() == "pick 2 more points");
  m.Add({0, 0, 0});
  m.Add({0, 3, 4});
  CHECK(m.Value() == Approx(5));
  CHECK(m.Describe() == "5.000 m");
  m.Add({1, 1, 1});  // a third click starts a new distance
  CHECK(m.points.size() == 1);
  m.kind = MeasureKind::kArea;
  m.points = {{0, 0, 0}, {2, 0, 0}, {2, 2, 0}};
  CHECK(m.Value() == Approx(2));
  CHECK(ParseMeasureKind("height") == MeasureKind::kHeight);
  CHECK_THAT(test::ErrorOf([] { ParseMeasureKind("volume"); }),
             Catch::Contains("distance, height, polyline or area"));
}

// Brute-force nearest hit, for checking the BVH.
std::optional<double> BruteForce(const Mesh& mesh, const Vector3d& o, const Vector3d& d) {
  std::optional<double> best;
  for (const Face& f : mesh.faces) {
    const Vector3d a = mesh.vertices[f[0]].cast<double>(), b = mesh.vertices[f[1]].cast<double>(),
                   c = mesh.vertices[f[2]].cast<double>();
    const Vector3d e1 = b - a, e2 = c - a, p = d.cross(e2);
    const double det = e1.dot(p);
    if (std::abs(det) < 1e-300) continue;
    const Vector3d s = o - a;
    const double u = s.dot(p) / det;
    const Vector3d q = s.cross(e1);
    const double v = d.dot(q) / det, t = e2.dot(q) / det;
    if (u < 0 || v < 0 || u + v > 1 || t <= 0) continue;
    if (!best || t < *best) best = t;
  }
  return best;
}

TEST_CASE("the picking BVH finds the same nearest triangle as brute force", "[unit]") {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(-5, 5);
  Mesh mesh;
  for (int i = 0; i < 600; ++i) {
    const Vec3f c(u(rng), u(rng), u(rng));
    const auto base = static_cast<std::uint32_t>(mesh.vertices.size());
    for (int k = 0; k < 3; ++k) mesh.vertices.push_back(c + 0.15f * Vec3f(u(rng), u(rng), u(rng)));
    mesh.faces.push_back(Face(base, base + 1, base + 2));
  }
  const TrianglePicker picker(mesh);
  CHECK(picker.NumTriangles() == 600);
  int hits = 0;
  for (int i = 0; i < 2000; ++i) {
    const Vector3d o = Vector3d(u(rng), u(rng), u(rng)) * 2;
    const Vector3d d = Vector3d(u(rng), u(rng), u(rng)).normalized();
    const auto expected = BruteForce(mesh, o, d);
    const auto hit = picker.Cast(o, d);
    REQUIRE(hit.has_value() == expected.has_value());
    if (!hit) continue;
    ++hits;
    CHECK(hit->distance == Approx(*expected).margin(1e-9));
    CHECK((hit->point - (o + hit->distance * d)).norm() < 1e-9);
  }
  CHECK(hits > 100);
}

TEST_CASE("a measurement between two known vertices of a synthetic mesh matches within 1 mm",
          "[unit]") {
  // The 2 x 2 x 3 m box, moved far from the origin (where float positions are coarsest).
  Mesh mesh = test::ColouredBox();
  const Vec3f offset(352.25f, -181.5f, 12.0f);
  for (Vec3f& v : mesh.vertices) v += offset;
  const TrianglePicker picker(mesh);
  const Vector3d o = offset.cast<double>();
  const Vector3d lower = o + Vector3d(-1, -1, 0);  // vertex 0
  const Vector3d upper = o + Vector3d(1, 1, 3);    // vertex 7
  const Vector3d eye = o + Vector3d(-6, -8, 9);

  // Aim 2 cm inside the faces next to each vertex (as a user's click would land) and snap.
  const auto pick = [&](const Vector3d& aim) {
    const auto hit = picker.Cast(eye, aim - eye);
    REQUIRE(hit.has_value());
    CHECK((hit->point - aim).norm() < 1e-4);  // exact triangle picking
    return SnapToVertex(picker, *hit, 0.05).point;
  };
  const Vector3d a = pick(lower + Vector3d(0.02, 0, 0.02));    // on the front face y = -1
  const Vector3d b = pick(upper + Vector3d(-0.02, -0.02, 0));  // on the top face z = 3
  CHECK((a - lower).norm() < 1e-4);
  CHECK((b - upper).norm() < 1e-4);
  Measurement m;
  m.kind = MeasureKind::kDistance;
  m.Add(a);
  m.Add(b);
  CHECK(std::abs(m.Value() - std::sqrt(17.0)) < 0.001);
  m.kind = MeasureKind::kHeight;
  CHECK(std::abs(m.Value() - 3.0) < 0.001);

  // Hidden faces are skipped: with the front face (y = -1, faces 4 and 5) refused, the ray
  // goes on through the box to the far side.
  const Vector3d centre_front = lower + Vector3d(1, 0, 1.5);
  const auto front = picker.Cast(eye, centre_front - eye);
  REQUIRE(front.has_value());
  CHECK(front->face / 2 == 2);
  const auto through =
      picker.Cast(eye, centre_front - eye, std::numeric_limits<double>::infinity(),
                  [](std::uint32_t face, const Vector3d&) { return face / 2 != 2; });
  REQUIRE(through.has_value());
  CHECK(through->face / 2 != 2);
  CHECK(through->distance > front->distance + 0.5);
}

TEST_CASE("point picking takes the nearest point within the cone", "[unit]") {
  const std::vector<Vec3f> points = {{0, 0, 5}, {0, 0, 2}, {0.5f, 0, 1}, {0, 0, -3}};
  const auto hit = PickPoint(points, Vector3d::Zero(), Vector3d(0, 0, 1), 0.01);
  REQUIRE(hit.has_value());
  CHECK(hit->face == 1);
  CHECK(hit->distance == Approx(2));
  const auto filtered = PickPoint(points, Vector3d::Zero(), Vector3d(0, 0, 1), 0.01,
                                  [](const Vec3f& p) { return p.z() > 3; });
  REQUIRE(filtered.has_value());
  CHECK(filtered->face == 0);
  CHECK_FALSE(PickPoint(points, Vector3d(10, 10, 0), Vector3d(0, 0, 1), 0.01).has_value());
}

}  // namespace
}  // namespace muta::render::viewer
