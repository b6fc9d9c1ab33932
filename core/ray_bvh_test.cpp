#include "core/ray_bvh.h"

#include <cmath>
#include <random>

#include <tbb/parallel_for.h>
#include <Eigen/Geometry>
#include <catch2/catch.hpp>

#include "core/error.h"
#include "core/random_soup_test_util.h"

namespace muta {
namespace {

using Eigen::Vector3d;

using test::RandomPoint;
// Triangles of up to 0.15 half size.
Mesh RandomSoup(std::size_t n, std::uint32_t seed) {
  return test::RandomSoup(n, seed, 0.15f);
}

// Reference: every triangle, in double, with the textbook Möller–Trumbore test.
std::optional<RayHit> BruteForce(const Mesh& mesh, const Vector3d& o, const Vector3d& d,
                                 double t_min, double t_max) {
  std::optional<RayHit> best;
  for (std::size_t f = 0; f < mesh.faces.size(); ++f) {
    const Vector3d a = mesh.vertices[mesh.faces[f][0]].cast<double>();
    const Vector3d e1 = mesh.vertices[mesh.faces[f][1]].cast<double>() - a;
    const Vector3d e2 = mesh.vertices[mesh.faces[f][2]].cast<double>() - a;
    const double scale2 = std::max(e1.squaredNorm(), e2.squaredNorm());
    if (!(e1.cross(e2).squaredNorm() > 1e-24 * scale2 * scale2)) continue;
    const Vector3d p = d.cross(e2);
    const double det = e1.dot(p);
    if (det == 0) continue;
    const Vector3d s = o - a;
    const double u = s.dot(p) / det;
    const Vector3d q = s.cross(e1);
    const double v = d.dot(q) / det;
    const double t = e2.dot(q) / det;
    if (u < 0 || v < 0 || u + v > 1 || t < t_min || t > t_max) continue;
    if (!best || t < best->t) best = RayHit{t, std::uint32_t(f), u, v};
  }
  return best;
}

// A closed axis-aligned box [lo, hi] as 12 triangles.
Mesh BoxMesh(const Vec3f& lo, const Vec3f& hi) {
  Mesh m;
  for (int i = 0; i < 8; ++i) {
    m.vertices.emplace_back(i & 1 ? hi.x() : lo.x(), i & 2 ? hi.y() : lo.y(),
                            i & 4 ? hi.z() : lo.z());
  }
  const int quads[6][4] = {{0, 2, 3, 1}, {4, 5, 7, 6}, {0, 1, 5, 4},
                           {2, 6, 7, 3}, {0, 4, 6, 2}, {1, 3, 7, 5}};
  for (const auto& q : quads) {
    m.faces.emplace_back(q[0], q[1], q[2]);
    m.faces.emplace_back(q[0], q[2], q[3]);
  }
  return m;
}

TEST_CASE("RayBvh closest hit and occlusion match brute force on a random soup", "[unit]") {
  const Mesh mesh = RandomSoup(3000, 7);
  const RayBvh bvh(mesh);
  CHECK(bvh.NumTriangles() == 3000);
  CHECK(bvh.Depth() < 64);
  std::mt19937 rng(11);
  int hits = 0;
  for (int i = 0; i < 2000; ++i) {
    const Vector3d o = RandomPoint(rng, -2, 2).cast<double>();
    Vector3d d = RandomPoint(rng, -1, 1).cast<double>();
    if (i % 7 == 0) d = Vector3d(0, 0, d.z());  // axis-parallel rays: zero slab directions
    if (d.norm() < 1e-3) continue;
    const double t_max = i % 3 == 0 ? 1.0 : std::numeric_limits<double>::infinity();
    const auto ref = BruteForce(mesh, o, d, 0, t_max);
    const auto got = bvh.Closest(o, d, 0, t_max);
    REQUIRE(bool(ref) == bool(got));
    CHECK(bvh.Occluded(o, d, 0, t_max) == bool(ref));
    if (!ref) continue;
    ++hits;
    CHECK(got->t == Approx(ref->t).epsilon(1e-12));
    if (got->face != ref->face) {  // a tie: both triangles at the same t
      CHECK(got->t == Approx(ref->t).margin(1e-12));
    } else {
      CHECK(got->u == Approx(ref->u).margin(1e-9));
      CHECK(got->v == Approx(ref->v).margin(1e-9));
    }
    // The hit point lies on the hit face.
    const Face& f = mesh.faces[got->face];
    const Vector3d p = (1 - got->u - got->v) * mesh.vertices[f[0]].cast<double>() +
                       got->u * mesh.vertices[f[1]].cast<double>() +
                       got->v * mesh.vertices[f[2]].cast<double>();
    CHECK((p - (o + got->t * d)).norm() < 1e-9);
  }
  CHECK(hits > 300);  // the sample exercised real hits, not only misses
}

TEST_CASE("RayBvh on a closed box: inside and outside rays, t range, both sides", "[unit]") {
  const Mesh box = BoxMesh({-1, -1, -1}, {1, 1, 1});
  const RayBvh bvh(box);
  // From outside along +x: enters at x = -1 (t = 2 from x = -3).
  auto hit = bvh.Closest({-3, 0.2, 0.3}, {1, 0, 0});
  REQUIRE(hit);
  CHECK(hit->t == Approx(2.0));
  // The back side of the same wall is hit from inside (two-sided).
  hit = bvh.Closest({0, 0.2, 0.3}, {-2, 0, 0});
  REQUIRE(hit);
  CHECK(hit->t == Approx(0.5));  // t in multiples of the (non-unit) direction
  // t_min skips the near wall, t_max stops short of the far one.
  hit = bvh.Closest({-3, 0.2, 0.3}, {1, 0, 0}, 2.5);
  REQUIRE(hit);
  CHECK(hit->t == Approx(4.0));
  CHECK_FALSE(bvh.Occluded({-3, 0.2, 0.3}, {1, 0, 0}, 0, 1.9));
  CHECK(bvh.Occluded({-3, 0.2, 0.3}, {1, 0, 0}, 0, 2.1));
  // Missing the box entirely.
  CHECK_FALSE(bvh.Closest({-3, 5, 0}, {1, 0, 0}));
  // A shadow ray from a point on the surface towards a camera outside: free.
  CHECK_FALSE(bvh.Occluded({1, 0.1, 0.1}, {1, 0, 0}, 1e-6, 10));
  // ...and towards a camera on the other side of the box: blocked by the opposite wall.
  CHECK(bvh.Occluded({1, 0.1, 0.1}, {-1, 0, 0}, 1e-6, 10));
}

TEST_CASE("RayBvh Closest with a filter returns the nearest accepted hit", "[unit]") {
  // Random soup: the filtered answer equals brute force over the accepted faces only.
  const Mesh mesh = RandomSoup(2000, 5);
  const RayBvh bvh(mesh);
  CHECK(bvh.Bytes() > 2000 * (3 * sizeof(Vector3d)));
  const auto odd_only = [](const RayHit& h) { return h.face % 2 == 1; };
  Mesh odd = mesh;
  odd.faces.clear();
  for (std::size_t f = 1; f < mesh.faces.size(); f += 2) odd.faces.push_back(mesh.faces[f]);
  std::mt19937 rng(3);
  int hits = 0, differs = 0;
  for (int i = 0; i < 1000; ++i) {
    const Vector3d o = RandomPoint(rng, -2, 2).cast<double>();
    const Vector3d d = RandomPoint(rng, -1, 1).cast<double>();
    if (d.norm() < 1e-3) continue;
    const auto ref = BruteForce(odd, o, d, 0, 10);
    const auto got = bvh.Closest(o, d, 0, 10, odd_only);
    REQUIRE(bool(ref) == bool(got));
    if (!ref) continue;
    ++hits;
    CHECK(got->face % 2 == 1);
    CHECK(got->t == Approx(ref->t).epsilon(1e-12));
    const auto any = bvh.Closest(o, d, 0, 10);
    REQUIRE(any);
    if (any->face % 2 == 0) ++differs;
  }
  CHECK(hits > 100);
  CHECK(differs > 10);  // the filter did skip nearer rejected hits
  // A closed box: rejecting the near wall gives the far one; rejecting all gives none; an
  // empty filter accepts every hit.
  const RayBvh box(BoxMesh({-1, -1, -1}, {1, 1, 1}));
  const auto near = box.Closest({-3, 0.2, 0.3}, {1, 0, 0});
  REQUIRE(near);
  const auto far = box.Closest({-3, 0.2, 0.3}, {1, 0, 0}, 0, 100,
                               [&](const RayHit& h) { return h.face != near->face; });
  REQUIRE(far);
  CHECK(far->t == Approx(4.0));
  CHECK_FALSE(box.Closest({-3, 0.2, 0.3}, {1, 0, 0}, 0, 100, [](const RayHit&) { return false; }));
  const auto unfiltered = box.Closest({-3, 0.2, 0.3}, {1, 0, 0}, 0, 100, RayBvh::Accept{});
  REQUIRE(unfiltered);
  CHECK(unfiltered->t == Approx(2.0));
}

TEST_CASE("RayBvh: degenerate triangles are never hit, empty meshes never hit", "[unit]") {
  Mesh m;
  m.vertices = {{0, 0, 0}, {1, 0, 0}, {2, 0, 0}, {0, 1, 0}};
  m.faces = {{0, 1, 2}, {0, 0, 3}};  // collinear and coincident corners
  const RayBvh bvh(m);
  CHECK_FALSE(bvh.Closest({0.5, 0, -1}, {0, 0, 1}));
  CHECK_FALSE(bvh.Occluded({0.5, 0, -1}, {0, 0, 1}, 0, 10));
  const RayBvh empty{Mesh{}};
  CHECK(empty.NumTriangles() == 0);
  CHECK_FALSE(empty.Closest({0, 0, 0}, {1, 0, 0}));
  CHECK_FALSE(empty.Occluded({0, 0, 0}, {1, 0, 0}, 0, 1));
}

TEST_CASE("RayBvh rejects bad faces and vertices", "[unit]") {
  Mesh m;
  m.vertices = {{0, 0, 0}, {1, 0, 0}, {0, 1, 0}};
  m.faces = {{0, 1, 3}};
  CHECK_THROWS_WITH(RayBvh(m), Catch::Contains("refers to vertex 3"));
  m.faces = {{0, 1, 2}};
  m.vertices[1].x() = std::numeric_limits<float>::quiet_NaN();
  CHECK_THROWS_AS(RayBvh(m), Error);
}

TEST_CASE("RayBvh stays shallow when every triangle has the same centroid", "[unit]") {
  // Concentric triangles: centroid binning cannot separate them; median splits keep the depth
  // logarithmic.
  Mesh m;
  for (int i = 0; i < 5000; ++i) {
    const float s = 0.001f * float(i + 1);
    const auto base = std::uint32_t(m.vertices.size());
    m.vertices.emplace_back(-s, -s, 0);
    m.vertices.emplace_back(2 * s, -s, 0);
    m.vertices.emplace_back(-s, 2 * s, 0);
    m.faces.emplace_back(base, base + 1, base + 2);
  }
  const RayBvh bvh(m);
  CHECK(bvh.Depth() <= 64 + 16);
  const auto hit = bvh.Closest({0, 0, 1}, {0, 0, -1});
  REQUIRE(hit);
  CHECK(hit->t == Approx(1.0));
}

TEST_CASE("RayBvh queries from many threads give the serial answers", "[unit]") {
  const Mesh mesh = RandomSoup(5000, 3);
  const RayBvh bvh(mesh);
  std::mt19937 rng(5);
  constexpr int kRays = 4000;
  std::vector<Vector3d> origins(kRays), dirs(kRays);
  for (int i = 0; i < kRays; ++i) {
    origins[i] = RandomPoint(rng, -2, 2).cast<double>();
    dirs[i] = RandomPoint(rng, -1, 1).cast<double>();
  }
  std::vector<double> serial(kRays, -1), parallel(kRays, -1);
  for (int i = 0; i < kRays; ++i) {
    if (const auto h = bvh.Closest(origins[i], dirs[i])) serial[i] = h->t;
  }
  tbb::parallel_for(0, kRays, [&](int i) {
    if (const auto h = bvh.Closest(origins[i], dirs[i])) parallel[i] = h->t;
  });
  CHECK(serial == parallel);
}

}  // namespace
}  // namespace muta
