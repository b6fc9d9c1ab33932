#include "reconstruct/texture/texture.h"

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include <array>
#include <cmath>
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
#include "reconstruct/texture/box_scene_test_support.h"
#include "reconstruct/texture/view_alignment.h"
#include "reconstruct/texture/view_selection.h"
#include "tests/test_util.h"

namespace muta::reconstruct {
namespace {

namespace fs = std::filesystem;
using namespace box_test;  // box_scene_test_support.h

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
