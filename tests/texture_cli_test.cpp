// `muta texture -w WORKSPACE` as a user runs it, on a synthetic pagoda: its photographs,
// ground-truth cameras and mesh stand in for the undistort and mesh stages' outputs.
#include <catch2/catch.hpp>

#include <filesystem>

#include "core/gltf_io.h"
#include "core/json.h"
#include "core/workspace.h"
#include "tests/test_util.h"

namespace {

namespace fs = std::filesystem;
using muta::test::RunMuta;
using muta::test::TempDir;

TEST_CASE("muta texture textures a synthetic pagoda, resumes, and refuses bad input", "[gl]") {
  TempDir dir("texture-cli");
  const fs::path synth = dir / "synth";
  auto r = RunMuta({"synth", "--scene", "pagoda", "--images", "8", "--size", "400x300", "--seed",
                    "2", "--texture-size", "128", "-o", synth.string(), "--progress", "none"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  // A workspace holding what the mesh stage leaves (muta texture never creates one).
  const fs::path ws = dir / "ws";
  muta::Workspace::Open(ws, /*create=*/true).Save();
  fs::create_directories(ws / "dense");
  fs::copy(synth / "images", ws / "dense/images", fs::copy_options::recursive);
  fs::copy(synth / "gt/sparse", ws / "dense/sparse", fs::copy_options::recursive);
  fs::copy_file(synth / "gt/mesh.ply", ws / "dense/mesh.ply");

  r = RunMuta({"texture", "-w", ws.string(), "--json", "--progress", "none"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const muta::Json f = muta::ParseJson(r.out, "muta texture --json");
  INFO(f.dump(2));
  const int faces = f["faces"].get<int>();
  // 8 views on a ring see the outside only: the synthetic pagoda's inner faces (floors under
  // roofs, interiors) stay untextured – about 40 % of the faces are textured here.
  CHECK(f["textured_faces"].get<int>() > faces / 4);
  CHECK(f["views_used"].get<int>() >= 4);
  CHECK(f["charts"].get<int>() > 0);
  CHECK(f["texel_size_source"] == "median ground sampling distance");
  CHECK(f["texel_size_mm"].get<double>() > 0);
  CHECK(f["seam_step_after"].get<double>() < f["seam_step_before"].get<double>());
  // Photo-consistency is on by default; the synthetic photographs have no moving objects or
  // occluders, so few views are dropped.
  CHECK(f["exclude_outlier_views"] == true);
  CHECK(f["outlier_face_view_pairs"].get<double>() <
        0.05 * f["visible_face_view_pairs"].get<double>());
  for (const char* name : {"textured.glb", "textured.obj", "textured.mtl", "textured_atlas.jpg"}) {
    CHECK(fs::is_regular_file(ws / "dense" / name));
  }
  const muta::GlbContent glb = muta::ReadGlb(ws / "dense/textured.glb");
  REQUIRE(glb.base_color_texture);
  CHECK(int(glb.mesh.NumFaces()) == faces);

  // Up to date: skipped.
  r = RunMuta({"texture", "-w", ws.string(), "--progress", "none"});
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("up to date"));

  // View alignment on request – an option of its own, so the stage runs again without --force:
  // the synthetic photographs agree on the ground-truth mesh, so the displacement fields stay
  // small and the views' disagreement does not grow.
  r = RunMuta({"texture", "-w", ws.string(), "--align-views", "--json", "--progress", "none"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const muta::Json a = muta::ParseJson(r.out, "muta texture --align-views --json");
  CHECK(a["align_views"] == true);
  const muta::Json& va = a["view_alignment"];
  CHECK(va["aligned"] == true);
  CHECK(va["points"].get<double>() > 1000);
  CHECK(va["consistency_rms_after"].get<double>() <= va["consistency_rms_before"].get<double>());
  CHECK(va["shift_mean_pixels"].get<double>() < 0.5);
  CHECK(a["textured_faces"].get<int>() > faces / 4);

  // --keep-outlier-views turns the check off: a changed option, so the stage runs again.
  r = RunMuta(
      {"texture", "-w", ws.string(), "--keep-outlier-views", "--json", "--progress", "none"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const muta::Json g = muta::ParseJson(r.out, "muta texture --keep-outlier-views --json");
  CHECK(g["exclude_outlier_views"] == false);
  CHECK(g["outlier_face_view_pairs"].get<double>() == 0);
  CHECK(g["textured_faces"].get<int>() > faces / 4);

  // A texel size whose atlas cannot fit: refused with the size it would need.
  r = RunMuta({"texture", "-w", ws.string(), "--texel-size", "0.001", "--progress", "none"});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("would need about") && Catch::Contains("--texel-size"));

  // An image moved away since the reconstruction: refused, naming it.
  fs::rename(ws / "dense/images/view_004.jpg", dir / "view_004.jpg");
  r = RunMuta({"texture", "-w", ws.string(), "--force", "--progress", "none"});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("view_004.jpg") && Catch::Contains("missing"));
}

}  // namespace
