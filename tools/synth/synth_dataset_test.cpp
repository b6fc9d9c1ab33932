// WriteSynthDataset end to end through the headless renderer: files, visibility, determinism.
#include <catch2/catch.hpp>

#include "core/closest_point.h"
#include "core/colmap_model.h"
#include "core/file_io.h"
#include "core/json.h"
#include "core/ply_io.h"
#include "core/progress.h"
#include "tests/test_util.h"
#include "tools/synth/synth.h"

using namespace muta;
using namespace muta::synth;
namespace fs = std::filesystem;

namespace {

SynthOptions SmallOptions() {
  SynthOptions o;
  o.building.storeys = 3;
  o.building.seed = 5;
  o.rig.images = 4;
  o.rig.width = 200;
  o.rig.height = 150;
  o.texture_size = 64;
  o.texture_repeats = 2;
  o.visible_density = 20;
  o.damage = "lost:finial:partial,missing:column:s1:side1:#1";
  return o;
}

}  // namespace

TEST_CASE("a synthetic dataset has every file, and visible points on the surface", "[gl][synth]") {
  muta::test::TempDir dir("synth-ds");
  Progress progress(ProgressStyle::kQuiet);
  SynthOptions o = SmallOptions();
  o.contact_sheet = dir / "a" / "sheet.png";
  const SynthSummary s = WriteSynthDataset(o, dir / "a", progress);
  CHECK(s.images == 4);
  CHECK(s.removed_faces > 0);
  CHECK(s.faces + s.removed_faces == s.intact_faces);
  for (const char* f :
       {"gt/mesh.ply", "gt/intact.ply", "gt/visible.ply", "gt/scene.json", "gt/damage.json",
        "gt/sparse/cameras.txt", "gt/sparse/images.txt", "gt/sparse/points3D.txt",
        "images/view_000.jpg", "images/view_003.jpg", "sheet.png"}) {
    INFO(f);
    CHECK(fs::exists(dir / "a" / f));
  }
  const ImageInfo info = ReadImageInfo(dir / "a" / "images" / "view_000.jpg");
  CHECK(info.width == 200);
  CHECK(info.height == 150);
  CHECK(info.camera_make == "Muta");
  REQUIRE(info.FocalLengthPixels().has_value());
  CHECK(*info.FocalLengthPixels() == Approx(0.9 * 200).epsilon(0.02));

  const SparseModel rig = ReadSparseModel(dir / "a" / "gt" / "sparse");
  CHECK(rig.images.size() == 4);
  const Mesh mesh = ReadPlyMesh(dir / "a" / "gt" / "mesh.ply");
  CHECK(mesh.NumFaces() == s.faces);
  CHECK(mesh.part_ids.size() == mesh.NumFaces());
  const PointCloud visible = ReadPlyPointCloud(dir / "a" / "gt" / "visible.ply");
  REQUIRE(visible.size() > 100);
  REQUIRE(visible.HasNormals());
  CHECK(visible.size() == s.visible_points);
  const TriangleBvh bvh(mesh);
  for (std::size_t i = 0; i < visible.size(); i += 37) {
    CHECK(bvh.Closest(visible.points[i].cast<double>()).distance < 1e-3);
  }
  const Json damage = ReadJsonFile(dir / "a" / "gt" / "damage.json");
  REQUIRE(damage["regions"].size() == 2);
  CHECK(damage["regions"][0]["has_counterpart"] == false);  // the finial is unique
  CHECK(damage["regions"][1]["has_counterpart"] == true);
  const Json scene = ReadJsonFile(dir / "a" / "gt" / "scene.json");
  CHECK(scene["symmetry"]["rotation_order"] == 8);
  CHECK(scene["scale"] == "metres");
  CHECK(scene["parts"].size() > 100);

  // The same options give the same bytes.
  WriteSynthDataset(SmallOptions(), dir / "b", progress);
  for (const char* f : {"gt/mesh.ply", "gt/intact.ply", "gt/visible.ply", "gt/scene.json",
                        "gt/damage.json", "gt/sparse/images.txt", "images/view_002.jpg"}) {
    INFO(f);
    CHECK(ReadFileBytes(dir / "a" / f) == ReadFileBytes(dir / "b" / f));
  }
}

TEST_CASE("the ground is textured, flat and covers the inner square", "[unit][synth]") {
  const Mesh g = MakeGround(40, 600, 3);
  REQUIRE_NOTHROW(g.Check());
  CHECK(g.uvs.size() == g.NumVertices());
  const Box3f box = BoundingBox(g.vertices);
  CHECK(box.min.z() == 0);
  CHECK(box.max.z() == 0);
  CHECK(box.max.x() == Approx(600));
  CHECK(g.Area() == Approx(1200.0 * 1200.0).epsilon(1e-4));
}

TEST_CASE("contact sheets and weathered atlases", "[unit][synth]") {
  std::vector<Image> images(5, Image(64, 48, 3, 200));
  const Image sheet = MakeContactSheet(images, 3, 400);
  CHECK(sheet.width == 400);
  CHECK(sheet.height > 0);
  CHECK_THROWS_WITH(MakeContactSheet({}, 3, 400), Catch::Contains("no images"));
  const Image tile = MakeTexture(MaterialKind::kPlaster, 64, 1);
  const Image atlas = WeatheredAtlas(tile, 4, MaterialKind::kPlaster, 9);
  CHECK(atlas.width == 256);
  CHECK(atlas.height == 256);
  // Not a plain repetition: the first and second tile differ.
  int differ = 0;
  for (int y = 0; y < 64; ++y) {
    for (int x = 0; x < 64; ++x) differ += atlas.at(x, y) != atlas.at(x + 64, y);
  }
  CHECK(differ > 64 * 64 / 4);
  CHECK(WeatheredAtlas(tile, 4, MaterialKind::kPlaster, 9).pixels == atlas.pixels);
}
