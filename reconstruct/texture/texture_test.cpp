#include "reconstruct/texture/texture.h"

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include <array>
#include <cmath>
#include <map>
#include <random>

#include "core/colmap_model.h"
#include "core/error.h"
#include "core/file_io.h"
#include "core/gltf_io.h"
#include "core/image_io.h"
#include "core/ply_io.h"
#include "core/pose.h"
#include "core/progress.h"
#include "core/ray_bvh.h"
#include "reconstruct/texture/atlas.h"
#include "reconstruct/texture/refine.h"
#include "reconstruct/texture/view_alignment.h"
#include "reconstruct/texture/view_selection.h"
#include "tests/test_util.h"

namespace muta::reconstruct {
namespace {

namespace fs = std::filesystem;
using Eigen::Vector3d;

// The scene's true colour at a surface point: smooth, so resampling changes it little.
Eigen::Vector3f TrueColour(const Vector3d& p) {
  return {float(128 + 90 * std::sin(2.1 * p.x() + 0.5)),
          float(128 + 90 * std::sin(1.7 * p.y() + 1.3 * p.z())),
          float(128 + 90 * std::cos(1.3 * p.z() - 0.9 * p.x()))};
}

// An axis-aligned box [lo, hi], each side an n x n grid of quads, outward winding.
Mesh GridBox(const Vector3d& lo, const Vector3d& hi, int n) {
  Mesh m;
  const Vector3d size = hi - lo;
  for (int axis = 0; axis < 3; ++axis) {
    for (int side = 0; side < 2; ++side) {
      const int u_axis = (axis + 1) % 3, v_axis = (axis + 2) % 3;
      const auto base = std::uint32_t(m.vertices.size());
      for (int j = 0; j <= n; ++j) {
        for (int i = 0; i <= n; ++i) {
          Vector3d p = lo;
          p[axis] = side ? hi[axis] : lo[axis];
          p[u_axis] += size[u_axis] * i / n;
          p[v_axis] += size[v_axis] * j / n;
          m.vertices.push_back(p.cast<float>());
        }
      }
      for (int j = 0; j < n; ++j) {
        for (int i = 0; i < n; ++i) {
          const std::uint32_t a = base + j * (n + 1) + i, b = a + 1, c = a + n + 1, d = c + 1;
          // u x v points along +axis: keep that winding on the high side, flip on the low one.
          if (side) {
            m.faces.emplace_back(a, b, d);
            m.faces.emplace_back(a, d, c);
          } else {
            m.faces.emplace_back(a, d, b);
            m.faces.emplace_back(a, c, d);
          }
        }
      }
    }
  }
  return m;
}

// A photograph by ray casting with the colour `colour(point)` of the surface hit; background
// black.
template <class ColourFn>
TextureView PhotographOf(const RayBvh& bvh, const Vector3d& eye, const Vector3d& target,
                         ColourFn colour, const std::string& name, int width, int height,
                         double focal) {
  TextureView v;
  v.name = name;
  v.camera = Camera::Pinhole(width, height, focal, focal, width / 2.0, height / 2.0);
  v.cam_from_world = LookAt(eye, target);
  v.image = Image(width, height, 3, 0);
  const Rigid3d world_from_cam = v.cam_from_world.Inverse();
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      const Vector3d dir = world_from_cam.rotation * v.camera.Unproject({x + 0.5, y + 0.5});
      const auto hit = bvh.Closest(eye, dir);
      if (!hit) continue;
      const Eigen::Vector3f c = colour(eye + hit->t * dir);
      for (int k = 0; k < 3; ++k) {
        v.image.at(x, y, k) = std::uint8_t(std::clamp(std::lround(c[k]), 0L, 255L));
      }
    }
  }
  return v;
}

// A photograph of `scene` by ray casting: the true colour times `gain`, background black.
TextureView Photograph(const RayBvh& bvh, const Vector3d& eye, const Vector3d& target, double gain,
                       const std::string& name, int width = 240, int height = 180,
                       double focal = 200) {
  return PhotographOf(
      bvh, eye, target,
      [&](const Vector3d& p) { return Eigen::Vector3f(float(gain) * TrueColour(p)); }, name, width,
      height, focal);
}

struct Scene {
  Mesh mesh;
  std::vector<TextureView> views;
};

// A 2 m box on the ground seen by 8 cameras around it from above (its bottom is unseen).
Scene BoxScene(const std::vector<double>& gains) {
  Scene s;
  s.mesh = GridBox({-1, -1, -1}, {1, 1, 1}, 10);
  const RayBvh bvh(s.mesh);
  for (int i = 0; i < 8; ++i) {
    const double a = 2 * M_PI * i / 8 + 0.3;
    const Vector3d eye(4.5 * std::cos(a), 4.5 * std::sin(a), i % 2 ? 2.5 : 1.5);
    s.views.push_back(Photograph(bvh, eye, {0, 0, 0}, gains[std::size_t(i) % gains.size()],
                                 "view_" + std::to_string(i) + ".png"));
  }
  return s;
}

// Atlas colour at the surface point with barycentrics (1-u-v, u, v) of face f.
Eigen::Vector3f AtlasColour(const TexturedMesh& t, std::size_t f, double u, double v) {
  const Face& face = t.mesh.faces[f];
  const Eigen::Vector2f uv = float(1 - u - v) * t.mesh.uvs[face[0]] +
                             float(u) * t.mesh.uvs[face[1]] + float(v) * t.mesh.uvs[face[2]];
  return tex::SampleBilinear(t.atlas, double(uv.x()) * t.atlas.width,
                             (1.0 - double(uv.y())) * t.atlas.height);
}

TEST_CASE("TextureMesh bakes the photographed colours onto the surface", "[unit]") {
  const Scene s = BoxScene({1.0});
  Progress progress(ProgressStyle::kQuiet);
  TextureOptions options;
  const TexturedMesh t = TextureMesh(s.mesh, s.views, options, progress);
  const Json& f = t.figures;
  INFO(f.dump(2));
  CHECK(f["faces"] == s.mesh.NumFaces());
  CHECK(f["views_used"].get<int>() >= 4);
  CHECK(f["charts"].get<int>() >= 5);  // at least one per seen side
  // Texel size from the ground sampling distance: about distance / focal = ~4.5 m / 200 px.
  CHECK(f["texel_size_mm"].get<double>() == Approx(f["ground_sampling_distance_mm"].get<double>()));
  CHECK(f["texel_size_mm"].get<double>() > 10);
  CHECK(f["texel_size_mm"].get<double>() < 30);
  REQUIRE(t.mesh.uvs.size() == t.mesh.vertices.size());
  REQUIRE(t.face_views.size() == s.mesh.NumFaces());

  std::mt19937 rng(1);
  std::uniform_real_distribution<double> uni(0, 1);
  std::vector<double> errors;
  int bottom = 0;
  for (std::size_t fi = 0; fi < s.mesh.NumFaces(); ++fi) {
    const Face& face = s.mesh.faces[fi];
    const Vector3d a = s.mesh.vertices[face[0]].cast<double>();
    const Vector3d b = s.mesh.vertices[face[1]].cast<double>();
    const Vector3d c = s.mesh.vertices[face[2]].cast<double>();
    const bool is_bottom = std::max({a.z(), b.z(), c.z()}) < -0.999;
    if (is_bottom) {  // nobody sees the bottom: neutral material
      CHECK(t.face_views[fi] == -1);
      const Eigen::Vector3f col = AtlasColour(t, fi, 1.0 / 3, 1.0 / 3);
      CHECK(col.x() == Approx(tex::kNeutralGrey).margin(1));
      ++bottom;
      continue;
    }
    REQUIRE(t.face_views[fi] >= 0);
    for (int k = 0; k < 4; ++k) {
      double u = uni(rng), v = uni(rng);
      if (u + v > 1) {
        u = 1 - u;
        v = 1 - v;
      }
      const Vector3d p = (1 - u - v) * a + u * b + v * c;
      errors.push_back((AtlasColour(t, fi, u, v) - TrueColour(p)).cwiseAbs().mean());
    }
  }
  CHECK(bottom == 200);
  // The unseen bottom is one of the cube's six equal sides.
  CHECK(f["untextured_area_fraction"].get<double>() == Approx(1.0 / 6).epsilon(1e-4));
  std::sort(errors.begin(), errors.end());
  double error = 0;
  for (const double e : errors) error += e;
  error /= double(errors.size());
  const double median = errors[errors.size() / 2];
  INFO("mean " << error << ", median " << median << " levels");
  // Mean absolute error in 8-bit levels (measured: mean 1.7, median 0.23; the mean is raised by
  // points next to the box's edges, where bilinear lookups reach across the silhouette).
  CHECK(median < 1.0);
  CHECK(error < 4.0);
  // A wrong UV mapping gives errors of tens of levels: the check above is not vacuous.
  double shuffled = 0;
  for (int i = 0; i < 200; ++i) {
    const std::size_t fi = std::size_t(i) * 7 % 1000, other = (fi + 301) % 1000;
    const Face& face = s.mesh.faces[other];
    const Vector3d p =
        (s.mesh.vertices[face[0]] + s.mesh.vertices[face[1]] + s.mesh.vertices[face[2]])
            .cast<double>() /
        3;
    shuffled += (AtlasColour(t, fi, 1.0 / 3, 1.0 / 3) - TrueColour(p)).cwiseAbs().mean();
  }
  CHECK(shuffled / 200 > 3 * error);
}

TEST_CASE("Padding keeps mipmaps from mixing charts, the bleeding is measured per level",
          "[unit]") {
  const Scene s = BoxScene({1.0});
  Progress progress(ProgressStyle::kQuiet);
  auto bleed = [&](int padding) {
    TextureOptions options;
    options.padding = padding;
    const Json f = TextureMesh(s.mesh, s.views, options, progress).figures;
    std::array<double, 5> visible{};
    for (int level = 1; level <= 4; ++level) {
      visible[std::size_t(level)] = f.at(fmt::format("mip{}_bleed_visible", level)).get<double>();
      INFO("padding " << padding << " level " << level << ": visible " << visible[level]
                      << ", mean step " << f.at(fmt::format("mip{}_bleed_step", level)));
      CHECK(visible[std::size_t(level)] >= 0);
      CHECK(visible[std::size_t(level)] <= 1);
    }
    return visible;
  };
  const auto p1 = bleed(1), p4 = bleed(4);
  // With 4 texels of padding, blocks up to 4x4 holding a chart's inside texel stay within its
  // rectangle: levels 1 and 2 show no bleeding at all; one texel of padding already mixes
  // neighbouring charts and the grey background in at level 2 (measured: 7.4 % of blocks).
  CHECK(p4[1] == 0);
  CHECK(p4[2] == 0);
  CHECK(p1[2] > 0.03);
  CHECK(p4[3] < p1[3]);
}

TEST_CASE("Seam levelling removes exposure steps between views", "[unit]") {
  // Every camera exposes differently: chart borders show steps of up to ~50 %.
  const Scene s = BoxScene({0.7, 1.25, 0.85, 1.1, 0.75, 1.2, 0.9, 1.05});
  Progress progress(ProgressStyle::kQuiet);
  TextureOptions off;
  off.seam_leveling = false;
  const TexturedMesh raw = TextureMesh(s.mesh, s.views, off, progress);
  TextureOptions on;
  const TexturedMesh levelled = TextureMesh(s.mesh, s.views, on, progress);
  const double before = levelled.figures["seam_step_before"].get<double>();
  const double after = levelled.figures["seam_step_after"].get<double>();
  INFO(levelled.figures.dump(2));
  CHECK(raw.figures["seam_step_after"].get<double>() ==
        raw.figures["seam_step_before"].get<double>());
  CHECK(levelled.figures["seam_edges"].get<int>() > 20);
  CHECK(before > 10);
  CHECK(after < 0.35 * before);
}

TEST_CASE("Consensus baking takes the views' median where three see a texel", "[unit]") {
  // Eight views of the box with exposures from 0.7 to 1.25: baked from one view per chart
  // (no levelling or blending), neighbouring charts differ by their views' exposures; the
  // median of the views that see a texel is the same whichever chart it is in.
  const Scene s = BoxScene({0.7, 1.25, 0.85, 1.1, 0.75, 1.2, 0.9, 1.05});
  Progress progress(ProgressStyle::kQuiet);
  TextureOptions one_view;
  one_view.seam_leveling = false;
  one_view.seam_blending = false;
  one_view.consensus = false;
  TextureOptions median = one_view;
  median.consensus = true;
  const TexturedMesh a = TextureMesh(s.mesh, s.views, one_view, progress);
  const TexturedMesh b = TextureMesh(s.mesh, s.views, median, progress);
  CHECK(a.figures["texels_consensus"].get<std::size_t>() == 0);
  const auto consensus = b.figures["texels_consensus"].get<std::size_t>();
  INFO(consensus << " of " << b.figures["texels_baked"].get<std::size_t>() << " texels");
  CHECK(consensus > b.figures["texels_baked"].get<std::size_t>() / 4);
  const double step_one = a.figures["seam_step_atlas"].get<double>();
  const double step_median = b.figures["seam_step_atlas"].get<double>();
  INFO("atlas seam step " << step_one << " -> " << step_median);
  CHECK(step_median < 0.7 * step_one);
  CHECK(a.face_views == b.face_views);  // view selection is unchanged
}

TEST_CASE("Seam blending feathers the steps levelling leaves in the atlas", "[unit]") {
  const Scene s = BoxScene({0.7, 1.25, 0.85, 1.1, 0.75, 1.2, 0.9, 1.05});
  Progress progress(ProgressStyle::kQuiet);
  // Consensus baking (the views' median where 3 see a texel) also evens out the views'
  // exposures; it is off here so that the steps are levelling's and blending's alone.
  TextureOptions defaults;
  defaults.consensus = false;
  TextureOptions raw_options = defaults;
  raw_options.seam_leveling = false;
  raw_options.seam_blending = false;
  TextureOptions levelled_options = defaults;
  levelled_options.seam_blending = false;
  TextureOptions blended_only = defaults;
  blended_only.seam_leveling = false;
  const TexturedMesh raw = TextureMesh(s.mesh, s.views, raw_options, progress);
  const TexturedMesh levelled = TextureMesh(s.mesh, s.views, levelled_options, progress);
  const TexturedMesh blended = TextureMesh(s.mesh, s.views, defaults, progress);
  const TexturedMesh only = TextureMesh(s.mesh, s.views, blended_only, progress);
  auto atlas_step = [](const TexturedMesh& t) {
    return t.figures["seam_step_atlas"].get<double>();
  };
  INFO("atlas steps: raw " << atlas_step(raw) << ", levelled " << atlas_step(levelled)
                           << ", levelled + blended " << atlas_step(blended) << ", blended only "
                           << atlas_step(only));
  CHECK(raw.figures["seam_blended_faces"].get<int>() == 0);
  CHECK(blended.figures["seam_blended_faces"].get<int>() > 20);
  // Measured in the baked atlas, the raw step agrees with the one in the photographs.
  CHECK(atlas_step(raw) == Approx(raw.figures["seam_step_before"].get<double>()).epsilon(0.3));
  CHECK(atlas_step(levelled) < 0.5 * atlas_step(raw));
  CHECK(atlas_step(blended) < atlas_step(levelled));
  CHECK(atlas_step(only) < atlas_step(raw));
  // Away from the borders the texture is the levelled one: the same faces, the same views.
  CHECK(blended.face_views == levelled.face_views);
}

TEST_CASE("View selection: closer views win, occluded faces take another view", "[unit]") {
  // A 2 x 2 m wall (z = 0, facing +z) and a small plate 1 m in front of its left half.
  Mesh wall = GridBox({-1, -1, -0.1}, {1, 1, 0}, 16);
  Mesh plate = GridBox({-0.8, -0.3, 0.9}, {-0.2, 0.3, 1.0}, 2);
  Mesh scene = wall;
  scene.Append(plate);
  const RayBvh bvh(scene);
  std::vector<TextureView> views;
  // Close camera straight above the wall's left half: the plate hides part of the wall from it.
  views.push_back(Photograph(bvh, {-0.5, 0, 2.5}, {-0.5, 0, 0}, 1.0, "close.png", 320, 320, 160));
  // Far camera, obliquely from the right: sees the wall under the plate.
  views.push_back(Photograph(bvh, {3.5, 0, 4.0}, {-0.5, 0, 0}, 1.0, "far.png", 320, 320, 160));
  Progress progress(ProgressStyle::kQuiet);
  TextureOptions options;
  options.smoothness = 0.05;  // let the data term decide
  const TexturedMesh t = TextureMesh(scene, views, options, progress);
  int hidden_far = 0, hidden_total = 0, open_close = 0, open_total = 0;
  for (std::size_t f = 0; f < wall.NumFaces(); ++f) {
    const Face& face = scene.faces[f];
    const Vector3d c = (scene.vertices[face[0]] + scene.vertices[face[1]] + scene.vertices[face[2]])
                           .cast<double>() /
                       3;
    if (c.z() < -0.001) continue;  // only the front side of the wall
    const Vector3d eye(-0.5, 0, 2.5);
    const bool hidden = bvh.Occluded(eye, c - eye, 0, 0.999);
    const bool in_far_view = !bvh.Occluded({3.5, 0, 4.0}, c - Vector3d(3.5, 0, 4.0), 0, 0.999);
    if (hidden && in_far_view) {
      ++hidden_total;
      hidden_far += t.face_views[f] == 1 ? 1 : 0;
      CHECK(t.face_views[f] != 0);                         // never the view that cannot see it
    } else if (!hidden && std::abs(c.x() + 0.5) < 0.45) {  // well inside the close view
      ++open_total;
      open_close += t.face_views[f] == 0 ? 1 : 0;
    }
  }
  CHECK(hidden_total > 10);
  CHECK(hidden_far == hidden_total);
  CHECK(open_total > 20);
  CHECK(open_close >= 0.9 * open_total);
}

// A dense folder as the undistort stage leaves it: sparse/ (PINHOLE), images/, mesh.ply.
void WriteDenseFolder(const fs::path& dense, const Scene& s) {
  fs::create_directories(dense / "images");
  SparseModel model;
  std::uint32_t id = 1;
  for (const TextureView& v : s.views) {
    Camera cam = v.camera;
    cam.id = id;
    model.cameras[id] = cam;
    SparseImage im;
    im.id = id;
    im.name = v.name;
    im.camera_id = id;
    im.cam_from_world = v.cam_from_world;
    model.images[id] = im;
    WriteImage(dense / "images" / v.name, v.image);
    ++id;
  }
  WriteSparseModel(dense / "sparse", model);
  WritePly(dense / "mesh.ply", s.mesh);
}

TEST_CASE("RunTexture writes a textured glTF and OBJ that read back", "[unit]") {
  test::TempDir dir("texture-run");
  const Scene s = BoxScene({1.0});
  WriteDenseFolder(dir.path(), s);
  Progress progress(ProgressStyle::kQuiet);
  const Json f = RunTexture(dir.path(), TextureOptions{}, progress);
  CHECK(f["textured_faces"].get<int>() == 1000);
  for (const char* name : {"textured.glb", "textured.obj", "textured.mtl", "textured_atlas.jpg"}) {
    CHECK(fs::is_regular_file(dir / name));
  }
  const GlbContent glb = ReadGlb(dir / "textured.glb");
  REQUIRE(glb.base_color_texture);
  CHECK(glb.base_color_texture->width == f["atlas_width"].get<int>());
  CHECK(glb.mesh.NumFaces() == s.mesh.NumFaces());
  CHECK(glb.mesh.uvs.size() == glb.mesh.vertices.size());
  const std::string obj = ReadFileText(dir / "textured.obj");
  CHECK(obj.find("mtllib textured.mtl") != std::string::npos);
  CHECK(obj.find("\nvt ") != std::string::npos);
  CHECK(obj.find("\nf ") != std::string::npos);
  CHECK(ReadFileText(dir / "textured.mtl").find("map_Kd textured_atlas.jpg") != std::string::npos);
  const Image atlas = ReadImage(dir / "textured_atlas.jpg");
  CHECK(atlas.width == f["atlas_width"].get<int>());
  CHECK(atlas.height == f["atlas_height"].get<int>());
}

TEST_CASE("Full-size texture images are used only when they fit in half the memory", "[unit]") {
  test::TempDir dir("texture-images-dir");
  const Scene s = BoxScene({1.0});
  WriteDenseFolder(dir.path(), s);
  fs::create_directories(dir / "texture/images");
  fs::copy(dir / "sparse", dir / "texture/sparse");
  std::string note;
  // What the stage holds per image pixel: a few bytes fit any machine, a petabyte none.
  CHECK(TextureImagesDir(dir.path(), &note, kBakeBytesPerPixel) == dir / "texture");
  CHECK(note.empty());
  CHECK(TextureImagesDir(dir.path(), &note, 1e15) == dir.path());
  CHECK_THAT(note, Catch::Contains("more than half the available") &&
                       Catch::Contains("texturing from the dense images"));
  // Aligning the views holds each photograph's grey pyramid besides it: more than baking.
  CHECK(AlignmentBytesPerPixel(ViewAlignmentOptions{}) == Approx(8.25));
  CHECK(AlignmentBytesPerPixel(ViewAlignmentOptions{}) > kBakeBytesPerPixel);
}

TEST_CASE("Texturing refuses missing and changed images, naming them", "[unit]") {
  test::TempDir dir("texture-bad-images");
  const Scene s = BoxScene({1.0});
  WriteDenseFolder(dir.path(), s);
  Progress progress(ProgressStyle::kQuiet);
  fs::rename(dir / "images/view_3.png", dir / "view_3.png");
  fs::remove(dir / "images/view_5.png");
  CHECK_THROWS_WITH(RunTexture(dir.path(), TextureOptions{}, progress),
                    Catch::Contains("2 of the 8 images") && Catch::Contains("view_3.png") &&
                        Catch::Contains("view_5.png") && Catch::Contains("--from undistort"));
  fs::rename(dir / "view_3.png", dir / "images/view_3.png");
  WriteImage(dir / "images/view_5.png", Image(100, 80, 3, 0));  // replaced by another picture
  CHECK_THROWS_WITH(RunTexture(dir.path(), TextureOptions{}, progress),
                    Catch::Contains("changed size") && Catch::Contains("view_5.png"));
  CHECK_FALSE(fs::exists(dir / "textured.glb"));
}

TEST_CASE("Texturing refuses a mesh no view sees", "[unit]") {
  Scene s = BoxScene({1.0});
  for (Vec3f& v : s.mesh.vertices) v.z() -= 100;  // far below every camera's field of view
  Progress progress(ProgressStyle::kQuiet);
  CHECK_THROWS_WITH(TextureMesh(s.mesh, s.views, TextureOptions{}, progress),
                    Catch::Contains("none of the mesh's 1200 faces is visible"));
}

TEST_CASE("Texturing refuses a texel size whose atlas exceeds the memory limit", "[unit]") {
  const Scene s = BoxScene({1.0});
  Progress progress(ProgressStyle::kQuiet);
  TextureOptions options;
  options.texel_size_mm = 0.05;            // 0.05 mm texels on a 2 m box: ~5 G texels
  options.max_atlas_bytes = 256ull << 20;  // 256 MiB
  CHECK_THROWS_WITH(TextureMesh(s.mesh, s.views, options, progress),
                    Catch::Contains("would need about") && Catch::Contains("GiB") &&
                        Catch::Contains("--texel-size"));
  options.texel_size_mm = 20;  // a sensible one passes
  CHECK_NOTHROW(TextureMesh(s.mesh, s.views, options, progress));
  // The default texel (one photograph pixel) is not refused: it grows until the atlas fits,
  // and says so.
  options.texel_size_mm.reset();
  const TexturedMesh roomy = TextureMesh(s.mesh, s.views, options, progress);
  CHECK(roomy.figures["texel_size_source"] == "median ground sampling distance");
  options.max_atlas_bytes = 48ull << 10;  // 48 KiB
  const TexturedMesh tight = TextureMesh(s.mesh, s.views, options, progress);
  CHECK(tight.figures["texel_size_source"] ==
        "median ground sampling distance, enlarged to fit the memory");
  CHECK(tight.figures["texel_size_mm"].get<double>() >
        1.5 * roomy.figures["texel_size_mm"].get<double>());
  CHECK(3 * tight.atlas.width * tight.atlas.height <= 48 << 10);
  CHECK(tight.figures["textured_faces"] == roomy.figures["textured_faces"]);
  options.texel_size_mm = -1;
  CHECK_THROWS_AS(TextureMesh(s.mesh, s.views, options, progress), Error);
}

TEST_CASE("Texturing keeps the atlas within the side viewers load", "[unit]") {
  const Scene s = BoxScene({1.0});
  Progress progress(ProgressStyle::kQuiet);
  TextureOptions options;
  const TexturedMesh roomy = TextureMesh(s.mesh, s.views, options, progress);
  const int longest = std::max(roomy.atlas.width, roomy.atlas.height);
  REQUIRE(longest > 128);
  // A side limit below the default atlas's: the default texel grows until the atlas fits, and
  // says so; the same texel size asked for is refused, naming the limit and a size that fits.
  options.max_atlas_side = 128;
  const TexturedMesh tight = TextureMesh(s.mesh, s.views, options, progress);
  CHECK(tight.figures["texel_size_source"] ==
        "median ground sampling distance, enlarged to fit the atlas side limit");
  CHECK(std::max(tight.atlas.width, tight.atlas.height) <= 128);
  CHECK(tight.figures["textured_faces"] == roomy.figures["textured_faces"]);
  options.texel_size_mm = roomy.figures["texel_size_mm"].get<double>();
  CHECK_THROWS_WITH(TextureMesh(s.mesh, s.views, options, progress),
                    Catch::Contains("128 texels a side that viewers load") &&
                        !Catch::Contains("GiB allowed") && Catch::Contains("--texel-size"));
  options.texel_size_mm = tight.figures["texel_size_mm"].get<double>() * 1.1;
  CHECK_NOTHROW(TextureMesh(s.mesh, s.views, options, progress));
  // The limit itself: what GPUs and the image readers take, with room for the restoration's
  // neutral rows.
  STATIC_REQUIRE(kMaxAtlasSide + 16 == 16384);
  options.max_atlas_side = kMaxAtlasSide + 1;
  CHECK_THROWS_AS(TextureMesh(s.mesh, s.views, options, progress), Error);
}

}  // namespace
}  // namespace muta::reconstruct

namespace muta::reconstruct {
namespace {

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
  const TexturedMesh with = TextureMesh(s.mesh, s.views, off, progress);
  int under = 0;
  const int shown = shows_object(with, &under);
  INFO(under << " faces under the object in that photograph");
  CHECK(under > 20);
  CHECK(shown > 5);  // without the check the object is baked into the texture
  TextureOptions on;
  on.exclude_outlier_views = true;
  const TexturedMesh without = TextureMesh(s.mesh, s.views, on, progress);
  INFO(without.figures.dump(2));
  CHECK(without.figures["outlier_face_view_pairs"].get<int>() >= under / 2);
  CHECK(shows_object(without, &under) == 0);
  // And the rest of the box keeps its views: on unchanged photographs nothing is dropped.
  const Scene clean = BoxScene({1.0});
  const TexturedMesh plain = TextureMesh(clean.mesh, clean.views, on, progress);
  CHECK(plain.figures["outlier_face_view_pairs"].get<int>() <
        0.02 * plain.figures["visible_face_view_pairs"].get<double>());
}

}  // namespace
}  // namespace muta::reconstruct
