// Tests of the COLMAP model reader/writer against files written by COLMAP 3.8 itself
// (tests/data/colmap/tiny, see its README.md): both formats, byte-exact output, round trips,
// COLMAP reading our files. Broken input is tested in colmap_model_errors_test.cpp.

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <map>
#include <sstream>
#include <string>
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

// Exact comparison of two models; poses (and only poses) within `pose_tolerance`.
void RequireSameModel(const SparseModel& a, const SparseModel& b, double pose_tolerance = 0) {
  REQUIRE(a.cameras.size() == b.cameras.size());
  for (const auto& [id, ca] : a.cameras) {
    REQUIRE(b.cameras.count(id) == 1);
    const Camera& cb = b.cameras.at(id);
    CHECK(ca.id == cb.id);
    CHECK(ca.model == cb.model);
    CHECK(ca.width == cb.width);
    CHECK(ca.height == cb.height);
    CHECK(ca.params == cb.params);
  }
  REQUIRE(a.images.size() == b.images.size());
  for (const auto& [id, ia] : a.images) {
    REQUIRE(b.images.count(id) == 1);
    const SparseImage& ib = b.images.at(id);
    CHECK(ia.id == ib.id);
    CHECK(ia.name == ib.name);
    CHECK(ia.camera_id == ib.camera_id);
    CHECK((ia.cam_from_world.rotation.coeffs() - ib.cam_from_world.rotation.coeffs())
              .cwiseAbs()
              .maxCoeff() <= pose_tolerance);
    CHECK((ia.cam_from_world.translation - ib.cam_from_world.translation).cwiseAbs().maxCoeff() <=
          pose_tolerance);
    CHECK(ia.points2d == ib.points2d);
    CHECK(ia.point3d_ids == ib.point3d_ids);
  }
  REQUIRE(a.points.size() == b.points.size());
  for (const auto& [id, pa] : a.points) {
    REQUIRE(b.points.count(id) == 1);
    const SparsePoint& pb = b.points.at(id);
    CHECK(pa.id == pb.id);
    CHECK(pa.xyz == pb.xyz);
    CHECK(pa.color == pb.color);
    CHECK(pa.error == pb.error);
    REQUIRE(pa.track.size() == pb.track.size());
    for (std::size_t i = 0; i < pa.track.size(); ++i) {
      CHECK(pa.track[i].image_id == pb.track[i].image_id);
      CHECK(pa.track[i].point2d_idx == pb.track[i].point2d_idx);
    }
  }
}

// ---- Little-endian byte building for hand-made binary files.

struct Records {
  std::string count;                 // the 8-byte count
  std::vector<std::uint64_t> order;  // ids in file order
  std::map<std::uint64_t, std::string> by_id;
};

std::uint64_t LeAt(const std::string& s, std::size_t pos, int size) {
  REQUIRE(pos + static_cast<std::size_t>(size) <= s.size());
  std::uint64_t v = 0;
  for (int i = 0; i < size; ++i) {
    v |= std::uint64_t{static_cast<std::uint8_t>(s[pos + static_cast<std::size_t>(i)])} << (8 * i);
  }
  return v;
}

enum class BinKind { kCameras, kImages, kPoints };

Records SplitRecords(const std::string& s, BinKind kind) {
  Records r;
  r.count = s.substr(0, 8);
  const std::uint64_t count = LeAt(s, 0, 8);
  std::size_t pos = 8;
  for (std::uint64_t i = 0; i < count; ++i) {
    const std::size_t start = pos;
    std::uint64_t id = 0;
    if (kind == BinKind::kCameras) {
      id = LeAt(s, pos, 4);
      const auto model = CameraModelFromId(static_cast<int>(LeAt(s, pos + 4, 4)));
      REQUIRE(model.has_value());
      pos += 24 + 8 * static_cast<std::size_t>(CameraModelNumParams(*model));
    } else if (kind == BinKind::kImages) {
      id = LeAt(s, pos, 4);
      pos += 4 + 56 + 4;
      const std::size_t nul = s.find('\0', pos);
      REQUIRE(nul != std::string::npos);
      pos = nul + 1;
      pos += 8 + 24 * LeAt(s, pos, 8);
    } else {
      id = LeAt(s, pos, 8);
      pos += 8 + 24 + 3 + 8;
      pos += 8 + 8 * LeAt(s, pos, 8);
    }
    REQUIRE(pos <= s.size());
    r.order.push_back(id);
    r.by_id[id] = s.substr(start, pos - start);
  }
  REQUIRE(pos == s.size());
  return r;
}

// The file with its records sorted by id.
std::string SortedById(const Records& r) {
  std::string out = r.count;
  for (const auto& [id, record] : r.by_id) out += record;
  return out;
}

// A COLMAP text file as its comment header and its data records (one line, or two for
// images.txt) keyed by the record's id, i.e. the file's first token.
struct TextRecords {
  std::vector<std::string> header;
  std::map<std::uint64_t, std::string> by_id;
};

TextRecords SplitText(const std::string& text, int lines_per_record) {
  TextRecords r;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line[0] == '#') {
      r.header.push_back(line);
      continue;
    }
    std::string record = line + "\n";
    for (int i = 1; i < lines_per_record; ++i) {
      REQUIRE(std::getline(in, line));
      record += line + "\n";
    }
    const std::uint64_t id = std::stoull(record.substr(0, record.find(' ')));
    REQUIRE(r.by_id.emplace(id, record).second);
  }
  return r;
}

std::string JoinSorted(const TextRecords& r) {
  std::string out;
  for (const auto& h : r.header) out += h + "\n";
  for (const auto& [id, record] : r.by_id) out += record;
  return out;
}

// A hand-made model with an OPENCV and a SIMPLE_RADIAL camera and awkward values.
SparseModel HandMadeModel() {
  SparseModel m;
  Camera opencv;
  opencv.id = 7;
  opencv.model = CameraModel::kOpenCV;
  opencv.width = 4000;
  opencv.height = 3000;
  opencv.params = {3001.25, 2999.0 + 1.0 / 3.0, 2000.5, 1500.25, -0.1, 0.01, 1e-300, -2.5e-5};
  m.cameras[7] = opencv;
  Camera radial = Camera::SimpleRadial(1024, 768, 800.0 / 3.0, 512, 384, 0.1);
  radial.id = 3;
  m.cameras[3] = radial;

  SparseImage a;
  a.id = 10;
  a.name = "facade/north/IMG_0001.JPG";
  a.camera_id = 7;
  a.cam_from_world.rotation = Eigen::Quaterniond(0.9, 0.1, -0.3, 0.2).normalized();
  a.cam_from_world.translation = {1e-9, -12345.678901234567, 0.1};
  a.points2d = {{0.5, 0.5}, {3999.5, 2999.5}, {1.0 / 7.0, 1e-320}};
  a.point3d_ids = {1, kInvalidPoint3DId, 5000000000ull};
  m.images[10] = a;

  SparseImage b;
  b.id = 2;
  b.name = "b with space.png";
  b.camera_id = 3;
  b.cam_from_world.translation = {-0.0, 0, 0};
  b.points2d = {{100.25, 200.75}};
  b.point3d_ids = {1};
  m.images[2] = b;

  SparseImage c;  // no points2D at all: an empty second line in images.txt
  c.id = 4000000000u;
  c.name = "c.tif";
  c.camera_id = 3;
  m.images[c.id] = c;

  SparsePoint p1;
  p1.id = 1;
  p1.xyz = {1.0 / 3.0, -2e10, 5e-7};
  p1.color = Color3u8(255, 0, 128);
  p1.error = 0.123456789012345678;
  p1.track = {{10, 0}, {2, 0}};
  m.points[1] = p1;

  SparsePoint p2;
  p2.id = 5000000000ull;
  p2.xyz = {0, 0, 1};
  p2.error = -1;  // unknown
  p2.track = {{10, 2}};
  m.points[p2.id] = p2;

  SparsePoint p3;  // empty track: COLMAP writes "ERROR " with a trailing space
  p3.id = 77;
  p3.error = 2;
  m.points[77] = p3;
  return m;
}

std::vector<std::string> ListDir(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

// Path of `program` if it is on PATH, else empty.
std::string FindOnPath(const std::string& program) {
  const char* path = std::getenv("PATH");
  if (path == nullptr) return {};
  std::istringstream dirs(path);
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    const fs::path candidate = fs::path(dir) / program;
    std::error_code ec;
    if (fs::is_regular_file(candidate, ec)) return candidate.string();
  }
  return {};
}

std::string Field(const std::string& output, const std::string& key) {
  const std::size_t pos = output.find(key + ": ");
  if (pos == std::string::npos) return {};
  const std::size_t start = pos + key.size() + 2;
  return output.substr(start, output.find('\n', start) - start);
}

}  // namespace

TEST_CASE("COLMAP: the tiny fixture reads in both formats and they agree", "[unit][colmap]") {
  const SparseModel bin = ReadSparseModel(TinyBin());
  const SparseModel txt = ReadSparseModel(TinyTxt());
  REQUIRE(bin.cameras.size() == 4);
  REQUIRE(bin.images.size() == 4);
  REQUIRE(bin.points.size() == 242);
  int opencv = 0, simple_radial = 0;
  for (const auto& [id, camera] : bin.cameras) {
    opencv += camera.model == CameraModel::kOpenCV;
    simple_radial += camera.model == CameraModel::kSimpleRadial;
    CHECK(camera.width == 3072);
    CHECK(camera.height == 2048);
  }
  CHECK(opencv == 2);
  CHECK(simple_radial == 2);
  REQUIRE(bin.FindImage("0003.jpg") != nullptr);
  CHECK(bin.FindImage("0003.jpg")->name == "0003.jpg");
  CHECK(bin.FindImage("0007.jpg") == nullptr);
  // COLMAP's text files come from reading the .bin and writing it again, which normalises the
  // quaternions once more; that may change their last bits.
  RequireSameModel(bin, txt, 1e-12);
}

TEST_CASE("COLMAP: statistics match colmap model_analyzer", "[unit][colmap]") {
  const SparseModelStats stats = ComputeStats(ReadSparseModel(TinyBin()));
  CHECK(stats.num_cameras == 4);
  CHECK(stats.num_images == 4);
  CHECK(stats.num_points == 242);
  CHECK(stats.num_observations == 808);
  CHECK(stats.mean_track_length == Approx(3.338843).margin(1e-6));
  CHECK(stats.mean_observations_per_image == Approx(202.0));
  CHECK(stats.mean_reprojection_error == Approx(0.872999).margin(1e-6));
  const SparseModelStats empty = ComputeStats(SparseModel{});
  CHECK(empty.mean_track_length == 0);
  CHECK(empty.mean_reprojection_error == 0);
}

TEST_CASE("COLMAP: our binary files equal COLMAP's record for record", "[unit][colmap]") {
  const SparseModel model = ReadSparseModel(TinyBin());
  TempDir dir("colmap-bin");
  WriteSparseModel(dir.path(), model, SparseFormat::kBinary);
  CHECK(ListDir(dir.path()) ==
        std::vector<std::string>{"cameras.bin", "images.bin", "points3D.bin"});
  const std::pair<const char*, BinKind> files[] = {{"cameras.bin", BinKind::kCameras},
                                                   {"images.bin", BinKind::kImages},
                                                   {"points3D.bin", BinKind::kPoints}};
  for (const auto& [file, kind] : files) {
    INFO(file);
    const std::string theirs = ReadString(TinyBin() / file);
    const std::string ours = ReadString(dir / file);
    REQUIRE(ours.size() == theirs.size());
    // COLMAP writes in hash-map order, we in id order: same bytes once sorted by id. Its
    // cameras and images happen to be in id order already, its 3D points are not.
    const Records records = SplitRecords(theirs, kind);
    CHECK(ours == SortedById(records));
    if (kind != BinKind::kPoints) CHECK(ours == theirs);
    const Records our_records = SplitRecords(ours, kind);
    CHECK(std::is_sorted(our_records.order.begin(), our_records.order.end()));
  }
}

TEST_CASE("COLMAP: our text files equal COLMAP's line for line", "[unit][colmap]") {
  const SparseModel model = ReadSparseModel(TinyTxt());
  TempDir dir("colmap-txt");
  WriteSparseModel(dir.path(), model, SparseFormat::kText);
  CHECK(ListDir(dir.path()) ==
        std::vector<std::string>{"cameras.txt", "images.txt", "points3D.txt"});
  const std::pair<const char*, int> files[] = {
      {"cameras.txt", 1}, {"images.txt", 2}, {"points3D.txt", 1}};
  for (const auto& [file, lines_per_record] : files) {
    INFO(file);
    const std::string theirs = ReadString(TinyTxt() / file);
    const std::string ours = ReadString(dir / file);
    CHECK(ours.size() == theirs.size());
    CHECK(ours == JoinSorted(SplitText(theirs, lines_per_record)));
  }
  RequireSameModel(model, ReadSparseModel(dir.path()));
}

TEST_CASE("COLMAP: binary and text round trips are exact", "[unit][colmap]") {
  for (const SparseModel& model : {ReadSparseModel(TinyBin()), HandMadeModel()}) {
    for (SparseFormat format : {SparseFormat::kBinary, SparseFormat::kText}) {
      TempDir dir("colmap-rt");
      WriteSparseModel(dir.path(), model, format);
      RequireSameModel(model, ReadSparseModel(dir.path()));
    }
  }
}

TEST_CASE("COLMAP: hand-made model with OPENCV and SIMPLE_RADIAL cameras", "[unit][colmap]") {
  const SparseModel model = HandMadeModel();
  REQUIRE_NOTHROW(model.Check());
  TempDir dir("colmap-hand");
  WriteSparseModel(dir.path(), model, SparseFormat::kText);
  const std::string cameras = ReadString(dir / "cameras.txt");
  CHECK(cameras.find("3 SIMPLE_RADIAL 1024 768 266.66666666666669 512 384 0.10000000000000001\n") !=
        std::string::npos);
  CHECK(cameras.find("7 OPENCV 4000 3000 3001.25 ") != std::string::npos);
  const std::string images = ReadString(dir / "images.txt");
  CHECK(images.find("# Number of images: 3, mean observations per image: 1\n") !=
        std::string::npos);
  CHECK(images.find(" 3 c.tif\n\n") != std::string::npos);  // empty POINTS2D line
  CHECK(images.find("0.5 0.5 1 3999.5 2999.5 -1 ") != std::string::npos);
  const std::string points = ReadString(dir / "points3D.txt");
  CHECK(points.find("# Number of points: 3, mean track length: 1\n") != std::string::npos);
  CHECK(points.find("\n77 0 0 0 0 0 0 2 \n") != std::string::npos);
  CHECK(points.find(" 255 0 128 ") != std::string::npos);
  const SparseModel back = ReadSparseModel(dir.path());
  RequireSameModel(model, back);
  const SparseImage* b = back.FindImage("b with space.png");
  REQUIRE(b != nullptr);
  CHECK(b->id == 2);
}

TEST_CASE("COLMAP: colmap itself accepts the models we write", "[unit][colmap]") {
  const std::string colmap = FindOnPath("colmap");
  if (colmap.empty()) {
    WARN("colmap is not on PATH; skipping the check that COLMAP reads our files");
    return;
  }
  ::setenv("QT_QPA_PLATFORM", "offscreen", 0);
  const SparseModel model = ReadSparseModel(TinyBin());
  for (SparseFormat format : {SparseFormat::kBinary, SparseFormat::kText}) {
    TempDir dir("colmap-accept");
    WriteSparseModel(dir / "ours", model, format);
    const test::CommandResult analyzed =
        test::RunProgram(colmap, {"model_analyzer", "--path", (dir / "ours").string()});
    INFO(analyzed.out << analyzed.err);
    REQUIRE(analyzed.exit_code == 0);
    const std::string report = analyzed.out + analyzed.err;
    CHECK(Field(report, "Cameras") == "4");
    CHECK(Field(report, "Registered images") == "4");
    CHECK(Field(report, "Points") == "242");
    CHECK(Field(report, "Observations") == "808");
    CHECK(Field(report, "Mean reprojection error") == "0.872999px");

    // COLMAP converts our files; reading its output gives the same model back.
    fs::create_directories(dir / "converted");
    const test::CommandResult converted =
        test::RunProgram(colmap, {"model_converter", "--input_path", (dir / "ours").string(),
                                  "--output_path", (dir / "converted").string(), "--output_type",
                                  format == SparseFormat::kBinary ? "TXT" : "BIN"});
    INFO(converted.out << converted.err);
    REQUIRE(converted.exit_code == 0);
    RequireSameModel(model, ReadSparseModel(dir / "converted"), 1e-15);
  }
}

TEST_CASE("COLMAP: writing is atomic and checks first", "[unit][colmap]") {
  using Catch::Matchers::Contains;
  TempDir dir("colmap-write");
  const SparseModel model = HandMadeModel();
  WriteSparseModel(dir.path(), model, SparseFormat::kText);
  const std::string before = ReadString(dir / "images.txt");

  SparseModel bad_name = model;
  bad_name.images.at(2).name = "two\nlines.jpg";
  CHECK_THAT(ErrorOf([&] { WriteSparseModel(dir.path(), bad_name, SparseFormat::kText); }),
             Contains(dir.path().string() + ": cannot write") && Contains("images.txt cannot"));
  SparseModel inconsistent = model;
  inconsistent.images.at(2).camera_id = 99;
  CHECK_THAT(ErrorOf([&] { WriteSparseModel(dir.path(), inconsistent, SparseFormat::kText); }),
             Contains("camera 99"));
  SparseModel nul_name = model;
  nul_name.images.at(2).name = std::string("a\0b", 3);
  CHECK_THAT(ErrorOf([&] { WriteSparseModel(dir.path(), nul_name, SparseFormat::kBinary); }),
             Contains("NUL byte"));
  // Nothing changed, no temporaries left behind.
  CHECK(ReadString(dir / "images.txt") == before);
  CHECK(ListDir(dir.path()) ==
        std::vector<std::string>{"cameras.txt", "images.txt", "points3D.txt"});

  // Writes into a new nested folder; overwriting works.
  WriteSparseModel(dir / "a" / "b", model);
  WriteSparseModel(dir / "a" / "b", model);
  CHECK(ListDir(dir / "a" / "b") ==
        std::vector<std::string>{"cameras.bin", "images.bin", "points3D.bin"});
}

}  // namespace muta
