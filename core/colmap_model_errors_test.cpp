// Tests of the COLMAP model reader on broken input: truncated, corrupt and inconsistent
// files, bad text lines, missing folders. Every failure must be a muta::Error whose message
// starts with the file name (and, for text, the line) and says what to do.

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <typeinfo>
#include <vector>

#include <catch2/catch.hpp>

#include "core/colmap_model.h"
#include "core/error.h"
#include "core/file_io.h"
#include "tests/test_util.h"

namespace muta {
using muta::test::ErrorOf;

namespace {

namespace fs = std::filesystem;
using test::TempDir;
using test::TestData;

fs::path TinyBin() {
  return TestData("colmap/tiny/bin");
}
fs::path TinyTxt() {
  return TestData("colmap/tiny/txt");
}

std::string ReadString(const fs::path& path) {
  return ReadFileText(path);
}

std::span<const std::uint8_t> AsBytes(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// Runs `f`; it may succeed or throw muta::Error (returned as the message), nothing else.
std::string ErrorOrNothing(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  } catch (const std::exception& e) {
    FAIL("threw a " << typeid(e).name() << " instead of muta::Error: " << e.what());
  }
  return {};
}

// Exact comparison of two models; poses (and only poses) within `pose_tolerance`.
struct Bytes {
  std::string data;
  Bytes& U8(std::uint8_t v) {
    data.push_back(static_cast<char>(v));
    return *this;
  }
  Bytes& U32(std::uint32_t v) {
    for (int i = 0; i < 4; ++i) data.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
    return *this;
  }
  Bytes& I32(std::int32_t v) { return U32(static_cast<std::uint32_t>(v)); }
  Bytes& U64(std::uint64_t v) {
    for (int i = 0; i < 8; ++i) data.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
    return *this;
  }
  Bytes& F64(double v) {
    std::uint64_t bits;
    std::memcpy(&bits, &v, 8);
    return U64(bits);
  }
  Bytes& Str(const std::string& s) {
    data += s;
    return *this;
  }
};

Bytes PinholeCameraRecord(std::uint32_t id, std::int32_t model_id = 1) {
  Bytes b;
  b.U32(id).I32(model_id).U64(640).U64(480).F64(500).F64(500).F64(320).F64(240);
  return b;
}

// ---- Splitting a COLMAP binary file into records, independently of the parser under test.

}  // namespace

TEST_CASE("COLMAP: truncated binary files are clear errors", "[unit][colmap]") {
  const std::pair<const char*,
                  void (*)(std::span<const std::uint8_t>, const std::string&, SparseModel&)>
      files[] = {{"cameras.bin", ParseCamerasBin},
                 {"images.bin", ParseImagesBin},
                 {"points3D.bin", ParsePoints3DBin}};
  for (const auto& [file, parse] : files) {
    INFO(file);
    const std::string bytes = ReadString(TinyBin() / file);
    std::vector<std::size_t> sizes;
    for (std::size_t size = 0; size < bytes.size(); size += size < 400 ? 1 : 13) {
      sizes.push_back(size);
    }
    for (std::size_t size = bytes.size() > 64 ? bytes.size() - 64 : 0; size < bytes.size();
         ++size) {
      sizes.push_back(size);
    }
    for (std::size_t size : sizes) {
      INFO("truncated to " << size << " bytes");
      SparseModel model;
      const std::string cut = bytes.substr(0, size);
      const std::string message = ErrorOf([&] { parse(AsBytes(cut), file, model); });
      REQUIRE(message.rfind(std::string(file) + ": ", 0) == 0);
    }
  }
  // Through ReadSparseModel, with the file on disk.
  for (const char* file : {"cameras.bin", "images.bin", "points3D.bin"}) {
    const std::size_t full = fs::file_size(TinyBin() / file);
    for (std::size_t size : {std::size_t{0}, std::size_t{7}, std::size_t{8}, full / 2, full - 1}) {
      TempDir dir("colmap-trunc");
      fs::copy(TinyBin(), dir.path(), fs::copy_options::recursive);
      test::WriteTruncatedCopy(TinyBin() / file, dir / file, size);
      const std::string message = ErrorOf([&] { ReadSparseModel(dir.path()); });
      INFO(message);
      CHECK(message.rfind((dir / file).string() + ": ", 0) == 0);
      CHECK(message.find("truncated") != std::string::npos);
    }
  }
}

TEST_CASE("COLMAP: truncated text files never crash", "[unit][colmap]") {
  const std::string names[] = {"cameras.txt", "images.txt", "points3D.txt"};
  std::string texts[3];
  for (int f = 0; f < 3; ++f) texts[f] = ReadString(TinyTxt() / names[f]);
  int errors = 0;
  for (int f = 0; f < 3; ++f) {
    for (std::size_t size = 0; size < texts[f].size();
         size += size < (f == 0 ? 600u : 250u) ? 1 : 397) {
      INFO(names[f] << " truncated to " << size);
      std::string_view cut[3] = {texts[0], texts[1], texts[2]};
      cut[f] = cut[f].substr(0, size);
      SparseModel model;
      // As ReadSparseModel: parse the three files, then check the cross references.
      const std::string message = ErrorOrNothing([&] {
        ParseCamerasTxt(cut[0], names[0], model);
        ParseImagesTxt(cut[1], names[1], model);
        ParsePoints3DTxt(cut[2], names[2], model);
        model.Check();
      });
      errors += !message.empty();
    }
  }
  CHECK(errors > 300);
  // And once through the files on disk: a cut in the middle of images.txt.
  TempDir dir("colmap-ttrunc");
  fs::copy(TinyTxt(), dir.path());
  test::WriteTruncatedCopy(TinyTxt() / "images.txt", dir / "images.txt", 1000);
  const std::string message = ErrorOf([&] { ReadSparseModel(dir.path()); });
  CHECK(message.rfind(dir.path().string(), 0) == 0);
}

TEST_CASE("COLMAP: corrupt bytes give muta::Error or a valid model", "[unit][colmap]") {
  std::mt19937 rng(1234);
  using Parser = void (*)(std::span<const std::uint8_t>, const std::string&, SparseModel&);
  const std::pair<const char*, Parser> files[] = {{"cameras.bin", ParseCamerasBin},
                                                  {"images.bin", ParseImagesBin},
                                                  {"points3D.bin", ParsePoints3DBin}};
  const SparseModel good = ReadSparseModel(TinyBin());
  int errors = 0;
  for (const auto& [file, parse] : files) {
    const std::string bytes = ReadString(TinyBin() / file);
    for (int trial = 0; trial < 600; ++trial) {
      std::string corrupt = bytes;
      const int flips = 1 + static_cast<int>(rng() % 4);
      for (int f = 0; f < flips; ++f) {
        // Early bytes (counts, ids, model ids) are the interesting ones; hit them often.
        const std::size_t limit =
            trial % 2 == 0 ? std::min<std::size_t>(bytes.size(), 120) : bytes.size();
        corrupt[rng() % limit] = static_cast<char>(rng() % 256);
      }
      INFO(file << " trial " << trial);
      SparseModel model = good;
      const std::string message = ErrorOrNothing([&] {
        parse(AsBytes(corrupt), file, model);
        model.Check();
      });
      if (!message.empty()) ++errors;
    }
  }
  CHECK(errors > 100);
}

TEST_CASE("COLMAP: specific binary corruptions", "[unit][colmap]") {
  SparseModel model;
  auto cameras_error = [&](const Bytes& b) {
    return ErrorOf([&] { ParseCamerasBin(AsBytes(b.data), "cameras.bin", model); });
  };
  auto images_error = [&](const Bytes& b) {
    return ErrorOf([&] { ParseImagesBin(AsBytes(b.data), "images.bin", model); });
  };
  auto points_error = [&](const Bytes& b) {
    return ErrorOf([&] { ParsePoints3DBin(AsBytes(b.data), "points3D.bin", model); });
  };
  using Catch::Matchers::Contains;
  using Catch::Matchers::StartsWith;

  // A valid two-camera file for reference.
  Bytes two;
  two.U64(2).Str(PinholeCameraRecord(1).data).Str(PinholeCameraRecord(2).data);
  REQUIRE_NOTHROW(ParseCamerasBin(AsBytes(two.data), "cameras.bin", model));
  REQUIRE(model.cameras.size() == 2);

  Bytes huge_count;
  huge_count.U64(1ull << 60).Str(PinholeCameraRecord(1).data);
  CHECK_THAT(cameras_error(huge_count),
             StartsWith("cameras.bin: ") && Contains("1152921504606846976 cameras"));

  Bytes wrong_count;
  wrong_count.U64(1).Str(PinholeCameraRecord(1).data).Str(PinholeCameraRecord(2).data);
  CHECK_THAT(cameras_error(wrong_count), Contains("unexpected bytes after the last camera"));

  Bytes unknown_model;
  unknown_model.U64(1).Str(PinholeCameraRecord(5, 99).data);
  CHECK_THAT(cameras_error(unknown_model),
             StartsWith("cameras.bin: unknown camera model id 99") && Contains("id 5"));
  Bytes negative_model;
  negative_model.U64(1).Str(PinholeCameraRecord(5, -1).data);
  CHECK_THAT(cameras_error(negative_model), Contains("unknown camera model id -1"));

  Bytes duplicate;
  duplicate.U64(2).Str(PinholeCameraRecord(3).data).Str(PinholeCameraRecord(3).data);
  CHECK_THAT(cameras_error(duplicate), Contains("duplicate CAMERA_ID 3"));

  Bytes nan_param;
  nan_param.U64(1).U32(1).I32(0).U64(10).U64(10).F64(std::nan("")).F64(5).F64(5);
  CHECK_THAT(cameras_error(nan_param), Contains("not a finite number"));

  Bytes zero_width;
  zero_width.U64(1).U32(1).I32(0).U64(0).U64(10).F64(5).F64(5).F64(5);
  CHECK_THAT(cameras_error(zero_width), Contains("image size 0x10 is out of range"));

  Bytes zero_focal;
  zero_focal.U64(1).U32(1).I32(0).U64(10).U64(10).F64(0).F64(5).F64(5);
  CHECK_THAT(cameras_error(zero_focal), Contains("focal length"));

  // Images.
  auto image_head = [](Bytes& b, std::uint32_t id, double qw) {
    b.U32(id).F64(qw).F64(0).F64(0).F64(0).F64(1).F64(2).F64(3).U32(1);
  };
  Bytes no_nul;
  no_nul.U64(1);
  image_head(no_nul, 1, 1);
  no_nul.Str("a.jpg but no terminator and then the file ends.......");
  CHECK_THAT(images_error(no_nul),
             StartsWith("images.bin: ") && Contains("no terminating NUL byte"));

  Bytes many_points;
  many_points.U64(1);
  image_head(many_points, 1, 1);
  many_points.Str(std::string("a.jpg", 6)).U64(1ull << 62).F64(1).F64(2).U64(7);
  CHECK_THAT(images_error(many_points), Contains("4611686018427387904 points2D"));

  Bytes zero_quaternion;
  zero_quaternion.U64(1);
  image_head(zero_quaternion, 1, 0);
  zero_quaternion.Str(std::string("a.jpg", 6)).U64(0);
  CHECK_THAT(images_error(zero_quaternion), Contains("quaternion"));

  Bytes same_name;
  same_name.U64(2);
  image_head(same_name, 1, 1);
  same_name.Str(std::string("a.jpg", 6)).U64(0);
  image_head(same_name, 2, 1);
  same_name.Str(std::string("a.jpg", 6)).U64(0);
  CHECK_THAT(images_error(same_name), Contains("duplicate image NAME 'a.jpg'"));

  Bytes same_id;
  same_id.U64(2);
  image_head(same_id, 4, 1);
  same_id.Str(std::string("a.jpg", 6)).U64(0);
  image_head(same_id, 4, 1);
  same_id.Str(std::string("b.jpg", 6)).U64(0);
  CHECK_THAT(images_error(same_id), Contains("duplicate IMAGE_ID 4"));

  Bytes empty_name;
  empty_name.U64(1);
  image_head(empty_name, 1, 1);
  empty_name.U8(0).U64(0);
  CHECK_THAT(images_error(empty_name), Contains("NAME is empty"));

  // A non-unit quaternion is normalised (as COLMAP does).
  Bytes scaled;
  scaled.U64(1);
  image_head(scaled, 1, 2);
  scaled.Str(std::string("a.jpg", 6)).U64(0);
  REQUIRE_NOTHROW(ParseImagesBin(AsBytes(scaled.data), "images.bin", model));
  CHECK(model.images.at(1).cam_from_world.rotation.w() == 1.0);

  // Points.
  Bytes long_track;
  long_track.U64(1).U64(1).F64(0).F64(0).F64(0).U8(1).U8(2).U8(3).F64(0.5).U64(1ull << 40);
  CHECK_THAT(points_error(long_track),
             StartsWith("points3D.bin: ") && Contains("1099511627776 track elements"));
  Bytes invalid_id;
  invalid_id.U64(1).U64(kInvalidPoint3DId).F64(0).F64(0).F64(0).U8(1).U8(2).U8(3).F64(0.5).U64(0);
  CHECK_THAT(points_error(invalid_id), Contains("reserved"));
  Bytes inf_xyz;
  inf_xyz.U64(1).U64(1).F64(0).F64(HUGE_VAL).F64(0).U8(1).U8(2).U8(3).F64(0.5).U64(0);
  CHECK_THAT(points_error(inf_xyz), Contains("Y is not a finite number"));
  Bytes empty;
  CHECK_THAT(points_error(empty), Contains("unexpected end of file"));
}

TEST_CASE("COLMAP: bad text lines name the file and line", "[unit][colmap]") {
  struct Case {
    const char* file;
    std::string text;
    std::string expected;  // the message starts with "FILE:LINE: " and contains this
    int line;
  };
  const std::string header = "# comment\n";
  const std::string image_line = "1 1 0 0 0 0 0 0 1 a.jpg\n";
  const std::vector<Case> cases = {
      {"cameras.txt", header + "1 PINHOLE 100 100 50 50 50\n", "needs 4 PARAMS, found 3", 2},
      {"cameras.txt", "1 FOO 100 100 1 2 3\n", "unknown camera MODEL 'FOO'", 1},
      {"cameras.txt", "1 PINHOLE 0 100 1 1 1 1\n", "WIDTH '0' is not a positive integer", 1},
      {"cameras.txt", "1 PINHOLE 100 -5 1 1 1 1\n", "HEIGHT '-5'", 1},
      {"cameras.txt", "x PINHOLE 100 100 1 1 1 1\n", "CAMERA_ID 'x' is not an integer", 1},
      {"cameras.txt", "4294967296 PINHOLE 100 100 1 1 1 1\n", "CAMERA_ID '4294967296'", 1},
      {"cameras.txt", "1 PINHOLE 100 100 nan 1 1 1\n", "'nan' is not a finite number", 1},
      {"cameras.txt", "1 PINHOLE 100 100 1e999 1 1 1\n", "'1e999' is not a finite number", 1},
      {"cameras.txt", "1 PINHOLE 100 100 1x 1 1 1\n", "'1x' is not a finite number", 1},
      {"cameras.txt", "1 PINHOLE 100\n", "found 3 field(s)", 1},
      {"cameras.txt", "1 PINHOLE 100 100 1 1 1 1\n\n1 PINHOLE 100 100 1 1 1 1\n",
       "duplicate CAMERA_ID 1", 3},
      {"images.txt", header + "1 1 0 0 0 0 0 0 1\n", "found 9 field(s)", 2},
      {"images.txt", image_line + "1 2 3 4\n", "not a multiple of 3", 2},
      {"images.txt", image_line + "2 1 0 0 0 0 0 0 1 b.jpg\n", "not a multiple of 3", 2},
      {"images.txt", "1 0 0 0 0 0 0 0 1 a.jpg\n\n", "quaternion", 1},
      {"images.txt", image_line + "1 2 -2\n", "POINT3D_ID '-2'", 2},
      {"images.txt", image_line + "1 inf 3\n", "Y 'inf' is not a finite number", 2},
      {"images.txt", image_line + "\n" + "2 1 0 0 0 0 0 0 1 a.jpg\n\n",
       "duplicate image NAME 'a.jpg'", 3},
      {"images.txt", image_line + "\n" + "1 1 0 0 0 0 0 0 1 b.jpg\n\n", "duplicate IMAGE_ID 1", 3},
      {"points3D.txt", "1 0 0 0 256 0 0 1\n", "colour value 256", 1},
      {"points3D.txt", "1 0 0 0 1 2 3 1 4\n", "found 9 field(s)", 1},
      {"points3D.txt", "1 0 0 0 1 2 3 inf\n", "ERROR 'inf'", 1},
      {"points3D.txt", "1 0 0 0 1 2 3 1\n1 0 0 0 1 2 3 1\n", "duplicate POINT3D_ID 1", 2},
      {"points3D.txt", "18446744073709551615 0 0 0 1 2 3 1\n", "reserved", 1},
      {"points3D.txt", "1 0 0 0 1 2 3 1 1 -1\n", "POINT2D_IDX '-1'", 1},
  };
  for (const Case& c : cases) {
    INFO(c.file << ": " << c.text);
    SparseModel model;
    const std::string message = ErrorOf([&] {
      const std::string file = c.file;
      if (file == "cameras.txt") ParseCamerasTxt(c.text, file, model);
      if (file == "images.txt") ParseImagesTxt(c.text, file, model);
      if (file == "points3D.txt") ParsePoints3DTxt(c.text, file, model);
    });
    INFO(message);
    CHECK(message.rfind(std::string(c.file) + ":" + std::to_string(c.line) + ": ", 0) == 0);
    CHECK(message.find(c.expected) != std::string::npos);
    CHECK(message.find(" – ") != std::string::npos);  // and says what to do
  }
}

TEST_CASE("COLMAP: text parsing is lenient about white space and line ends", "[unit][colmap]") {
  SparseModel model;
  ParseCamerasTxt("  # c\r\n\r\n1\tPINHOLE  100 100 50 50 50 +50 \r\n", "cameras.txt", model);
  REQUIRE(model.cameras.size() == 1);
  CHECK(model.cameras.at(1).params == std::vector<double>{50, 50, 50, 50});
  // The last image's empty POINTS2D line may be missing at the end of the file.
  ParseImagesTxt("1 1 0 0 0 0 0 0 1 a.jpg", "images.txt", model);
  REQUIRE(model.images.size() == 1);
  CHECK(model.images.at(1).points2d.empty());
  ParseImagesTxt("1 1 0 0 0 0 0 0 1 dir/a b.jpg \r\n 1.5 2.5 -1  3 4 9\r\n", "images.txt", model);
  CHECK(model.images.at(1).name == "dir/a b.jpg");
  CHECK(model.images.at(1).point3d_ids == std::vector<std::uint64_t>{kInvalidPoint3DId, 9});
  // Parsers replace their part of the model.
  ParseCamerasTxt("", "cameras.txt", model);
  CHECK(model.cameras.empty());
  CHECK(model.images.size() == 1);
}

TEST_CASE("COLMAP: missing folders and files are clear errors", "[unit][colmap]") {
  using Catch::Matchers::Contains;
  using Catch::Matchers::StartsWith;
  TempDir dir("colmap-missing");
  CHECK_THAT(ErrorOf([&] { ReadSparseModel(dir / "nope"); }),
             StartsWith((dir / "nope").string() + ": no such directory"));
  CHECK_THAT(ErrorOf([&] { ReadSparseModel(dir.path()); }),
             StartsWith(dir.path().string() +
                        ": no COLMAP model (cameras.bin/images.bin/points3D.bin or .txt)"));
  fs::create_directories(dir / "sparse" / "0");
  fs::copy(TinyBin(), dir / "sparse" / "0", fs::copy_options::recursive);
  CHECK_THAT(ErrorOf([&] { ReadSparseModel(dir / "sparse"); }),
             Contains("did you mean " + (dir / "sparse" / "0").string()));
  fs::remove(dir / "sparse" / "0" / "points3D.bin");
  CHECK_THAT(ErrorOf([&] { ReadSparseModel(dir / "sparse" / "0"); }),
             Contains("has cameras.bin but no points3D.bin"));
  // .bin wins over .txt when both are there.
  TempDir both("colmap-both");
  fs::copy(TinyBin(), both.path());
  WriteFileAtomic(both / "cameras.txt", std::string_view("garbage\n"));
  CHECK(ReadSparseModel(both.path()).points.size() == 242);
}

TEST_CASE("COLMAP: Check finds broken cross references", "[unit][colmap]") {
  using Catch::Matchers::Contains;
  const SparseModel good = ReadSparseModel(TinyBin());
  REQUIRE_NOTHROW(good.Check());
  // Image 1 (0004.jpg, an OPENCV camera): one point2D with a 3D point, one without.
  const SparseImage& image = good.images.at(1);
  std::size_t with = 0, without = 0;
  while (image.point3d_ids[with] == kInvalidPoint3DId) ++with;
  while (image.point3d_ids[without] != kInvalidPoint3DId) ++without;
  const std::uint64_t point_id = image.point3d_ids[with];
  const std::string points2d_count = std::to_string(image.points2d.size());
  auto check_error = [](const SparseModel& m, const std::string& expected) {
    const std::string message = ErrorOf([&] { m.Check(); });
    INFO(message);
    CHECK(message.find(expected) != std::string::npos);
  };
  {
    SparseModel m = good;
    m.images.at(1).camera_id = 99;
    check_error(m, "image 1 ('0004.jpg') refers to camera 99, which does not exist");
  }
  {
    SparseModel m = good;
    m.points.at(point_id).track.push_back({12345, 0});
    check_error(m, "refers to image 12345, which does not exist");
  }
  {
    SparseModel m = good;
    m.points.at(point_id).track.push_back({1, static_cast<std::uint32_t>(image.points2d.size())});
    check_error(m, "which has only " + points2d_count + " points2D");
  }
  {
    SparseModel m = good;
    m.points.at(point_id).track.push_back({1, static_cast<std::uint32_t>(without)});
    check_error(m, "but that point2D refers to no 3D point");
  }
  {
    SparseModel m = good;
    m.images.at(1).point3d_ids[without] = 424242;
    check_error(m, "refers to 3D point 424242, which does not exist");
  }
  {
    SparseModel m = good;
    m.images.at(1).point3d_ids.pop_back();
    check_error(m, points2d_count + " points2D but");
  }
  {
    SparseModel m = good;
    m.cameras.at(3).params.pop_back();
    check_error(m, "needs 4 parameters");
  }
  {
    SparseModel m = good;
    m.points.at(point_id).xyz.x() = std::nan("");
    check_error(m, "non-finite");
  }
  {
    SparseModel m = good;
    m.images.at(1).cam_from_world.rotation.coeffs().setZero();
    check_error(m, "zero rotation quaternion");
  }
  // ReadSparseModel runs Check and names the folder.
  TempDir dir("colmap-check");
  fs::copy(TinyTxt(), dir.path(), fs::copy_options::recursive);
  WriteFileAtomic(dir / "cameras.txt", std::string_view("1 PINHOLE 100 100 1 1 1 1\n"));
  const std::string message = ErrorOf([&] { ReadSparseModel(dir.path()); });
  CHECK(message.rfind(dir.path().string() + ": image ", 0) == 0);
  CHECK(message.find("which does not exist") != std::string::npos);
}

}  // namespace muta
