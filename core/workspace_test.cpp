#include "core/workspace.h"

#include <catch2/catch.hpp>

#include "core/error.h"
#include "core/file_io.h"
#include "core/progress.h"
#include "tests/test_util.h"

namespace {

using muta::Json;
using muta::StageDef;
using muta::StageStatus;

// Two stages: "a" copies input.txt to a.txt, "b" appends to b.txt; counters show what ran.
struct Pipeline {
  int runs_a = 0;
  int runs_b = 0;
  std::string option = "x";
  bool fail_b = false;
  bool cancel_b = false;

  std::vector<StageDef> Stages() {
    return {
        StageDef{"a",
                 {{"option", option}},
                 {"input.txt"},
                 {"a.txt"},
                 [this](muta::Workspace& ws, muta::Progress&) {
                   ++runs_a;
                   muta::WriteFileAtomic(ws.Path("a.txt"),
                                         muta::ReadFileText(ws.Path("input.txt")));
                   return Json{{"bytes", 3}};
                 }},
        StageDef{"b",
                 {},
                 {"a.txt"},
                 {"b.txt"},
                 [this](muta::Workspace& ws, muta::Progress& progress) {
                   ++runs_b;
                   progress.Begin("b", 2);
                   if (cancel_b) throw muta::Cancelled();
                   MUTA_CHECK(!fail_b) << "stage b failed on purpose";
                   muta::WriteFileAtomic(ws.Path("b.txt"), "b");
                   progress.Advance(2);
                   return Json::object();
                 }},
    };
  }
};

}  // namespace

TEST_CASE("RunStages records status and skips up-to-date stages", "[unit][workspace]") {
  muta::test::TempDir dir("ws");
  Pipeline p;
  muta::Progress progress(muta::ProgressStyle::kQuiet);
  {
    auto ws = muta::Workspace::Open(dir / "job");
    muta::WriteFileAtomic(ws.Path("input.txt"), "abc");
    auto stages = p.Stages();
    auto outcomes = muta::RunStages(ws, stages, {}, progress);
    REQUIRE(outcomes.size() == 2);
    CHECK(!outcomes[0].skipped);
    CHECK(p.runs_a == 1);
    CHECK(p.runs_b == 1);
    const auto* a = ws.job().Find("a");
    REQUIRE(a != nullptr);
    CHECK(a->status == StageStatus::kDone);
    CHECK(a->figures["bytes"] == 3);
    CHECK(a->inputs.at("input.txt").rfind("3:", 0) == 0);
  }
  // The job file on disk says the same.
  const Json job = muta::ReadJsonFile(dir / "job" / "muta.job.json");
  CHECK(job["format"] == "muta.job");
  CHECK(job["stages"][1]["status"] == "done");

  auto ws = muta::Workspace::Open(dir / "job");
  auto stages = p.Stages();
  muta::RunStages(ws, stages, {}, progress);
  CHECK(p.runs_a == 1);  // nothing changed: both skipped
  CHECK(p.runs_b == 1);

  SECTION("a changed input reruns the stage; unchanged output downstream still reruns b") {
    muta::WriteFileAtomic(ws.Path("input.txt"), "abd");
    muta::RunStages(ws, stages, {}, progress);
    CHECK(p.runs_a == 2);
    CHECK(p.runs_b == 2);  // a.txt's content changed
  }
  SECTION("changed options rerun the stage") {
    p.option = "y";
    auto changed = p.Stages();
    muta::RunStages(ws, changed, {}, progress);
    CHECK(p.runs_a == 2);
    CHECK(p.runs_b == 1);  // same a.txt content
  }
  SECTION("a deleted output reruns its stage") {
    std::filesystem::remove(ws.Path("b.txt"));
    muta::RunStages(ws, stages, {}, progress);
    CHECK(p.runs_a == 1);
    CHECK(p.runs_b == 2);
  }
  SECTION("--from/--to and force select a range") {
    muta::RunOptions options;
    options.from = "b";
    options.force = true;
    muta::RunStages(ws, stages, options, progress);
    CHECK(p.runs_a == 1);
    CHECK(p.runs_b == 2);
    options.from.reset();
    options.to = "a";
    muta::RunStages(ws, stages, options, progress);
    CHECK(p.runs_a == 2);
    CHECK(p.runs_b == 2);
    options.to = "nope";
    CHECK_THROWS_WITH(muta::RunStages(ws, stages, options, progress),
                      Catch::Contains("no such stage") && Catch::Contains("a, b"));
  }
}

TEST_CASE("A failing or interrupted stage is recorded and rerun", "[unit][workspace]") {
  muta::test::TempDir dir("ws");
  Pipeline p;
  muta::Progress progress(muta::ProgressStyle::kQuiet);
  auto ws = muta::Workspace::Open(dir / "job");
  muta::WriteFileAtomic(ws.Path("input.txt"), "abc");
  p.fail_b = true;
  auto stages = p.Stages();
  CHECK_THROWS_AS(muta::RunStages(ws, stages, {}, progress), muta::Error);
  CHECK(ws.job().Find("a")->status == StageStatus::kDone);
  CHECK(ws.job().Find("b")->status == StageStatus::kFailed);
  CHECK(ws.job().Find("b")->error.find("on purpose") != std::string::npos);

  p.fail_b = false;
  p.cancel_b = true;
  CHECK_THROWS_AS(muta::RunStages(ws, stages, {}, progress), muta::Cancelled);
  CHECK(ws.job().Find("b")->status == StageStatus::kInterrupted);
  CHECK(p.runs_a == 1);

  p.cancel_b = false;
  muta::RunStages(ws, stages, {}, progress);
  CHECK(ws.job().Find("b")->status == StageStatus::kDone);
  CHECK(p.runs_a == 1);
  CHECK(p.runs_b == 3);
}

TEST_CASE("A stale running stage is found interrupted, a second process is locked out",
          "[unit][workspace]") {
  muta::test::TempDir dir("ws");
  {
    auto ws = muta::Workspace::Open(dir / "job");
    ws.job().Get("mvs").status = StageStatus::kRunning;
    ws.Save();
    // While this one is open, a second open fails (flock is per open file description).
    CHECK_THROWS_WITH(muta::Workspace::Open(dir / "job"), Catch::Contains("in use"));
  }
  auto ws = muta::Workspace::Open(dir / "job");
  CHECK(ws.job().Find("mvs")->status == StageStatus::kInterrupted);
}

TEST_CASE("A corrupt job file is a clear error and is left untouched", "[unit][workspace]") {
  muta::test::TempDir dir("ws");
  std::filesystem::create_directories(dir / "job");
  const auto job_file = dir / "job" / "muta.job.json";
  for (const std::string bad :
       {"{\"format\": \"muta.job\", \"version\": 1, \"stages\": [{\"name\": 3}]}", "{not json", "",
        "[]", "{\"format\": \"muta.job\", \"version\": 99}",
        "{\"format\": \"muta.job\", \"version\": 1, \"stages\": [{\"name\": \"a\", \"status\": "
        "\"weird\"}]}"}) {
    muta::test::WriteBytes(job_file, bad);
    CHECK_THROWS_WITH(muta::Workspace::Open(dir / "job"), Catch::Contains("muta.job.json"));
    CHECK(muta::ReadFileText(job_file) == bad);
  }
  CHECK_THROWS_WITH(muta::Workspace::Open(dir / "missing", false), Catch::Contains("missing"));
}

TEST_CASE("Fingerprints follow content, not timestamps", "[unit][workspace]") {
  muta::test::TempDir dir("fp");
  muta::WriteFileAtomic(dir / "d" / "x", "hello");
  const std::string f1 = muta::Fingerprint(dir / "d" / "x");
  const std::string d1 = muta::Fingerprint(dir / "d");
  muta::WriteFileAtomic(dir / "d" / "x", "hello");
  CHECK(muta::Fingerprint(dir / "d" / "x") == f1);
  muta::test::WriteBytes(dir / "d" / "x.tmp-1-2", "partial");  // temp files are ignored
  CHECK(muta::Fingerprint(dir / "d") == d1);
  muta::WriteFileAtomic(dir / "d" / "x", "hellp");
  CHECK(muta::Fingerprint(dir / "d" / "x") != f1);
  CHECK(muta::Fingerprint(dir / "d") != d1);
  CHECK(muta::Fingerprint(dir / "nothing") == "missing");
}
