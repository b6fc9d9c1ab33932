// reconstruct/texture: long-edge refinement, view selection and per-texel visibility around
// occluders, and the exclusion of views whose colour disagrees (split from texture_test.cpp).
#include "reconstruct/texture/texture.h"

#include <catch2/catch.hpp>

#include <array>
#include <cmath>
#include <map>

#include "core/error.h"
#include "core/image_io.h"
#include "core/pose.h"
#include "core/progress.h"
#include "core/ray_bvh.h"
#include "reconstruct/texture/atlas.h"
#include "reconstruct/texture/box_scene_test_support.h"
#include "reconstruct/texture/refine.h"
#include "reconstruct/texture/view_selection.h"

namespace muta::reconstruct {
namespace {

using namespace box_test;  // box_scene_test_support.h

TEST_CASE("RefineLongEdges splits long edges into a closed mesh without T-junctions", "[unit]") {
  // A closed box: GridBox's sides have vertices of their own, weld them.
  const Mesh sides = GridBox({0, 0, 0}, {2, 1, 0.5}, 1);
  Mesh box;
  std::map<std::array<float, 3>, std::uint32_t> index;
  std::vector<std::uint32_t> remap;
  for (const Vec3f& v : sides.vertices) {
    const auto [it, added] = index.try_emplace({v.x(), v.y(), v.z()}, box.vertices.size());
    if (added) box.vertices.push_back(v);
    remap.push_back(it->second);
  }
  for (const Face& f : sides.faces) box.faces.emplace_back(remap[f[0]], remap[f[1]], remap[f[2]]);
  REQUIRE(box.NumVertices() == 8);
  box.ComputeVertexNormals();
  box.part_ids.assign(box.NumFaces(), 7);
  const double area = box.Area();
  const Mesh r = tex::RefineLongEdges(box, 0.3);
  INFO(r.NumFaces() << " faces");
  CHECK(r.NumFaces() > 10 * box.NumFaces());
  CHECK(r.Area() == Approx(area).epsilon(1e-5));
  REQUIRE(r.part_ids.size() == r.NumFaces());
  CHECK(std::all_of(r.part_ids.begin(), r.part_ids.end(), [](int p) { return p == 7; }));
  REQUIRE(r.normals.size() == r.NumVertices());
  // Every directed edge once and its reverse once: closed, consistently oriented, and no
  // vertex lies on another face's edge (a T-junction would leave an edge without its twin).
  std::map<std::pair<std::uint32_t, std::uint32_t>, int> directed;
  double longest = 0;
  for (const Face& f : r.faces) {
    for (int k = 0; k < 3; ++k) {
      ++directed[{f[k], f[(k + 1) % 3]}];
      longest = std::max(longest, double((r.vertices[f[k]] - r.vertices[f[(k + 1) % 3]]).norm()));
    }
    // Orientation kept: the face normal points away from the box's centre.
    const Vector3d a = r.vertices[f[0]].cast<double>(), b = r.vertices[f[1]].cast<double>(),
                   c = r.vertices[f[2]].cast<double>();
    CHECK((b - a).cross(c - a).dot((a + b + c) / 3 - Vector3d(1, 0.5, 0.25)) > 0);
  }
  CHECK(longest <= 0.3 + 1e-6);
  for (const auto& [edge, n] : directed) {
    CHECK(n == 1);
    CHECK(directed.count({edge.second, edge.first}) == 1);
  }
  CHECK_THROWS_AS(tex::RefineLongEdges(box, 0), Error);
}

TEST_CASE("View selection: a face partly hidden from a view is not textured from it", "[unit]") {
  // A 2 x 2 m wall of 0.25 m quads (z = 0, facing +z) and a thin bar 0.3 m in front of it along
  // y at x = 0: from the camera straight above, the bar hides the wall's corners at x = 0 while
  // the centroids of the faces next to them stay visible.
  Mesh wall = GridBox({-1, -1, -0.1}, {1, 1, 0}, 8);
  const Mesh bar = GridBox({-0.05, -1.2, 0.3}, {0.05, 1.2, 0.4}, 1);
  Mesh scene = wall;
  scene.Append(bar);
  const RayBvh bvh(scene);
  const Vector3d above(0, 0, 3), oblique(2.5, 0, 3);
  std::vector<TextureView> views;
  views.push_back(Photograph(bvh, above, {0, 0, 0}, 1.0, "above.png", 320, 320, 160));
  views.push_back(Photograph(bvh, oblique, {0, 0, 0}, 1.0, "oblique.png", 320, 320, 160));
  Progress progress(ProgressStyle::kQuiet);
  TextureOptions options;
  options.smoothness = 0.05;  // let the data term decide
  const TexturedMesh t = TextureMesh(scene, views, options, progress);
  INFO(t.figures.dump(2));
  CHECK(t.figures["partly_hidden_face_view_pairs"].get<int>() > 0);
  auto sees = [&](const Vector3d& eye, const Vector3d& p) {
    return !bvh.Occluded(eye, p - eye, 0, 0.999);
  };
  int partly = 0, partly_oblique = 0, whole_above = 0, whole_total = 0;
  for (std::size_t f = 0; f < wall.NumFaces(); ++f) {
    const Face& face = scene.faces[f];
    Vector3d corner[3];
    for (int k = 0; k < 3; ++k) corner[k] = scene.vertices[face[k]].cast<double>();
    const Vector3d c = (corner[0] + corner[1] + corner[2]) / 3;
    if (c.z() < -0.001) continue;  // only the front side of the wall
    bool all_above = true, all_oblique = sees(oblique, c);
    for (int k = 0; k < 3; ++k) {
      const Vector3d p = c + 0.95 * (corner[k] - c);
      all_above = all_above && sees(above, p);
      all_oblique = all_oblique && sees(oblique, p);
    }
    if (sees(above, c) && !all_above && all_oblique) {
      ++partly;  // the centroid test alone would take the closer, frontal view here
      partly_oblique += t.face_views[f] == 1 ? 1 : 0;
      CHECK(t.face_views[f] == 1);
    } else if (all_above && std::abs(c.x()) > 0.3 && std::abs(c.y()) < 0.7) {
      ++whole_total;
      whole_above += t.face_views[f] == 0 ? 1 : 0;
    }
  }
  CHECK(partly >= 8);
  CHECK(partly_oblique == partly);
  // Faces the frontal view sees whole keep it: the test above is not "never the frontal view".
  CHECK(whole_total > 20);
  CHECK(whole_above >= 0.9 * whole_total);
}

TEST_CASE("Faces turned away by noise take a neighbour's view, hidden ones stay neutral",
          "[unit]") {
  // The front of a 2 x 2 m slab (z = 0, facing +z) seen by two cameras above it; every 9th of
  // its triangles is wound the other way – a face a reconstruction's noise has tilted past the
  // cameras' lines of sight: no view passes the facing test, yet the cameras see that surface.
  Mesh slab = GridBox({-1, -1, -0.1}, {1, 1, 0}, 10);
  std::size_t flipped = 0;
  std::vector<std::uint8_t> is_flipped(slab.NumFaces(), 0);
  for (std::size_t f = 0; f < slab.NumFaces(); f += 9) {
    const Face& face = slab.faces[f];
    const float z =
        slab.vertices[face[0]].z() + slab.vertices[face[1]].z() + slab.vertices[face[2]].z();
    if (z < -0.001f) continue;  // front side only
    std::swap(slab.faces[f][1], slab.faces[f][2]);
    is_flipped[f] = 1;
    ++flipped;
  }
  REQUIRE(flipped > 15);
  const RayBvh bvh(slab);
  std::vector<TextureView> views;
  views.push_back(Photograph(bvh, {0.4, 0.2, 3}, {0, 0, 0}, 1.0, "a.png", 320, 320, 160));
  views.push_back(Photograph(bvh, {-0.5, -0.3, 3.2}, {0, 0, 0}, 1.0, "b.png", 320, 320, 160));
  Progress progress(ProgressStyle::kQuiet);
  const TexturedMesh t = TextureMesh(slab, views, TextureOptions{}, progress);
  INFO(t.figures.dump(2));
  CHECK(t.figures["adopted_faces"].get<std::size_t>() == flipped);
  double error = 0;
  int back = 0, back_textured = 0;
  for (std::size_t f = 0; f < slab.NumFaces(); ++f) {
    const Face& face = slab.faces[f];
    const Vector3d c =
        (slab.vertices[face[0]] + slab.vertices[face[1]] + slab.vertices[face[2]]).cast<double>() /
        3;
    if (c.z() < -0.099) {  // the underside: no camera sees it, turned or not
      ++back;
      back_textured += t.face_views[f] >= 0;
      continue;
    }
    if (!is_flipped[f]) continue;
    REQUIRE(t.face_views[f] >= 0);
    error += (AtlasColour(t, f, 1.0 / 3, 1.0 / 3) - TrueColour(c)).cwiseAbs().mean();
  }
  CHECK(back == 200);
  CHECK(back_textured == 0);
  // The turned faces carry the photographs' colours (8-bit levels; grey would be ~50 off).
  CHECK(error / double(flipped) < 4.0);
}

TEST_CASE("Per-texel visibility: wall texels hidden by a thin bar come from another view",
          "[unit]") {
  // A 2 x 2 m wall (z = 0, facing +z) of large faces – columns split at x = -0.4 and 0.4, so
  // that no face's centroid or corner lies behind the bar – and a thin bar (0.1 m) 0.3 m in
  // front of it along y at x = 0. The frontal camera above is every wall face's best view and
  // sees each face's centroid and corners, but the bar hides the strip |x| < 0.058 of the wall;
  // the oblique camera sees that strip.
  Mesh scene;
  const float xs[4] = {-1.0f, -0.4f, 0.4f, 1.0f};
  for (const float x : xs) {
    scene.vertices.push_back(Vec3f(x, -1, 0));
    scene.vertices.push_back(Vec3f(x, 1, 0));
  }
  for (std::uint32_t i = 0; i < 3; ++i) {
    const std::uint32_t a = 2 * i, d = a + 1, b = a + 2,
                        c = a + 3;  // (x0,-1) (x0,1) (x1,-1) (x1,1)
    scene.faces.emplace_back(a, b, c);
    scene.faces.emplace_back(a, c, d);
  }
  const std::size_t wall_faces = scene.NumFaces();
  scene.Append(GridBox({-0.05, -1.2, 0.3}, {0.05, 1.2, 0.4}, 1));
  const RayBvh bvh(scene);
  auto colour = [](const Vector3d& p) -> Eigen::Vector3f {
    if (p.z() > 0.01) return {230, 20, 20};  // the bar: red
    return {30, float(170 + 40 * std::sin(3 * p.y())), float(60 + 30 * std::cos(2 * p.x()))};
  };
  const Vector3d above(0, 0, 3), oblique(2.5, 0, 3);
  std::vector<TextureView> views;
  views.push_back(PhotographOf(bvh, above, {0, 0, 0}, colour, "above.png", 320, 320, 160));
  views.push_back(PhotographOf(bvh, oblique, {0, 0, 0}, colour, "oblique.png", 320, 320, 160));
  Progress progress(ProgressStyle::kQuiet);

  // Atlas colour at a wall point (x, y, 0).
  auto wall_colour = [&](const TexturedMesh& t, double x, double y) -> Eigen::Vector3f {
    for (std::size_t f = 0; f < wall_faces; ++f) {
      const Face& face = scene.faces[f];
      const Eigen::Vector2d a = scene.vertices[face[0]].head<2>().cast<double>();
      const Eigen::Vector2d b = scene.vertices[face[1]].head<2>().cast<double>();
      const Eigen::Vector2d c = scene.vertices[face[2]].head<2>().cast<double>();
      const Eigen::Vector2d p(x, y);
      const double det = (b - a).x() * (c - a).y() - (b - a).y() * (c - a).x();
      const double u = ((p - a).x() * (c - a).y() - (p - a).y() * (c - a).x()) / det;
      const double v = ((b - a).x() * (p - a).y() - (b - a).y() * (p - a).x()) / det;
      if (u >= 0 && v >= 0 && u + v <= 1) return AtlasColour(t, f, u, v);
    }
    FAIL("no wall face at " << x << ", " << y);
    return {};
  };
  // Points of the wall behind the bar in the frontal view, and points both views see.
  std::vector<Eigen::Vector2d> hidden, open;
  for (double y = -0.6; y <= 0.6; y += 0.1) {
    for (const double x : {-0.03, 0.0, 0.03}) hidden.emplace_back(x, y);
    for (const double x : {-0.7, 0.7}) open.emplace_back(x, y);
  }
  auto is_red = [](const Eigen::Vector3f& c) { return c.x() > 120 && c.y() < 100; };
  auto is_wall = [&](const Eigen::Vector3f& c, const Eigen::Vector2d& p) {
    return (c - colour(Vector3d(p.x(), p.y(), 0))).cwiseAbs().maxCoeff() < 25;
  };

  TextureOptions options;
  const TexturedMesh t = TextureMesh(scene, views, options, progress);
  INFO(t.figures.dump(2));
  for (std::size_t f = 0; f < wall_faces; ++f) CHECK(t.face_views[f] == 0);  // the frontal view
  CHECK(t.figures["texels_from_other_view"].get<int>() > 0);
  int wall_behind = 0, wall_open = 0;
  for (const Eigen::Vector2d& p : hidden) wall_behind += is_wall(wall_colour(t, p.x(), p.y()), p);
  for (const Eigen::Vector2d& p : open) wall_open += is_wall(wall_colour(t, p.x(), p.y()), p);
  CHECK(wall_behind == int(hidden.size()));
  CHECK(wall_open == int(open.size()));

  // Without it the frontal view's bar is baked onto the wall: the check above is not vacuous.
  options.texel_visibility = false;
  const TexturedMesh plain = TextureMesh(scene, views, options, progress);
  int red_behind = 0;
  for (const Eigen::Vector2d& p : hidden) red_behind += is_red(wall_colour(plain, p.x(), p.y()));
  CHECK(red_behind >= int(hidden.size()) * 9 / 10);
}

TEST_CASE("PhotoConsistentViews drops the odd colour out only with a clear majority", "[unit]") {
  using C = Eigen::Vector3f;
  auto keep =
      tex::PhotoConsistentViews({C(120, 80, 60), C(126, 84, 58), C(117, 77, 66), C(250, 20, 240)});
  CHECK(keep == std::vector<std::uint8_t>{1, 1, 1, 0});
  // Two views: no majority, both kept.
  keep = tex::PhotoConsistentViews({C(120, 80, 60), C(250, 20, 240)});
  CHECK(keep == std::vector<std::uint8_t>{1, 1});
  // Two against two: kept.
  keep =
      tex::PhotoConsistentViews({C(120, 80, 60), C(122, 80, 60), C(250, 20, 240), C(248, 22, 240)});
  CHECK(keep == std::vector<std::uint8_t>{1, 1, 1, 1});
  // Two against one: two thirds, the odd one dropped.
  keep = tex::PhotoConsistentViews({C(120, 80, 60), C(250, 20, 240), C(123, 82, 61)});
  CHECK(keep == std::vector<std::uint8_t>{1, 0, 1});
  // Three against two scattered colours: a majority, but short of two thirds – where the mesh
  // is off the surface every view sees something else, and a bare majority is no evidence of
  // an occluder. All kept.
  keep = tex::PhotoConsistentViews(
      {C(120, 80, 60), C(250, 20, 240), C(123, 82, 61), C(20, 220, 30), C(118, 79, 63)});
  CHECK(keep == std::vector<std::uint8_t>{1, 1, 1, 1, 1});
  // Four against two: dropped.
  keep = tex::PhotoConsistentViews({C(120, 80, 60), C(250, 20, 240), C(123, 82, 61), C(20, 220, 30),
                                    C(118, 79, 63), C(121, 81, 59)});
  CHECK(keep == std::vector<std::uint8_t>{1, 0, 1, 0, 1, 1});
}

TEST_CASE("Excluding outlier views removes an object pasted into one photograph", "[unit]") {
  Scene s = BoxScene({1.0});
  // A magenta, finely checkered object (sharp: the data term favours it) over the middle of the
  // box in one photograph, as a passer-by would be.
  TextureView& v = s.views[2];
  const Eigen::Vector3f pasted(255, 30, 255);
  for (int y = 50; y < 130; ++y) {
    for (int x = 80; x < 160; ++x) {
      const bool odd = ((x / 2) + (y / 2)) % 2 != 0;
      v.image.at(x, y, 0) = 255;
      v.image.at(x, y, 1) = odd ? 60 : 0;
      v.image.at(x, y, 2) = 255;
    }
  }
  Progress progress(ProgressStyle::kQuiet);
  const RayBvh bvh(s.mesh);
  const Vector3d eye = CameraCenter(v.cam_from_world);
  // Faces whose baked centre looks like the object (and whose true colour does not), among
  // those the photograph sees under the object.
  auto shows_object = [&](const TexturedMesh& t, int* seen_by_photo) {
    int n = 0;
    *seen_by_photo = 0;
    for (std::size_t f = 0; f < s.mesh.NumFaces(); ++f) {
      if (t.face_views[f] < 0) continue;
      const Face& face = s.mesh.faces[f];
      const Vector3d c =
          (s.mesh.vertices[face[0]] + s.mesh.vertices[face[1]] + s.mesh.vertices[face[2]])
              .cast<double>() /
          3;
      if ((TrueColour(c) - pasted).norm() < 120) continue;
      const Vector3d a = s.mesh.vertices[face[0]].cast<double>();
      const Vector3d normal = (s.mesh.vertices[face[1]].cast<double>() - a)
                                  .cross(s.mesh.vertices[face[2]].cast<double>() - a);
      if (normal.dot(eye - c) <= 0 || bvh.Occluded(eye, c - eye, 0, 0.999)) continue;
      Eigen::Vector2d px;
      if (!tex::ProjectToPixel(v, c, &px, nullptr) || px.x() < 82 || px.x() > 158 || px.y() < 52 ||
          px.y() > 128) {
        continue;
      }
      ++*seen_by_photo;
      n += (AtlasColour(t, f, 1.0 / 3, 1.0 / 3) - pasted).norm() < 60 ? 1 : 0;
    }
    return n;
  };
  TextureOptions off;
  off.exclude_outlier_views = false;
  const TexturedMesh with = TextureMesh(s.mesh, s.views, off, progress);
  int under = 0;
  const int shown = shows_object(with, &under);
  INFO(under << " faces under the object in that photograph");
  CHECK(under > 20);
  CHECK(shown > 5);         // without the check the object is baked into the texture
  const TextureOptions on;  // the check is on by default
  REQUIRE(on.exclude_outlier_views);
  const TexturedMesh without = TextureMesh(s.mesh, s.views, on, progress);
  INFO(without.figures.dump(2));
  CHECK(without.figures["outlier_face_view_pairs"].get<int>() >= under / 2);
  CHECK(shows_object(without, &under) == 0);
  // The excluded views still vote in the views' median (robust to them where they are the
  // minority) beside the views that took their places among the candidates, so the median
  // covers more texels than without the exclusion (12,225 against 12,084 when they did not
  // vote; 16,968 now): the exclusion only keeps them from owning charts.
  INFO(with.figures["texels_consensus"] << " texels by consensus without the exclusion");
  CHECK(without.figures["texels_consensus"].get<double>() >
        1.1 * with.figures["texels_consensus"].get<double>());
  // And the rest of the box keeps its views: on unchanged photographs nothing is dropped.
  const Scene clean = BoxScene({1.0});
  const TexturedMesh plain = TextureMesh(clean.mesh, clean.views, on, progress);
  CHECK(plain.figures["outlier_face_view_pairs"].get<int>() <
        0.02 * plain.figures["visible_face_view_pairs"].get<double>());
}

}  // namespace
}  // namespace muta::reconstruct
