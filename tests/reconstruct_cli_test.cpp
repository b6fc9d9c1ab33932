// `muta reconstruct` with bad input: each case gets a clear message naming the problem, a
// non-zero exit and an intact workspace.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <random>

#include "core/file_io.h"
#include "core/image_io.h"
#include "core/json.h"
#include "core/subprocess.h"
#include "tests/test_util.h"

namespace fs = std::filesystem;
using muta::test::RunMuta;

namespace {

// Uncorrelated noise photographs: nothing in one matches anything in another.
void WriteNoisePhotos(const fs::path& dir, int count, int w = 320, int h = 240) {
  fs::create_directories(dir);
  for (int i = 0; i < count; ++i) {
    std::mt19937 rng(1000 + i);
    muta::Image image(w, h, 3);
    for (auto& p : image.pixels) p = std::uint8_t(rng() & 255);
    muta::WriteImage(dir / ("noise_" + std::to_string(i) + ".jpg"), image);
  }
}

std::string JobText(const fs::path& ws) {
  return muta::ReadFileText(ws / "muta.job.json");
}

}  // namespace

TEST_CASE("muta reconstruct explains folders it cannot use", "[e2e][reconstruct]") {
  muta::test::TempDir dir("reconstruct-bad");
  const std::string ws = (dir / "ws").string();

  fs::create_directories(dir / "empty");
  auto r = RunMuta({"reconstruct", (dir / "empty").string(), "-w", ws});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("holds no files"));

  muta::test::WriteBytes(dir / "text" / "notes.txt", "site notes");
  muta::test::WriteBytes(dir / "text" / "K.txt", "1 0 0 0 1 0 0 0 1");
  r = RunMuta({"reconstruct", (dir / "text").string(), "-w", ws});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("only 0 usable images"));
  CHECK_THAT(r.err, Catch::Contains("not an image"));

  WriteNoisePhotos(dir / "one", 1);
  r = RunMuta({"reconstruct", (dir / "one").string(), "-w", ws});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("only 1 usable image"));
  CHECK_THAT(r.err, Catch::Contains("at least 3"));

  r = RunMuta({"reconstruct", (dir / "missing").string(), "-w", ws});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("no such folder"));

  // The failed ingest is recorded, and nothing else was touched.
  const std::string job = JobText(ws);
  CHECK_THAT(job, Catch::Contains("\"failed\""));
  CHECK_FALSE(fs::exists(fs::path(ws) / "images.json"));
}

TEST_CASE("muta reconstruct skips corrupt and zero-byte photographs by name",
          "[e2e][reconstruct]") {
  muta::test::TempDir dir("reconstruct-corrupt");
  WriteNoisePhotos(dir / "photos", 4);
  muta::test::WriteBytes(dir / "photos" / "zero.jpg", "");
  muta::test::WriteTruncatedCopy(dir / "photos" / "noise_0.jpg", dir / "photos" / "cut.jpg", 3000);
  const std::string ws = (dir / "ws").string();
  auto r = RunMuta({"reconstruct", (dir / "photos").string(), "-w", ws, "--to", "ingest"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.err, Catch::Contains("zero.jpg"));
  CHECK_THAT(r.err, Catch::Contains("cut.jpg"));
  const muta::Json manifest = muta::ReadJsonFile(fs::path(ws) / "images.json");
  CHECK(manifest["images"].size() == 4);
  CHECK(manifest["skipped"].size() == 2);

  // --strict turns the first bad photograph into an error; the earlier ingest stays.
  r = RunMuta({"reconstruct", (dir / "photos").string(), "-w", ws, "--to", "ingest", "--strict"});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("cut.jpg"));
  CHECK(muta::ReadJsonFile(fs::path(ws) / "images.json")["images"].size() == 4);
}

TEST_CASE("muta reconstruct reports photographs that do not overlap", "[e2e][reconstruct]") {
  if (!muta::FindExecutable("colmap")) {
    WARN("colmap is not on PATH: skipped");
    return;
  }
  muta::test::TempDir dir("reconstruct-no-overlap");
  WriteNoisePhotos(dir / "photos", 3);
  const std::string ws = (dir / "ws").string();
  const auto r = RunMuta(
      {"reconstruct", (dir / "photos").string(), "-w", ws, "--to", "sfm", "--quality", "preview"});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("do not overlap"));
  CHECK_THAT(JobText(ws), Catch::Contains("\"failed\""));
  CHECK(fs::exists(fs::path(ws) / "images.json"));  // the ingest before it is kept
}

TEST_CASE("muta reconstruct names a missing COLMAP and how to get it", "[e2e][reconstruct]") {
  muta::test::TempDir dir("reconstruct-no-colmap");
  WriteNoisePhotos(dir / "photos", 3);
  const std::string ws = (dir / "ws").string();
  auto r = RunMuta({"reconstruct", (dir / "photos").string(), "-w", ws, "--colmap",
                    (dir / "no-colmap").string()});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("no-colmap"));
  CHECK_THAT(r.err, Catch::Contains("--colmap"));
  CHECK(fs::exists(fs::path(ws) / "images.json"));
}

TEST_CASE("muta reconstruct refuses a read-only workspace cleanly", "[e2e][reconstruct]") {
  muta::test::TempDir dir("reconstruct-ro");
  WriteNoisePhotos(dir / "photos", 3);
  const fs::path ws = dir / "ws";
  auto r = RunMuta({"reconstruct", (dir / "photos").string(), "-w", ws.string(), "--to", "ingest"});
  REQUIRE(r.exit_code == 0);
  const std::string before = JobText(ws);
  if (::geteuid() != 0) {
    fs::permissions(ws, fs::perms::owner_read | fs::perms::owner_exec);
    r = RunMuta({"reconstruct", "-w", ws.string(), "--force"});
    fs::permissions(ws, fs::perms::owner_all);
  } else {
    // root ignores permissions: make the folder read-only with a private bind mount instead.
    if (!muta::FindExecutable("unshare")) {
      WARN("unshare is missing: read-only workspace not tested");
      return;
    }
    const std::string script = "mount --bind '" + ws.string() + "' '" + ws.string() +
                               "' && mount -o remount,bind,ro '" + ws.string() + "' && '" +
                               MUTA_BIN + "' reconstruct -w '" + ws.string() + "' --force";
    r = muta::test::RunProgram("unshare", {"-m", "sh", "-c", script});
    if (r.err.find("mount") != std::string::npos && r.err.find("muta") == std::string::npos) {
      WARN("cannot make a read-only mount here: " << r.err);
      return;
    }
  }
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("writable"));
  CHECK(JobText(ws) == before);
}
