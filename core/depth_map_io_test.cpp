#include "core/depth_map_io.h"

#include <bit>
#include <cstring>
#include <limits>

#include <catch2/catch.hpp>

#include "core/error.h"
#include "core/file_io.h"
#include "tests/test_util.h"

namespace muta {
namespace {

using test::TempDir;
using test::WriteBytes;

std::string FloatBytes(float value) {
  std::string raw(4, '\0');
  std::memcpy(raw.data(), &value, 4);
  if (std::endian::native == std::endian::big) std::reverse(raw.begin(), raw.end());
  return raw;
}

/// Requires ReadColmapArray to throw a muta::Error starting with the file's name.
void RequireBadArray(const std::filesystem::path& path) {
  try {
    ReadColmapArray(path);
    FAIL("expected muta::Error for " << path.string());
  } catch (const Error& e) {
    CHECK_THAT(e.what(), Catch::StartsWith(path.string()));
    CHECK(e.kind() == ErrorKind::kUser);
  }
}

}  // namespace

TEST_CASE("COLMAP array round trip, 1 and 3 channels", "[unit][depth]") {
  TempDir dir("depth");
  FloatMap depth(5, 3, 1);
  for (int y = 0; y < 3; ++y) {
    for (int x = 0; x < 5; ++x) depth.at(x, y) = 0.5f * x + 10.0f * y;
  }
  depth.at(4, 2) = 0.0f;  // no depth
  WriteColmapArray(dir / "a.geometric.bin", depth);
  const FloatMap depth_back = ReadColmapArray(dir / "a.geometric.bin");
  CHECK(depth_back.width == 5);
  CHECK(depth_back.height == 3);
  CHECK(depth_back.channels == 1);
  CHECK(depth_back.data == depth.data);

  FloatMap normals(4, 2, 3);
  for (std::size_t i = 0; i < normals.data.size(); ++i) normals.data[i] = 0.001f * float(i) - 1;
  WriteColmapArray(dir / "a.normal.bin", normals);
  const FloatMap normals_back = ReadColmapArray(dir / "a.normal.bin");
  CHECK(normals_back.width == 4);
  CHECK(normals_back.height == 2);
  CHECK(normals_back.channels == 3);
  CHECK(normals_back.data == normals.data);
}

TEST_CASE("COLMAP array files are channel-major on disk", "[unit][depth]") {
  TempDir dir("depth");
  FloatMap map(2, 2, 3);
  for (int y = 0; y < 2; ++y) {
    for (int x = 0; x < 2; ++x) {
      for (int c = 0; c < 3; ++c) map.at(x, y, c) = float(100 * c + 10 * y + x);
    }
  }
  std::string expected = "2&2&3&";
  for (int c = 0; c < 3; ++c) {
    for (int y = 0; y < 2; ++y) {
      for (int x = 0; x < 2; ++x) expected += FloatBytes(float(100 * c + 10 * y + x));
    }
  }
  WriteColmapArray(dir / "planar.bin", map);
  const auto bytes = ReadFileBytes(dir / "planar.bin");
  CHECK(std::string(bytes.begin(), bytes.end()) == expected);

  // And a file built by hand reads into interleaved memory.
  WriteBytes(dir / "hand.bin", expected);
  const FloatMap read = ReadColmapArray(dir / "hand.bin");
  CHECK(read.at(1, 0, 2) == 201.0f);
  CHECK(read.at(0, 1, 1) == 110.0f);
  CHECK(read.data == map.data);
}

TEST_CASE("COLMAP array rejects truncated and corrupt files", "[unit][depth]") {
  TempDir dir("depth");
  FloatMap map(3, 2, 1, 1.5f);
  WriteColmapArray(dir / "good.bin", map);
  const auto size = ReadFileBytes(dir / "good.bin").size();
  for (std::size_t cut = 0; cut < size; ++cut) {
    INFO("cut to " << cut << " of " << size << " bytes");
    test::WriteTruncatedCopy(dir / "good.bin", dir / "cut.bin", cut);
    RequireBadArray(dir / "cut.bin");
  }
  const auto good = ReadFileBytes(dir / "good.bin");
  WriteBytes(dir / "long.bin", std::string(good.begin(), good.end()) + std::string(4, '\0'));
  RequireBadArray(dir / "long.bin");

  const std::string data(4 * 4, '\0');
  const std::vector<std::string> bad = {
      "",
      "2&2&",
      "2&2&1",
      "2&2&1" + data,
      "a&2&1&" + data,
      "-2&2&1&" + data,
      " 2&2&1&" + data,
      "2 &2&1&" + data,
      "2&&1&" + data,
      "0&2&1&",
      "2&0&1&",
      "2&2&0&",
      "2&2&2&" + data,            // half the data
      "99999999999&1&1&" + data,  // 11 digits
      "65536&65536&1&" + data,    // 2^32 values
      "2147483648&1&1&" + data,   // wider than an int
      "46341&46341&2&" + data,    // over 2^31 values
      "4294967295&4294967295&4294967295&" + data,
      "\x89PNG\r\n\x1a\n" + data,
  };
  for (std::size_t i = 0; i < bad.size(); ++i) {
    INFO("file " << i << ": " << bad[i].substr(0, 40));
    const auto path = dir / ("bad-" + std::to_string(i) + ".bin");
    WriteBytes(path, bad[i]);
    RequireBadArray(path);
  }
  RequireBadArray(dir / "missing.bin");

  // The writer refuses inconsistent maps and leaves no file.
  FloatMap broken(2, 2, 1);
  broken.data.pop_back();
  CHECK_THROWS_AS(WriteColmapArray(dir / "broken.bin", broken), Error);
  CHECK_THROWS_AS(WriteColmapArray(dir / "broken.bin", FloatMap()), Error);
  CHECK_FALSE(std::filesystem::exists(dir / "broken.bin"));
}

}  // namespace muta
