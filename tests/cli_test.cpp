// The muta binary as a user meets it: help, version, exit codes, pure JSON on stdout.
#include <catch2/catch.hpp>

#include "core/json.h"
#include "tests/test_util.h"

using muta::test::RunMuta;

TEST_CASE("muta --version and --help", "[unit][cli]") {
  auto r = RunMuta({"--version"});
  CHECK(r.exit_code == 0);
  CHECK(r.out.rfind("muta ", 0) == 0);
  r = RunMuta({"--help"});
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("Exit codes") != std::string::npos);
  for (const char* cmd : {"demo", "eval", "info", "render"}) {
    INFO(cmd);
    CHECK(r.out.find(cmd) != std::string::npos);
    const auto sub = RunMuta({cmd, "--help"});
    CHECK(sub.exit_code == 0);
    CHECK(!sub.out.empty());
  }
}

TEST_CASE("Unknown commands and bad options exit with 1", "[unit][cli]") {
  CHECK(RunMuta({"frobnicate"}).exit_code == 1);
  CHECK(RunMuta({}).exit_code == 1);
  CHECK(RunMuta({"--progress", "fancy", "info"}).exit_code == 1);
  CHECK(RunMuta({"demo", "--synth-images", "1"}).exit_code == 1);
}

TEST_CASE("muta info --json prints only JSON and finds the assets", "[unit][cli]") {
  const auto r = RunMuta({"info", "--json"});
  REQUIRE(r.exit_code == 0);
  const muta::Json info = muta::Json::parse(r.out);
  CHECK(info["version"].is_string());
  CHECK(info.contains("asset_dir"));
}
