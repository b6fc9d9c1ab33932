// `muta synth --holdout` and `muta eval texture` as a user runs them: a small synthetic pagoda
// with two held-out views, reconstructed at preview quality (through the texture stage), then
// the textured model and the vertex-coloured mesh compared with the held-out photographs (also
// as photographs without a ground truth, --photos); then meshed again with the graph-cut mesher
// (--mesher delaunay) and scored again.
#include <catch2/catch.hpp>

#include <filesystem>

#include "core/colmap_model.h"
#include "core/json.h"
#include "tests/test_util.h"

namespace {

namespace fs = std::filesystem;
using muta::test::RunMuta;
using muta::test::TempDir;

int CountJpegs(const fs::path& dir) {
  int n = 0;
  for (const auto& e : fs::directory_iterator(dir)) n += e.path().extension() == ".jpg";
  return n;
}

TEST_CASE("muta eval texture: textured model and vertex colours against held-out views", "[e2e]") {
  TempDir dir("texture-eval");
  const fs::path synth = dir / "synth";
  auto r = RunMuta({"synth", "--scene", "pagoda", "--images", "8", "--size", "480x360", "--seed",
                    "3", "--holdout", "2", "--holdout-close", "1", "-o", synth.string(),
                    "--progress", "none"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("8 images + 3 held out"));
  // The held-out views are apart from the photographs a reconstruction reads.
  CHECK(CountJpegs(synth / "images") == 8);
  CHECK(CountJpegs(synth / "holdout" / "images") == 3);
  CHECK(!fs::exists(synth / "images" / "holdout_000.jpg"));
  const muta::SparseModel holdout = muta::ReadSparseModel(synth / "holdout" / "sparse");
  REQUIRE(holdout.images.size() == 3);
  CHECK(holdout.images.at(1).name == "holdout_000.jpg");
  CHECK(holdout.images.at(3).name == "holdout_close_000.jpg");

  const fs::path ws = dir / "ws";
  r = RunMuta({"reconstruct", (synth / "images").string(), "-w", ws.string(), "--quality",
               "preview", "--progress", "none"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  REQUIRE(fs::is_regular_file(ws / "dense" / "textured.glb"));

  r = RunMuta({"eval", "texture", "-w", ws.string(), "--gt", synth.string(), "--ceiling", "--json",
               "--localise", "--save-renders", (dir / "renders").string()});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const muta::Json e = muta::ParseJson(r.out, "muta eval texture --json");
  INFO(e.dump(2));
  for (const char* key : {"psnr", "ssim", "psnr_vertex_colour", "ssim_vertex_colour"}) {
    REQUIRE(e.contains(key));
  }
  REQUIRE(e["views"].size() == 3);
  // The ring views and the close-up, also scored apart.
  REQUIRE(e["groups"].contains("ring"));
  REQUIRE(e["groups"].contains("close"));
  CHECK(e["groups"]["ring"]["views"] == 2);
  CHECK(e["groups"]["close"]["views"] == 1);
  CHECK(e["groups"]["ring"]["building_pixels"].get<int>() +
            e["groups"]["close"]["building_pixels"].get<int>() ==
        e["building_pixels"].get<int>());
  CHECK(e["alignment"]["registered"].get<int>() >= 6);
  // Measured on this set (2026-11-26): textured 13.2 dB / SSIM 0.10, vertex colour 14.6 dB /
  // 0.12 – the 8-view preview reconstruction is misaligned by ~0.1 m at the camera centres, and
  // the textured model does NOT beat vertex colours yet (docs/texture.md, "Evaluation"). The
  // test checks the measurement itself: both renderings cover the building and the figures are
  // sane PSNR/SSIM values computed on the building's pixels of each view.
  for (const char* key : {"psnr", "psnr_vertex_colour"}) {
    CHECK(e[key].get<double>() > 8.0);
    CHECK(e[key].get<double>() < 60.0);
  }
  for (const char* key : {"ssim", "ssim_vertex_colour"}) {
    CHECK(e[key].get<double>() > 0.0);
    CHECK(e[key].get<double>() < 1.0);
  }
  CHECK(e["covered_fraction"].get<double>() > 0.5);
  // Each rendering registered onto the photograph (a homography) and scored again.
  for (const char* key : {"psnr", "psnr_vertex_colour"}) {
    CHECK(e["aligned"][key].get<double>() > 8.0);
    CHECK(e["aligned"][key].get<double>() < 60.0);
    CHECK(e["groups"]["close"]["aligned"][key].get<double>() > 8.0);
  }
  CHECK(e["views"][0]["aligned"]["moved_px"].get<double>() >= 0.0);
  // --localise: the held-out photographs posed by the reconstruction's own SfM (COLMAP's
  // image_registrator into a copy of the model). Measured (2026-11-27): 3 of 3 registered,
  // textured 19.31 dB / SSIM 0.45 against vertex colours 18.17 / 0.33, where the poses from the
  // camera alignment give 17.12 / 17.34 – the alignment's error, not the texture's, is what
  // those lose.
  REQUIRE(e.contains("localised"));
  CHECK(e["localised"]["views"].get<int>() >= 2);
  CHECK(e["localised"]["psnr"].get<double>() > e["psnr"].get<double>() + 1.0);
  CHECK(e["localised"]["psnr"].get<double>() > e["localised"]["psnr_vertex_colour"].get<double>());
  CHECK(e["localised"]["ssim"].get<double>() > e["localised"]["ssim_vertex_colour"].get<double>());
  CHECK(e["localised"]["rotation_from_gt_deg_median"].get<double>() < 5.0);
  CHECK(e["groups"]["ring"]["localised"]["views"].get<int>() >= 1);
  CHECK(e["views"][0]["localised"].contains("localised"));
  // Their features at the size the model's were extracted at (the SfM records it: 1600 px at
  // preview quality), here the photographs' own 480 px, which is smaller.
  CHECK(e["localised"]["feature_max_image_size"] == 480);
  CHECK(fs::is_regular_file(ws / "sparse" / "database.db"));  // the workspace's, untouched
  int pixels = 0;
  for (const auto& v : e["views"]) {
    CHECK(v["building_pixels"].get<int>() > 1000);
    pixels += v["building_pixels"].get<int>();
  }
  CHECK(pixels == e["building_pixels"].get<int>());
  // The ceiling: the ground-truth mesh textured from the ground-truth cameras is closer to the
  // held-out photographs than the misaligned preview reconstruction.
  REQUIRE(e.contains("psnr_ceiling"));
  CHECK(e["psnr_ceiling"].get<double>() > e["psnr"].get<double>() + 1.0);
  CHECK(e["interior"]["pixels"].get<int>() > 0);
  CHECK(e["interior"]["pixels"].get<int>() < pixels);
  CHECK(e["views"][0]["best_shift_px"].size() == 2);
  // The same on the building pixels both renderings draw a surface on (holes left out): both
  // render one mesh, so these are the covered pixels.
  CHECK(e["surface"]["pixels"].get<double>() ==
        Approx(e["covered_fraction"].get<double>() * pixels).epsilon(0.01));
  CHECK(e["surface"]["psnr"].get<double>() > 8.0);
  CHECK(e["localised"]["surface"]["pixels"].get<int>() <=
        e["localised"]["building_pixels"].get<int>());
  CHECK(e["localised"]["surface"]["pixels"].get<int>() >
        e["localised"]["building_pixels"].get<int>() / 2);
  CHECK(fs::is_regular_file(dir / "renders" / "holdout_000.png"));
  CHECK(fs::is_regular_file(dir / "renders" / "holdout_000_error.png"));
  // The text form carries the same figures.
  r = RunMuta({"eval", "texture", "-w", ws.string(), "--gt", synth.string()});
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("psnr (dB)") && Catch::Contains("holdout_001.jpg") &&
                        Catch::Contains("close   1 views") && Catch::Contains("aligned") &&
                        Catch::Contains("on the surface"));
  CHECK_THAT(r.out, !Catch::Contains("localised"));  // only with --localise

  // Photographs kept out of the reconstruction, without a ground truth (--photos, as for a real
  // building): each posed by the reconstruction's SfM and scored where both models draw.
  const fs::path kept = dir / "kept";
  fs::create_directories(kept);
  for (const char* n : {"holdout_000.jpg", "holdout_001.jpg", "holdout_close_000.jpg"}) {
    fs::copy_file(synth / "holdout" / "images" / n, kept / n);
  }
  muta::test::WriteBytes(kept / "notes.txt", "not a photograph");
  r = RunMuta({"eval", "texture", "-w", ws.string(), "--photos", kept.string(), "--json",
               "--save-renders", (dir / "photo_renders").string()});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.err, Catch::Contains("notes.txt") && Catch::Contains("skipped"));
  {
    const muta::Json p = muta::ParseJson(r.out, "muta eval texture --photos --json");
    INFO(p.dump(2));
    for (const char* key : {"psnr", "ssim", "psnr_vertex_colour", "ssim_vertex_colour"}) {
      REQUIRE(p.contains(key));
    }
    CHECK(p["photos"] == 3);
    CHECK(p["registered"].get<int>() >= 2);
    CHECK(p["scored"].get<std::size_t>() == p["views"].size());
    CHECK(p["feature_max_image_size"] == 480);
    // The same comparison as the localised one above, on the pixels both models draw.
    CHECK(p["psnr"].get<double>() > p["psnr_vertex_colour"].get<double>());
    CHECK(p["ssim"].get<double>() > p["ssim_vertex_colour"].get<double>());
    CHECK(p["covered_fraction"].get<double>() > 0.2);
    CHECK(p["covered_fraction"].get<double>() < 1.0);  // the sky and the far ground are not drawn
    const std::string first = p["views"][0]["name"].get<std::string>();
    CHECK(fs::is_regular_file(dir / "photo_renders" / (fs::path(first).stem().string() + ".png")));
  }
  // A photograph the reconstruction was made from is not a held-out one: refused, naming it.
  fs::copy_file(synth / "images" / "view_002.jpg", kept / "view_002.jpg");
  r = RunMuta({"eval", "texture", "-w", ws.string(), "--photos", kept.string()});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("view_002.jpg") && Catch::Contains("never saw"));
  fs::remove(kept / "view_002.jpg");
  // Neither or both of --gt and --photos, options of --gt alone, a folder without photographs.
  r = RunMuta({"eval", "texture", "-w", ws.string()});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("--gt") && Catch::Contains("--photos"));
  r = RunMuta(
      {"eval", "texture", "-w", ws.string(), "--gt", synth.string(), "--photos", kept.string()});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("not both"));
  r = RunMuta({"eval", "texture", "-w", ws.string(), "--photos", kept.string(), "--ceiling"});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("--ceiling"));
  const fs::path empty = dir / "empty";
  fs::create_directories(empty);
  r = RunMuta({"eval", "texture", "-w", ws.string(), "--photos", empty.string()});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("holds no photographs"));

  // The graph-cut mesher on the same workspace: the mesh stage (its options changed) and the
  // texture stage run again, from the same fused points, and the result is scored the same way.
  r = RunMuta({"reconstruct", "-w", ws.string(), "--quality", "preview", "--mesher", "delaunay",
               "--progress", "none"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const muta::Json job = muta::ReadJsonFile(ws / "muta.job.json");
  for (const auto& stage : job["stages"]) {
    if (stage["name"] != "mesh") continue;
    CHECK(stage["figures"]["method"] == "delaunay");
    CHECK(stage["figures"]["lines_of_sight"].get<int>() > stage["figures"]["meshed_points"]);
    CHECK(stage["figures"]["faces"].get<int>() > 10000);
  }
  // The localisation takes the feature size the SfM stage recorded (set smaller here).
  {
    muta::Json edited = muta::ReadJsonFile(ws / "muta.job.json");
    int sfm_stages = 0;
    for (auto& stage : edited["stages"]) {
      if (stage["name"] != "sfm") continue;
      CHECK(stage["figures"]["sift_max_image_size"] == 1600);
      stage["figures"]["sift_max_image_size"] = 320;
      ++sfm_stages;
    }
    REQUIRE(sfm_stages == 1);
    muta::WriteJsonFile(ws / "muta.job.json", edited);
  }
  r = RunMuta(
      {"eval", "texture", "-w", ws.string(), "--gt", synth.string(), "--json", "--localise"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const muta::Json d = muta::ParseJson(r.out, "muta eval texture --json");
  CHECK(d["localised"]["feature_max_image_size"] == 320);
  CHECK(d["covered_fraction"].get<double>() > 0.5);
  CHECK(d["psnr"].get<double>() > 8.0);
  // Dense matching on images half the photographs' size (as --quality standard does with
  // photographs over 1600 px): texturing samples the photographs undistorted at full size
  // (dense/texture), and is closer to the held-out views than texturing from the dense images.
  r = RunMuta({"reconstruct", "-w", ws.string(), "--quality", "preview", "--dense-max-size", "240",
               "--progress", "none"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  REQUIRE(fs::is_directory(ws / "dense" / "texture" / "images"));
  const muta::Json half = muta::ReadJsonFile(ws / "muta.job.json");
  for (const auto& stage : half["stages"]) {
    if (stage["name"] == "undistort") {
      CHECK(stage["figures"]["width_max"].get<int>() <= 240);
      CHECK(stage["figures"]["texture_images"] == "dense/texture");
    }
    if (stage["name"] == "texture") {
      CHECK(stage["figures"]["texture_images"] == "dense/texture/images");
      CHECK(stage["figures"]["texture_images_longest_side"].get<int>() >= 470);
    }
  }
  auto score = [&] {
    auto s = RunMuta({"eval", "texture", "-w", ws.string(), "--gt", synth.string(), "--json"});
    INFO(s.err);
    REQUIRE(s.exit_code == 0);
    return muta::ParseJson(s.out, "muta eval texture --json");
  };
  const muta::Json full_size = score();
  fs::rename(ws / "dense" / "texture", dir / "texture_aside");
  r = RunMuta({"texture", "-w", ws.string(), "--force", "--json", "--progress", "none"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(muta::ParseJson(r.out, "muta texture --json")["texture_images"] == "dense/images");
  const muta::Json dense_size = score();
  INFO("textured from the photographs: " << full_size["psnr"] << " dB, aligned "
                                         << full_size["aligned"].dump()
                                         << "; from the dense images: " << dense_size["psnr"]
                                         << " dB, aligned " << dense_size["aligned"].dump());
  // Scored with each rendering registered onto the photographs: the held-out views' poses are
  // off by a pixel or two, which costs the sharper texture more than the blurrier one (measured
  // 2026-11-27: unregistered 16.6 against 16.8 dB; registered 18.8 against 18.2 dB, SSIM 0.44
  // against 0.35).
  CHECK(full_size["aligned"]["psnr"].get<double>() >
        dense_size["aligned"]["psnr"].get<double>() + 0.3);
  CHECK(full_size["aligned"]["ssim"].get<double>() >
        dense_size["aligned"]["ssim"].get<double>() + 0.03);
  // A dense/texture from another reconstruction (other poses) is refused, naming it.
  fs::rename(dir / "texture_aside", ws / "dense" / "texture");
  muta::SparseModel other = muta::ReadSparseModel(ws / "dense" / "texture" / "sparse");
  other.images.begin()->second.cam_from_world.translation.x() += 0.5;
  muta::WriteSparseModel(ws / "dense" / "texture" / "sparse", other);
  r = RunMuta({"texture", "-w", ws.string(), "--force", "--progress", "none"});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("dense/texture") && Catch::Contains("--from undistort"));

  r = RunMuta({"reconstruct", "-w", ws.string(), "--mesher", "marching-cubes"});
  CHECK(r.exit_code != 0);
  CHECK_THAT(r.err, Catch::Contains("--mesher"));

  // --localise on a workspace without the sfm stage's feature database: refused, naming it.
  fs::rename(ws / "sparse" / "database.db", dir / "database.db");
  r = RunMuta({"eval", "texture", "-w", ws.string(), "--gt", synth.string(), "--localise"});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("database.db") && Catch::Contains("--from sfm"));
  fs::rename(dir / "database.db", ws / "sparse" / "database.db");

  // A synthetic dataset without held-out views: refused, saying how to make them.
  const fs::path bare = dir / "bare";
  fs::create_directories(bare);
  fs::copy(synth / "gt", bare / "gt", fs::copy_options::recursive);
  r = RunMuta({"eval", "texture", "-w", ws.string(), "--gt", bare.string()});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("no held-out views") && Catch::Contains("--holdout"));

  // A workspace without the textured model: refused, naming the file and the command.
  fs::rename(ws / "dense" / "textured.glb", dir / "textured.glb");
  r = RunMuta({"eval", "texture", "-w", ws.string(), "--gt", synth.string()});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("textured.glb") && Catch::Contains("muta texture"));
}

}  // namespace
