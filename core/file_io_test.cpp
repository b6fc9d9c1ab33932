#include "core/file_io.h"

#include <catch2/catch.hpp>

#include "core/error.h"
#include "core/json.h"
#include "tests/test_util.h"

namespace fs = std::filesystem;

TEST_CASE("WriteFileAtomic replaces a file and leaves no temp files", "[unit][file]") {
  muta::test::TempDir dir("file");
  const fs::path path = dir / "sub" / "f.txt";
  muta::WriteFileAtomic(path, "one");
  muta::WriteFileAtomic(path, "two");
  CHECK(muta::ReadFileText(path) == "two");
  int count = 0;
  for (const auto& e : fs::directory_iterator(path.parent_path())) {
    (void)e;
    ++count;
  }
  CHECK(count == 1);
}

TEST_CASE("AtomicFile without Commit leaves the old file intact", "[unit][file]") {
  muta::test::TempDir dir("file");
  const fs::path path = dir / "f.txt";
  muta::WriteFileAtomic(path, "old");
  try {
    muta::AtomicFile file(path);
    file.stream() << "half-written";
    throw std::runtime_error("crash mid-write");
  } catch (const std::runtime_error&) {
  }
  CHECK(muta::ReadFileText(path) == "old");
  CHECK(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()) == 1);
}

TEST_CASE("A full disk is a clear error and keeps the old file", "[unit][file]") {
  if (!fs::exists("/dev/full")) {
    WARN("no /dev/full; skipped");
    return;
  }
  // Writing through a symlink to /dev/full simulates ENOSPC on the temp file's stream.
  muta::test::TempDir dir("file");
  muta::AtomicFile file(dir / "f.bin");
  std::ofstream& s = dynamic_cast<std::ofstream&>(file.stream());
  s.close();
  s.open("/dev/full", std::ios::binary);
  s << std::string(1 << 16, 'x');
  CHECK_THROWS_WITH(file.Commit(), Catch::Contains("f.bin") && Catch::Contains("disk full"));
  CHECK(!fs::exists(dir / "f.bin"));
}

TEST_CASE("Reading missing files and folders names the path", "[unit][file]") {
  muta::test::TempDir dir("file");
  CHECK_THROWS_WITH(muta::ReadFileBytes(dir / "nope.bin"), Catch::Contains("nope.bin"));
  CHECK_THROWS_WITH(muta::ReadFileBytes(dir.path()), Catch::Contains("directory"));
}

TEST_CASE("Hash64 is stable and sensitive", "[unit][file]") {
  CHECK(muta::Hash64("abc") == muta::Hash64("abc"));
  CHECK(muta::Hash64("abc") != muta::Hash64("abd"));
  CHECK(muta::Hash64("") != muta::Hash64(std::string(1, '\0')));
  CHECK(muta::Hash64("abc", 1) != muta::Hash64("abc", 2));
  CHECK(muta::HexString(0x1234) == "0000000000001234");
}

TEST_CASE("JSON errors give file, line and column", "[unit][json]") {
  muta::test::TempDir dir("json");
  muta::test::WriteBytes(dir / "bad.json", "{\n  \"a\": 1,\n  \"b\": ]\n}\n");
  CHECK_THROWS_WITH(muta::ReadJsonFile(dir / "bad.json"), Catch::Contains("bad.json:3:"));
  muta::test::WriteBytes(dir / "arr.json", "[1, 2]");
  CHECK_THROWS_WITH(muta::ReadJsonFile(dir / "arr.json"), Catch::Contains("JSON object"));
  muta::test::WriteBytes(dir / "trunc.json", "{\"a\": [1, 2");
  CHECK_THROWS_WITH(muta::ReadJsonFile(dir / "trunc.json"), Catch::Contains("trunc.json"));
  muta::WriteJsonFile(dir / "ok.json", muta::Json{{"x", 1.5}});
  CHECK(muta::ReadJsonFile(dir / "ok.json")["x"] == 1.5);
}
