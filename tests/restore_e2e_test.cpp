// `muta restore` and `muta eval restore` as a user runs them, on synthetic pagodas made by
// `muta synth --gt-only` (seed 3: not the seed the method was tuned on).
#include <catch2/catch.hpp>

#include <cstdlib>
#include <map>

#include "core/json.h"
#include "core/ply_io.h"
#include "tests/test_util.h"

namespace fs = std::filesystem;
using muta::test::RunMuta;

namespace {

// A damaged (default damage) or intact pagoda's ground truth, made once per test run.
fs::path Pagoda(const std::string& damage) {
  static muta::test::TempDir dir("restore-e2e");
  const fs::path out = dir / ("pagoda-" + damage);
  if (!fs::exists(out / "gt" / "damage.json")) {
    const auto r = RunMuta({"synth", "--scene", "pagoda", "--gt-only", "--damage", damage, "--seed",
                            "3", "-o", out.string()});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
  }
  return out;
}

muta::Json RunJson(const std::vector<std::string>& args) {
  const auto r = RunMuta(args);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  return muta::ParseJson(r.out, "stdout");
}

}  // namespace

TEST_CASE("muta restore: symmetry found, symmetry beats smooth, observed faces unchanged",
          "[e2e]") {
  const fs::path scene = Pagoda("default");
  muta::test::TempDir out("restore-out");
  const std::string mesh = (scene / "gt" / "mesh.ply").string();
  for (const char* method : {"symmetry", "smooth"}) {
    const muta::Json r = RunJson(
        {"restore", "--mesh", mesh, "-o", (out / method).string(), "--method", method, "--json"});
    CHECK(r["damage_found"] == true);
    CHECK(r["inferred_faces"].get<std::size_t>() > 0);
  }

  // The symmetry estimated from the damaged mesh: 8-fold about the vertical axis.
  const muta::Json damage = muta::ReadJsonFile(out / "symmetry" / "damage.json");
  CHECK(damage["format"] == "muta.restore.damage");
  CHECK(damage["symmetry"]["rotation_order"] == 8);
  CHECK(damage["symmetry"]["axis"]["direction"][2].get<double>() > 0.999);
  CHECK(damage["symmetry"]["inlier_fraction"].get<double>() > 0.8);
  CHECK(damage["regions"].size() >= 3);

  // Every observed triangle bit-identical, first; inferred ones labelled.
  const muta::Mesh input = muta::ReadPlyMesh(mesh);
  for (const char* method : {"symmetry", "smooth"}) {
    INFO(method);
    const muta::Mesh restored = muta::ReadPlyMesh(out / method / "restored.ply");
    REQUIRE(restored.NumFaces() > input.NumFaces());
    bool same = true;
    for (std::size_t v = 0; v < input.NumVertices(); ++v) {
      same = same && restored.vertices[v] == input.vertices[v];
    }
    for (std::size_t f = 0; f < input.NumFaces(); ++f) {
      same = same && restored.faces[f] == input.faces[f] &&
             restored.part_ids[f] == input.part_ids[f] &&
             restored.provenance[f] == muta::Provenance::kObserved;
    }
    CHECK(same);
    const auto expected = std::string(method) == "symmetry" ? muta::Provenance::kInferredSymmetry
                                                            : muta::Provenance::kInferredSmooth;
    bool labelled = true;
    for (std::size_t f = input.NumFaces(); f < restored.NumFaces(); ++f) {
      labelled = labelled && restored.provenance[f] == expected && restored.confidence[f] >= 0 &&
                 restored.confidence[f] <= 1;
    }
    CHECK(labelled);
    const muta::Json report = muta::ReadJsonFile(out / method / "report.json");
    REQUIRE(!report["completed"].empty());
    for (const auto& e : report["completed"]) {
      CHECK(e["method"] == method);
      CHECK(!e["why"].get<std::string>().empty());
    }
  }

  // Scored on the ground truth's damaged regions.
  auto eval = [&](const char* method) {
    return RunJson({"eval", "restore", "--gt-intact", (scene / "gt" / "intact.ply").string(),
                    "--restored", (out / method / "restored.ply").string(), "--damage",
                    (scene / "gt" / "damage.json").string(), "--json"});
  };
  const muta::Json sym = eval("symmetry"), smooth = eval("smooth");
  for (const char* key : {"chamfer", "accuracy_mean", "completeness_mean", "f_score", "tau"}) {
    CHECK(sym.contains(key));
  }
  CHECK(sym["regions"].size() == 4);
  const double c_sym = sym["with_counterpart"]["chamfer"].get<double>();
  const double c_smooth = smooth["with_counterpart"]["chamfer"].get<double>();
  INFO("chamfer symmetry " << c_sym << " smooth " << c_smooth);
  CHECK(c_sym <= 0.5 * c_smooth);
  CHECK(sym["f_score"].get<double>() > smooth["f_score"].get<double>());
}

TEST_CASE("muta restore: a spire's lost tip has no counterpart – learned beats smooth", "[e2e]") {
  // Seed 3 is held out of the shipped weights' training data.
  const fs::path scene = Pagoda("lost:finial:partial");
  muta::test::TempDir out("restore-finial");
  const std::string mesh = (scene / "gt" / "mesh.ply").string();
  std::map<std::string, double> chamfer;
  for (const char* method : {"learned", "smooth"}) {
    const muta::Json r = RunJson(
        {"restore", "--mesh", mesh, "-o", (out / method).string(), "--method", method, "--json"});
    CHECK(r["damage_found"] == true);
    CHECK(r["inferred_faces"].get<std::size_t>() > 0);
    chamfer[method] =
        RunJson({"eval", "restore", "--gt-intact", (scene / "gt" / "intact.ply").string(),
                 "--restored", (out / method / "restored.ply").string(), "--damage",
                 (scene / "gt" / "damage.json").string(), "--json"})["chamfer"]
            .get<double>();
  }
  // Found as the building's top left open, though the cut repeats under the rotation.
  const muta::Json damage = muta::ReadJsonFile(out / "learned" / "damage.json");
  std::size_t open_top = 0;
  for (const auto& h : damage["holes"]) open_top += h["open_top"].get<bool>();
  CHECK(open_top == 1);
  INFO("chamfer learned " << chamfer["learned"] << " smooth " << chamfer["smooth"]);
  CHECK(chamfer["learned"] < 0.6 * chamfer["smooth"]);
}

TEST_CASE("muta restore: an intact building has no damage and gets nothing inferred", "[e2e]") {
  const fs::path scene = Pagoda("none");
  muta::test::TempDir out("restore-none");
  const auto r = RunMuta(
      {"restore", "--mesh", (scene / "gt" / "mesh.ply").string(), "-o", out.path().string()});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("no damage found") != std::string::npos);
  const muta::Json report = muta::ReadJsonFile(out / "report.json");
  CHECK(report["damage_found"] == false);
  CHECK(report["inferred_faces"] == 0);
  CHECK(muta::ReadPlyHeader(out / "restored.ply").num_faces ==
        muta::ReadPlyHeader(scene / "gt" / "mesh.ply").num_faces);
}

TEST_CASE("muta restore: bad input gets a clear error and writes nothing", "[e2e]") {
  muta::test::TempDir dir("restore-bad");
  // A box is not a building.
  muta::WritePly(dir / "box.ply", muta::test::ColouredBox());
  auto r = RunMuta({"restore", "--mesh", (dir / "box.ply").string(), "-o", (dir / "o1").string()});
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("too small") != std::string::npos);
  CHECK(r.err.find("box.ply") != std::string::npos);
  CHECK(!fs::exists(dir / "o1" / "restored.ply"));

  // A corrupt and a truncated PLY.
  muta::test::WriteBytes(dir / "corrupt.ply",
                         "ply\nformat binary_little_endian 1.0\nelement "
                         "vertex 100\nproperty float x\nend_header\n\x01\x02");
  r = RunMuta({"restore", "--mesh", (dir / "corrupt.ply").string(), "-o", (dir / "o2").string()});
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("corrupt.ply") != std::string::npos);
  const fs::path scene = Pagoda("default");
  muta::test::WriteTruncatedCopy(scene / "gt" / "mesh.ply", dir / "cut.ply", 5000);
  r = RunMuta({"restore", "--mesh", (dir / "cut.ply").string(), "-o", (dir / "o3").string()});
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("cut.ply") != std::string::npos);
  CHECK(!fs::exists(dir / "o3"));

  // Corrupt learned weights: the error names the file; nothing is written.
  muta::test::WriteBytes(dir / "bad.pt", "not a network");
  ::setenv("MUTA_COMPLETION_WEIGHTS", (dir / "bad.pt").c_str(), 1);
  r = RunMuta({"restore", "--mesh", (scene / "gt" / "mesh.ply").string(), "-o",
               (dir / "o4").string(), "--method", "learned"});
  ::unsetenv("MUTA_COMPLETION_WEIGHTS");
  CHECK(r.exit_code == 1);
  CHECK(r.err.find((dir / "bad.pt").string()) != std::string::npos);
  CHECK(!fs::exists(dir / "o4"));

  // A workspace without a mesh names the stage to run.
  fs::create_directories(dir / "ws");
  r = RunMuta({"restore", "-w", (dir / "ws").string()});
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("dense/mesh.ply") != std::string::npos);
  CHECK(r.err.find("mesh stage") != std::string::npos);
}
