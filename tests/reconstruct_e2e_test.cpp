// `muta reconstruct` end to end on a small synthetic pagoda (12 photographs, 640x480): every
// stage runs for real (COLMAP SfM, our PatchMatch MVS, fusion, Poisson), accuracy is measured
// against the exact ground truth, a second run resumes, and Ctrl-C during mvs then a resume
// gives the same depth maps as the uninterrupted run.
#include <catch2/catch.hpp>

#include <map>

#include "core/file_io.h"
#include "core/json.h"
#include "core/subprocess.h"
#include "tests/test_util.h"

namespace fs = std::filesystem;
using muta::test::RunMuta;

namespace {

struct Fixture {
  fs::path synth, ws;
};

// One synthetic set and one reconstruction shared by the test cases of this file.
const Fixture& Reconstructed() {
  static muta::test::TempDir dir("reconstruct-e2e");
  static Fixture fixture = [] {
    Fixture f{dir / "synth", dir / "ws"};
    auto r =
        RunMuta({"synth", "--scene", "pagoda", "--images", "12", "--size", "640x480", "--damage",
                 "default", "--seed", "1", "-o", f.synth.string(), "--progress", "none"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    r = RunMuta({"reconstruct", (f.synth / "images").string(), "-w", f.ws.string(), "--quality",
                 "preview", "--progress", "none"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    return f;
  }();
  return fixture;
}

std::map<std::string, std::vector<std::uint8_t>> DepthMaps(const fs::path& ws) {
  std::map<std::string, std::vector<std::uint8_t>> maps;
  for (const auto& e : fs::directory_iterator(ws / "dense" / "stereo" / "depth_maps")) {
    maps[e.path().filename().string()] = muta::ReadFileBytes(e.path());
  }
  return maps;
}

double Diagonal(const fs::path& synth) {
  return muta::ReadJsonFile(synth / "gt" / "scene.json")["diagonal"].get<double>();
}

}  // namespace

TEST_CASE("muta reconstruct rebuilds the synthetic pagoda within tolerance", "[e2e][reconstruct]") {
  if (!muta::FindExecutable("colmap")) {
    WARN("colmap is not on PATH: skipped");
    return;
  }
  const Fixture& f = Reconstructed();
  for (const char* file :
       {"images.json", "sparse/cameras.bin", "sparse/images.bin", "sparse/points3D.bin",
        "sparse/sfm/images.bin", "dense/sparse/images.bin", "dense/fused.ply",
        "dense/fused.ply.vis", "dense/mesh.ply"}) {
    INFO(file);
    CHECK(fs::exists(f.ws / file));
  }
  const muta::Json job = muta::ReadJsonFile(f.ws / "muta.job.json");
  CHECK(job["properties"]["unscaled"] == true);
  for (const auto& s : job["stages"]) {
    INFO(s["name"]);
    CHECK(s["status"] == "done");
  }

  // Cameras: all registered; centre error small against the scene.
  const double diagonal = Diagonal(f.synth);
  auto r = RunMuta({"eval", "cameras", "--gt", (f.synth / "gt" / "sparse").string(), "--model",
                    (f.ws / "sparse").string(), "--json"});
  REQUIRE(r.exit_code == 0);
  const muta::Json cams = muta::ParseJson(r.out, "eval cameras");
  CHECK(cams["registered"].get<int>() >= 11);
  CHECK(cams["position_error_median"].get<double>() < 0.01 * diagonal);

  // The fused cloud, aligned by the cameras then ICP, cropped to the building.
  const double tau = 0.005 * diagonal;
  auto score = [&](const std::string& surface) {
    const auto e = RunMuta(
        {"eval", "mesh", "--gt", (f.synth / "gt" / "mesh.ply").string(), "--gt-visible",
         (f.synth / "gt" / "visible.ply").string(), "--mesh", (f.ws / "dense" / surface).string(),
         "--model", (f.ws / "sparse").string(), "--gt-model", (f.synth / "gt" / "sparse").string(),
         "--tau", std::to_string(tau), "--crop-to-gt", "--icp", "--json"});
    INFO(e.err);
    REQUIRE(e.exit_code == 0);
    return muta::ParseJson(e.out, "eval mesh");
  };
  const muta::Json fused = score("fused.ply");
  WARN("fused cloud: precision " << fused["precision"] << ", recall " << fused["recall"] << ", F "
                                 << fused["f_score"]);
  CHECK(fused["precision"].get<double>() > 0.9);
  CHECK(fused["recall"].get<double>() > 0.4);

  // The mesh, scored the same way (measured on this set: precision 0.86, recall 0.61, F 0.715).
  const muta::Json mesh = score("mesh.ply");
  WARN("mesh: precision " << mesh["precision"] << ", recall " << mesh["recall"] << ", F "
                          << mesh["f_score"]);
  CHECK(mesh["precision"].get<double>() > 0.75);
  CHECK(mesh["recall"].get<double>() > 0.45);
  CHECK(mesh["f_score"].get<double>() > 0.6);

  // A second run finds every stage up to date.
  r = RunMuta({"reconstruct", "-w", f.ws.string(), "--quality", "preview", "--json"});
  REQUIRE(r.exit_code == 0);
  CHECK(r.err.find("running") == std::string::npos);
}

TEST_CASE("Ctrl-C during mvs, then resume, gives the uninterrupted depth maps",
          "[e2e][reconstruct]") {
  if (!muta::FindExecutable("colmap")) {
    WARN("colmap is not on PATH: skipped");
    return;
  }
  const Fixture& f = Reconstructed();
  const auto reference = DepthMaps(f.ws);
  REQUIRE(reference.size() >= 12);

  // Rerun mvs from scratch and interrupt it once its first depth map is written.
  muta::test::TempDir dir("reconstruct-sigint");
  const fs::path ws = dir / "ws";
  fs::copy(f.ws, ws, fs::copy_options::recursive);
  fs::remove_all(ws / "dense" / "stereo" / "depth_maps");
  fs::remove_all(ws / "dense" / "stereo" / "normal_maps");
  const std::string script =
      "'" + std::string(MUTA_BIN) + "' reconstruct -w '" + ws.string() +
      "' --quality preview --from mvs --to mvs --force --progress none & pid=$!; "
      "while [ -z \"$(ls '" +
      (ws / "dense/stereo/depth_maps").string() +
      "' 2>/dev/null | grep photometric)\" ]; do sleep 0.1; done; kill -INT $pid; wait $pid; "
      "echo exit=$?";
  auto r = muta::test::RunProgram("sh", {"-c", script});
  INFO(r.out << r.err);
  CHECK_THAT(r.out, Catch::Contains("exit=130"));
  const muta::Json job = muta::ReadJsonFile(ws / "muta.job.json");
  std::string mvs_status;
  for (const auto& s : job["stages"]) {
    if (s["name"] == "mvs") mvs_status = s["status"];
  }
  CHECK(mvs_status == "interrupted");
  CHECK(DepthMaps(ws).size() < reference.size());

  // Resume: the remaining maps are computed; all equal the uninterrupted run's, byte for byte.
  r = RunMuta({"reconstruct", "-w", ws.string(), "--quality", "preview", "--to", "mvs"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto resumed = DepthMaps(ws);
  REQUIRE(resumed.size() == reference.size());
  for (const auto& [name, bytes] : reference) {
    INFO(name);
    CHECK(resumed.at(name) == bytes);
  }
}
