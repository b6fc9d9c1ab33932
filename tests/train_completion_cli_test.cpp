// `muta train-completion` as a user runs it, a few steps on one synthetic building: weights,
// recipe (exact command, held-out seeds), loss curves, and resuming from the checkpoint.
#include <catch2/catch.hpp>

#include <cmath>

#include "core/json.h"
#include "tests/test_util.h"

namespace fs = std::filesystem;
using muta::test::RunMuta;

TEST_CASE("muta train-completion: a few steps write weights, recipe and curves, --resume continues",
          "[e2e]") {
  muta::test::TempDir dir("train-completion");
  const std::string out = (dir / "model").string();
  std::vector<std::string> args = {"train-completion",
                                   "-o",
                                   out,
                                   "--buildings",
                                   "1",
                                   "--parts-per-building",
                                   "3",
                                   "--block",
                                   "16",
                                   "--batch",
                                   "2",
                                   "--threads",
                                   "2",
                                   "--validate-every",
                                   "10",
                                   "--checkpoint-every",
                                   "2",
                                   "--steps",
                                   "2"};
  auto r = RunMuta(args);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(fs::file_size(fs::path(out) / "unet.pt") > 1'000'000);
  CHECK(fs::exists(fs::path(out) / "loss.csv"));
  CHECK(fs::exists(fs::path(out) / "loss.png"));
  muta::Json recipe = muta::ReadJsonFile(fs::path(out) / "recipe.json");
  CHECK(recipe["format"] == "muta.completion.recipe");
  CHECK(recipe["command"].get<std::string>().find("--steps 2") != std::string::npos);
  CHECK(recipe["data"]["held_out_seeds_never_used"] == muta::Json({3, 7, 11}));
  CHECK(recipe["data"]["train_blocks"].get<int>() > 0);
  CHECK(recipe["network"]["format_version"] == 2);
  for (const auto& b : recipe["data"]["buildings"]) {
    for (const int held_out : {3, 7, 11}) CHECK(b["seed"].get<int>() != held_out);
    // The symmetry hint: estimated on the damaged building (the first one is a pagoda, 8-fold).
    CHECK(b["symmetry_found"] == true);
    CHECK(b["rotation_order"] == 8);
  }
  const double loss = recipe["figures"]["last_logged"]["loss"].get<double>();
  CHECK(std::isfinite(loss));
  CHECK(loss > 0);

  // Two more steps from the checkpoint.
  args.back() = "4";
  args.push_back("--resume");
  r = RunMuta(args);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  recipe = muta::ReadJsonFile(fs::path(out) / "recipe.json");
  CHECK(recipe["training"]["resumed_from_step"] == 2);
  CHECK(recipe["training"]["steps"] == 4);
  const auto train_blocks = recipe["data"]["train_blocks"];

  // Finalising a checkpoint that already reached --steps regenerates no data and keeps its
  // summary.
  r = RunMuta(args);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.err.find("finalising without data") != std::string::npos);
  recipe = muta::ReadJsonFile(fs::path(out) / "recipe.json");
  CHECK(recipe["training"]["resumed_from_step"] == 4);
  CHECK(recipe["data"]["train_blocks"] == train_blocks);

  // Bad options are refused with the option named.
  r = RunMuta({"train-completion", "-o", out, "--block", "30"});
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("--block") != std::string::npos);
}
