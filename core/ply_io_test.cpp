#include "core/ply_io.h"

#include <bit>
#include <cctype>
#include <cmath>
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

/// Runs `f` and requires a muta::Error whose message starts with `prefix` (the file name).
template <typename F>
void RequireErrorStartingWith(F&& f, const std::string& prefix) {
  try {
    f();
    FAIL("expected muta::Error starting with \"" << prefix << "\", nothing was thrown");
  } catch (const Error& e) {
    CHECK_THAT(e.what(), Catch::StartsWith(prefix));
    CHECK(e.kind() == ErrorKind::kUser);
  }
}

/// Requires ReadPlyMesh and ReadPlyPointCloud both to reject `path`.
void RequireBadPly(const std::filesystem::path& path) {
  RequireErrorStartingWith([&] { ReadPlyMesh(path); }, path.string());
  RequireErrorStartingWith([&] { ReadPlyPointCloud(path); }, path.string());
}

/// `value`'s bytes in the given byte order.
template <typename T>
std::string Bytes(T value, std::endian order = std::endian::little) {
  std::string raw(sizeof(T), '\0');
  std::memcpy(raw.data(), &value, sizeof(T));
  if (order != std::endian::native) std::reverse(raw.begin(), raw.end());
  return raw;
}

/// A small mesh using every optional array and one extra property per element.
Mesh FullMesh() {
  Mesh mesh;
  mesh.vertices = {{0, 0, 0}, {1.5f, 0, 0}, {0, 2.25f, 0}, {0.1f, 0.2f, -3.7f}};
  mesh.normals = {{0, 0, 1}, {0, 0, 1}, {0, 0.6f, 0.8f}, {1, 0, 0}};
  mesh.colors = {{255, 0, 0}, {0, 255, 0}, {0, 0, 255}, {12, 34, 56}};
  mesh.uvs = {{0, 0}, {1, 0}, {0, 1}, {0.3f, 0.7f}};
  mesh.vertex_extra = {{"quality", "float", {0.5, 0.25, 1e-3f, -7}}};
  mesh.faces = {{0, 1, 2}, {0, 2, 3}};
  mesh.part_ids = {3, -1};
  mesh.provenance = {Provenance::kObserved, Provenance::kInferredSymmetry};
  mesh.confidence = {1.0f, 0.125f};
  mesh.face_extra = {{"label", "ushort", {7, 65535}}};
  return mesh;
}

void RequireSameMesh(const Mesh& a, const Mesh& b) {
  CHECK(a.vertices == b.vertices);
  CHECK(a.normals == b.normals);
  CHECK(a.colors == b.colors);
  CHECK(a.uvs == b.uvs);
  CHECK(a.faces == b.faces);
  CHECK(a.part_ids == b.part_ids);
  CHECK(a.provenance == b.provenance);
  CHECK(a.confidence == b.confidence);
  REQUIRE(a.vertex_extra.size() == b.vertex_extra.size());
  for (std::size_t i = 0; i < a.vertex_extra.size(); ++i) {
    CHECK(a.vertex_extra[i].name == b.vertex_extra[i].name);
    CHECK(a.vertex_extra[i].type == b.vertex_extra[i].type);
    CHECK(a.vertex_extra[i].values == b.vertex_extra[i].values);
  }
  REQUIRE(a.face_extra.size() == b.face_extra.size());
  for (std::size_t i = 0; i < a.face_extra.size(); ++i) {
    CHECK(a.face_extra[i].name == b.face_extra[i].name);
    CHECK(a.face_extra[i].type == b.face_extra[i].type);
    CHECK(a.face_extra[i].values == b.face_extra[i].values);
  }
}

const char* FormatName(PlyFormat format) {
  return format == PlyFormat::kAscii ? "ascii" : "binary_little_endian";
}

}  // namespace

TEST_CASE("PLY mesh round trip keeps every attribute", "[unit][ply]") {
  TempDir dir("ply");
  for (const PlyFormat format : {PlyFormat::kBinaryLittleEndian, PlyFormat::kAscii}) {
    INFO(FormatName(format));
    const Mesh mesh = FullMesh();
    const auto path = dir / (std::string("mesh-") + FormatName(format) + ".ply");
    WritePly(path, mesh, format);
    const Mesh back = ReadPlyMesh(path);
    RequireSameMesh(mesh, back);
    CHECK_NOTHROW(back.Check());

    const PlyHeaderInfo info = ReadPlyHeader(path);
    CHECK(info.format == FormatName(format));
    CHECK(info.num_vertices == 4);
    CHECK(info.num_faces == 2);
    CHECK(info.has_normals);
    CHECK(info.has_colors);

    // Written twice, a file is byte-identical (stable output), and no temporary is left.
    const auto again = dir / "again.ply";
    WritePly(again, back, format);
    CHECK(ReadFileBytes(again) == ReadFileBytes(path));
    std::size_t files = 0;
    for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir.path())) {
      ++files;
    }
    CHECK(files == (format == PlyFormat::kAscii ? 3 : 2));
  }
}

TEST_CASE("PLY mesh without optional arrays, and an empty mesh, round trip", "[unit][ply]") {
  TempDir dir("ply");
  for (const PlyFormat format : {PlyFormat::kBinaryLittleEndian, PlyFormat::kAscii}) {
    Mesh mesh;
    mesh.vertices = {{0, 0, 0}, {1, 0, 0}, {0, 1, 0}};
    mesh.faces = {{0, 1, 2}};
    WritePly(dir / "plain.ply", mesh, format);
    RequireSameMesh(mesh, ReadPlyMesh(dir / "plain.ply"));
    const PlyHeaderInfo info = ReadPlyHeader(dir / "plain.ply");
    CHECK_FALSE(info.has_normals);
    CHECK_FALSE(info.has_colors);

    WritePly(dir / "empty.ply", Mesh(), format);
    const Mesh empty = ReadPlyMesh(dir / "empty.ply");
    CHECK(empty.NumVertices() == 0);
    CHECK(empty.NumFaces() == 0);
  }
}

TEST_CASE("PLY point cloud round trip", "[unit][ply]") {
  TempDir dir("ply");
  PointCloud cloud;
  cloud.points = {{1, 2, 3}, {-4.5f, 5.25f, 6e-7f}, {1e6f, -1e-6f, 0}};
  cloud.normals = {{1, 0, 0}, {0, 1, 0}, {0, 0, -1}};
  cloud.colors = {{1, 2, 3}, {200, 201, 202}, {0, 0, 0}};
  cloud.extra = {{"intensity", "uchar", {0, 128, 255}}, {"u", "double", {0.1, 1e-300, -2}}};
  for (const PlyFormat format : {PlyFormat::kBinaryLittleEndian, PlyFormat::kAscii}) {
    INFO(FormatName(format));
    const auto path = dir / "cloud.ply";
    WritePly(path, cloud, format);
    const PointCloud back = ReadPlyPointCloud(path);
    CHECK(back.points == cloud.points);
    CHECK(back.normals == cloud.normals);
    CHECK(back.colors == cloud.colors);
    REQUIRE(back.extra.size() == 2);
    CHECK(back.extra[0].name == "intensity");
    CHECK(back.extra[0].type == "uchar");
    CHECK(back.extra[0].values == cloud.extra[0].values);
    CHECK(back.extra[1].name == "u");
    CHECK(back.extra[1].type == "double");
    CHECK(back.extra[1].values == cloud.extra[1].values);

    // A point cloud file read as a mesh: vertices, no faces.
    const Mesh mesh = ReadPlyMesh(path);
    CHECK(mesh.vertices == cloud.points);
    CHECK(mesh.NumFaces() == 0);
  }

  // Extra values are rounded and clamped into their integer type on writing.
  PointCloud clamped;
  clamped.points = {{0, 0, 0}, {1, 1, 1}, {2, 2, 2}};
  clamped.extra = {{"q", "char", {300, -300, 1.6}}};
  WritePly(dir / "clamped.ply", clamped);
  CHECK(ReadPlyPointCloud(dir / "clamped.ply").extra[0].values ==
        std::vector<double>{127, -128, 2});
}

TEST_CASE("PLY reads a COLMAP-style fused.ply", "[unit][ply]") {
  TempDir dir("ply");
  std::string bytes =
      "ply\nformat binary_little_endian 1.0\nelement vertex 2\nproperty float x\n"
      "property float y\nproperty float z\nproperty float nx\nproperty float ny\n"
      "property float nz\nproperty uchar red\nproperty uchar green\nproperty uchar blue\n"
      "end_header\n";
  for (int i = 0; i < 2; ++i) {
    for (float v : {1.0f + i, 2.0f, 3.0f, 0.0f, 0.0f, 1.0f}) bytes += Bytes(v);
    bytes += std::string{char(10 * i), char(20), char(30)};
  }
  WriteBytes(dir / "fused.ply", bytes);
  const PointCloud cloud = ReadPlyPointCloud(dir / "fused.ply");
  REQUIRE(cloud.size() == 2);
  CHECK(cloud.points[1] == Vec3f(2, 2, 3));
  CHECK(cloud.normals[0] == Vec3f(0, 0, 1));
  CHECK(cloud.colors[1] == Color3u8(10, 20, 30));
  CHECK(cloud.extra.empty());
}

TEST_CASE("PLY reads every scalar type in big-endian, little-endian and ASCII files",
          "[unit][ply]") {
  TempDir dir("ply");
  // One vertex element using each PLY type (both spellings), one face with a quad.
  const std::string header_tail =
      "element vertex 4\n"
      "property double x\nproperty float32 y\nproperty short z\n"
      "property char c8\nproperty uint8 u8\nproperty int16 s16\nproperty ushort u16\n"
      "property int i32\nproperty uint u32\nproperty float f32\nproperty float64 f64\n"
      "element face 1\nproperty list uint8 uint32 vertex_indices\nproperty int16 part_id\n"
      "end_header\n";
  struct Row {
    double x;
    float y;
    std::int16_t z;
    std::int8_t c8;
    std::uint8_t u8;
    std::int16_t s16;
    std::uint16_t u16;
    std::int32_t i32;
    std::uint32_t u32;
    float f32;
    double f64;
  };
  const Row rows[4] = {
      {0.5, 1.25f, -3, -128, 255, -32768, 65535, -2147483647 - 1, 4294967295u, 0.75f, 1e-300},
      {1, 0, 0, 127, 0, 32767, 0, 2147483647, 0, -1.5f, -2.5},
      {1, 1, 0, 0, 1, 0, 1, 0, 1, 0, 0},
      {0, 1, 7, -1, 128, -1, 32768, -1, 2147483648u, 3.0f, 1e300},
  };
  auto binary = [&](std::endian order) {
    std::string bytes = std::string("ply\nformat ") +
                        (order == std::endian::big ? "binary_big_endian" : "binary_little_endian") +
                        " 1.0\n" + header_tail;
    for (const Row& r : rows) {
      bytes += Bytes(r.x, order) + Bytes(r.y, order) + Bytes(r.z, order) + Bytes(r.c8, order) +
               Bytes(r.u8, order) + Bytes(r.s16, order) + Bytes(r.u16, order) +
               Bytes(r.i32, order) + Bytes(r.u32, order) + Bytes(r.f32, order) +
               Bytes(r.f64, order);
    }
    bytes += Bytes(std::uint8_t{4}, order);
    for (std::uint32_t i : {0u, 1u, 2u, 3u}) bytes += Bytes(i, order);
    bytes += Bytes(std::int16_t{-9}, order);
    return bytes;
  };
  const std::string ascii = "ply\nformat ascii 1.0\n" + header_tail +
                            "0.5 1.25 -3 -128 255 -32768 65535 -2147483648 4294967295 0.75 1e-300\n"
                            "1 0 0 127 0 32767 0 2147483647 0 -1.5 -2.5\n"
                            "1 1 0 0 1 0 1 0 1 0 0\n"
                            "0 1 +7 -1 128 -1 32768 -1 2147483648 3.0 1e300\n"
                            "4 0 1 2 3 -9\n";
  WriteBytes(dir / "be.ply", binary(std::endian::big));
  WriteBytes(dir / "le.ply", binary(std::endian::little));
  WriteBytes(dir / "ascii.ply", ascii);
  for (const char* file : {"be.ply", "le.ply", "ascii.ply"}) {
    INFO(file);
    const Mesh mesh = ReadPlyMesh(dir / file);
    REQUIRE(mesh.NumVertices() == 4);
    CHECK(mesh.vertices[0] == Vec3f(0.5f, 1.25f, -3));
    CHECK(mesh.vertices[3] == Vec3f(0, 1, 7));
    REQUIRE(mesh.NumFaces() == 2);  // the quad, fan-triangulated
    CHECK(mesh.faces[0] == Face(0, 1, 2));
    CHECK(mesh.faces[1] == Face(0, 2, 3));
    CHECK(mesh.part_ids == std::vector<std::int32_t>{-9, -9});
    REQUIRE(mesh.vertex_extra.size() == 8);
    const char* types[] = {"char", "uchar", "short", "ushort", "int", "uint", "float", "double"};
    for (int i = 0; i < 8; ++i) CHECK(mesh.vertex_extra[i].type == types[i]);
    CHECK(mesh.vertex_extra[0].values == std::vector<double>{-128, 127, 0, -1});
    CHECK(mesh.vertex_extra[1].values == std::vector<double>{255, 0, 1, 128});
    CHECK(mesh.vertex_extra[2].values == std::vector<double>{-32768, 32767, 0, -1});
    CHECK(mesh.vertex_extra[3].values == std::vector<double>{65535, 0, 1, 32768});
    CHECK(mesh.vertex_extra[4].values == std::vector<double>{-2147483648.0, 2147483647, 0, -1});
    CHECK(mesh.vertex_extra[5].values == std::vector<double>{4294967295.0, 0, 1, 2147483648.0});
    CHECK(mesh.vertex_extra[6].values == std::vector<double>{0.75, -1.5, 0, 3});
    CHECK(mesh.vertex_extra[7].values == std::vector<double>{1e-300, -2.5, 0, 1e300});

    // The types survive writing back.
    WritePly(dir / "rewritten.ply", mesh);
    const Mesh again = ReadPlyMesh(dir / "rewritten.ply");
    RequireSameMesh(mesh, again);
  }
}

TEST_CASE("PLY polygons are fan-triangulated with their properties copied", "[unit][ply]") {
  TempDir dir("ply");
  WriteBytes(dir / "poly.ply",
             "ply\nformat ascii 1.0\ncomment a pentagon, a triangle and a degenerate face\n"
             "element vertex 5\nproperty float x\nproperty float y\nproperty float z\n"
             "element face 3\nproperty list uchar int vertex_index\nproperty int part_id\n"
             "property uchar provenance\nproperty float confidence\nproperty float area\n"
             "end_header\n"
             "0 0 0\n1 0 0\n1 1 0\n0.5 1.5 0\n0 1 0\n"
             "5 0 1 2 3 4 7 3 0.5 2.5\n"
             "3 4 3 2 8 0 1 1\n"
             "2 0 1 9 0 1 0\n");
  const Mesh mesh = ReadPlyMesh(dir / "poly.ply");
  REQUIRE(mesh.NumFaces() == 4);
  CHECK(mesh.faces[0] == Face(0, 1, 2));
  CHECK(mesh.faces[1] == Face(0, 2, 3));
  CHECK(mesh.faces[2] == Face(0, 3, 4));
  CHECK(mesh.faces[3] == Face(4, 3, 2));
  CHECK(mesh.part_ids == std::vector<std::int32_t>{7, 7, 7, 8});
  CHECK(mesh.provenance ==
        std::vector<Provenance>{Provenance::kInferredLearned, Provenance::kInferredLearned,
                                Provenance::kInferredLearned, Provenance::kObserved});
  CHECK(mesh.confidence == std::vector<float>{0.5f, 0.5f, 0.5f, 1.0f});
  REQUIRE(mesh.face_extra.size() == 1);
  CHECK(mesh.face_extra[0].values == std::vector<double>{2.5, 2.5, 2.5, 1});
  CHECK_NOTHROW(mesh.Check());
}

TEST_CASE("PLY skips other elements and list properties", "[unit][ply]") {
  TempDir dir("ply");
  const std::string header_start = "ply\nformat ";
  const std::string header =
      " 1.0\nobj_info scanner X\n"
      "element vertex 3\nproperty float x\nproperty list uchar float weights\nproperty float y\n"
      "property float z\n"
      "element edge 2\nproperty int vertex1\nproperty int vertex2\n"
      "property list ushort uint extra_ids\n"
      "element face 1\nproperty list uchar int vertex_indices\n"
      "property list uchar float texcoord\nproperty uchar flags\n"
      "element material 0\nproperty uchar ambient_red\n"
      "end_header\n";
  std::string binary = header_start + "binary_little_endian" + header;
  const std::vector<std::vector<float>> weights = {{}, {1, 2}, {3}};
  for (int i = 0; i < 3; ++i) {
    binary += Bytes(float(i)) + Bytes(std::uint8_t(weights[i].size()));
    for (float w : weights[i]) binary += Bytes(w);
    binary += Bytes(float(i * 2)) + Bytes(float(i * 3));
  }
  binary += Bytes(0) + Bytes(1) + Bytes(std::uint16_t{2}) + Bytes(7u) + Bytes(8u);
  binary += Bytes(1) + Bytes(2) + Bytes(std::uint16_t{0});
  binary += Bytes(std::uint8_t{3}) + Bytes(0) + Bytes(1) + Bytes(2);
  binary += Bytes(std::uint8_t{6});
  for (int i = 0; i < 6; ++i) binary += Bytes(0.5f);
  binary += Bytes(std::uint8_t{42});
  WriteBytes(dir / "binary.ply", binary);
  WriteBytes(dir / "ascii.ply", header_start + "ascii" + header +
                                    "0 0 0 0\n1 2 1 2 2 3\n2 1 3 4 6\n"
                                    "0 1 2 7 8\n1 2 0\n"
                                    "3 0 1 2 6 .5 .5 .5 .5 .5 .5 42\n");
  for (const char* file : {"binary.ply", "ascii.ply"}) {
    INFO(file);
    const Mesh mesh = ReadPlyMesh(dir / file);
    REQUIRE(mesh.NumVertices() == 3);
    CHECK(mesh.vertices[2] == Vec3f(2, 4, 6));
    REQUIRE(mesh.NumFaces() == 1);
    CHECK(mesh.faces[0] == Face(0, 1, 2));
    REQUIRE(mesh.face_extra.size() == 1);
    CHECK(mesh.face_extra[0].name == "flags");
    CHECK(mesh.face_extra[0].values == std::vector<double>{42});
    CHECK(mesh.vertex_extra.empty());
    CHECK(ReadPlyPointCloud(dir / file).size() == 3);
  }
}

TEST_CASE("PLY accepts CRLF headers, float colours, faces before vertices", "[unit][ply]") {
  TempDir dir("ply");
  WriteBytes(dir / "crlf.ply",
             "ply\r\nformat ascii 1.0\r\nelement face 1\r\n"
             "property list uchar uint vertex_indices\r\nelement vertex 3\r\nproperty float x\r\n"
             "property float y\r\nproperty float z\r\nproperty float red\r\n"
             "property float green\r\nproperty float blue\r\nend_header\r\n"
             "3 2 1 0\r\n0 0 0 1 0.5 0\r\n1 0 0 0 0 0\r\n0 1 0 2 -1 nan\r\n");
  const Mesh mesh = ReadPlyMesh(dir / "crlf.ply");
  REQUIRE(mesh.NumFaces() == 1);
  CHECK(mesh.faces[0] == Face(2, 1, 0));
  REQUIRE(mesh.colors.size() == 3);
  CHECK(mesh.colors[0] == Color3u8(255, 128, 0));
  CHECK(mesh.colors[2] == Color3u8(255, 0, 0));
}

TEST_CASE("PLY non-finite normals become zero, non-finite positions are rejected", "[unit][ply]") {
  TempDir dir("ply");
  const std::string header =
      "ply\nformat ascii 1.0\nelement vertex 2\nproperty float x\nproperty float y\n"
      "property float z\nproperty float nx\nproperty float ny\nproperty float nz\nend_header\n";
  WriteBytes(dir / "normals.ply", header + "0 0 0 nan 0 1\n1 1 1 0 0 1\n");
  const PointCloud cloud = ReadPlyPointCloud(dir / "normals.ply");
  CHECK(cloud.normals[0] == Vec3f::Zero());
  CHECK(cloud.normals[1] == Vec3f(0, 0, 1));

  for (const char* bad : {"nan 0 0", "0 inf 0", "0 0 -inf", "1e39 0 0"}) {
    INFO(bad);
    WriteBytes(dir / "nan.ply", header + "0 0 0 0 0 1\n" + bad + " 0 0 1\n");
    RequireBadPly(dir / "nan.ply");
  }
  std::string binary =
      "ply\nformat binary_little_endian 1.0\nelement vertex 1\nproperty float x\n"
      "property float y\nproperty float z\nend_header\n";
  binary += Bytes(0.0f) + Bytes(std::numeric_limits<float>::quiet_NaN()) + Bytes(0.0f);
  WriteBytes(dir / "nan-binary.ply", binary);
  RequireBadPly(dir / "nan-binary.ply");
}

TEST_CASE("PLY rejects truncated files at every offset", "[unit][ply]") {
  TempDir dir("ply");
  const Mesh mesh = FullMesh();
  WritePly(dir / "binary.ply", mesh, PlyFormat::kBinaryLittleEndian);
  const auto size = ReadFileBytes(dir / "binary.ply").size();
  for (std::size_t cut = 0; cut < size; ++cut) {
    INFO("binary file cut to " << cut << " of " << size << " bytes");
    test::WriteTruncatedCopy(dir / "binary.ply", dir / "cut.ply", cut);
    RequireBadPly(dir / "cut.ply");
  }

  // ASCII: a cut inside a number can leave a valid shorter number, so cut at every token
  // boundary (header lines, mid-vertex, mid-face) before the last value.
  WritePly(dir / "ascii.ply", mesh, PlyFormat::kAscii);
  const auto bytes = ReadFileBytes(dir / "ascii.ply");
  std::size_t last_token = bytes.size() - 1;
  while (last_token > 0 && std::isspace(bytes[last_token])) --last_token;
  while (last_token > 0 && !std::isspace(bytes[last_token - 1])) --last_token;
  int cuts = 0;
  for (std::size_t cut = 0; cut < last_token; ++cut) {
    if (cut > 0 && !std::isspace(bytes[cut - 1])) continue;
    INFO("ASCII file cut to " << cut << " of " << bytes.size() << " bytes");
    test::WriteTruncatedCopy(dir / "ascii.ply", dir / "cut.ply", cut);
    RequireBadPly(dir / "cut.ply");
    ++cuts;
  }
  CHECK(cuts > 50);
}

TEST_CASE("PLY rejects corrupt headers with a message naming the file", "[unit][ply]") {
  TempDir dir("ply");
  const std::string xyz = "property float x\nproperty float y\nproperty float z\n";
  const std::string good = "ply\nformat ascii 1.0\nelement vertex 1\n" + xyz + "end_header\n";
  static constexpr char kGarbage[] = "ply\nformat \0\xff\xfe garbage\n";
  const std::vector<std::string> bad_headers = {
      "",
      "ply",
      "ply\n",
      "plx\nformat ascii 1.0\nelement vertex 1\n" + xyz + "end_header\n0 0 0\n",
      "PLY\nformat ascii 1.0\nend_header\n",
      "ply\nelement vertex 1\n" + xyz + "end_header\n0 0 0\n",  // no format
      "ply\nformat utf8 1.0\nelement vertex 1\n" + xyz + "end_header\n0 0 0\n",
      "ply\nformat ascii 2.0\nelement vertex 1\n" + xyz + "end_header\n0 0 0\n",
      "ply\nformat ascii\nelement vertex 1\n" + xyz + "end_header\n0 0 0\n",
      "ply\nformat ascii 1.0\nformat ascii 1.0\nelement vertex 1\n" + xyz + "end_header\n0 0 0\n",
      "ply\nformat ascii 1.0\nproperty float x\nelement vertex 1\nend_header\n0\n",
      "ply\nformat ascii 1.0\nelement vertex -1\n" + xyz + "end_header\n",
      "ply\nformat ascii 1.0\nelement vertex 1x\n" + xyz + "end_header\n0 0 0\n",
      "ply\nformat ascii 1.0\nelement vertex 99999999999999999999999\n" + xyz + "end_header\n",
      "ply\nformat ascii 1.0\nelement vertex\n" + xyz + "end_header\n0 0 0\n",
      "ply\nformat ascii 1.0\nelement vertex 1\nelement vertex 1\n" + xyz + "end_header\n0 0 0\n",
      "ply\nformat ascii 1.0\nelement vertex 1\nproperty flaot x\nend_header\n0\n",
      "ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\nproperty float x\nend_header\n",
      "ply\nformat ascii 1.0\nelement vertex 1\nproperty float\nend_header\n0\n",
      "ply\nformat ascii 1.0\nelement vertex 1\n" + xyz +
          "property list float int ids\nend_header\n0 0 0 0\n",
      "ply\nformat ascii 1.0\nelement vertex 1\n" + xyz + "property list uchar ids\nend_header\n",
      "ply\nformat ascii 1.0\nelement vertex 1\n" + xyz + "end_header",  // no newline
      "ply\nformat ascii 1.0\nelement vertex 1\n" + xyz + "end_header extra\n0 0 0\n",
      "ply\nformat ascii 1.0\nelement vertex 1\n" + xyz + "vertex 1\nend_header\n0 0 0\n",
      "ply\nformat ascii 1.0\nelement vertex 1\n" + xyz,  // no end_header
      "ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\nend_header\n0\n",  // no y z
      "ply\nformat ascii 1.0\nelement face 0\nproperty list uchar int vertex_indices\n"
      "end_header\n",  // no vertex element
      std::string(kGarbage, sizeof(kGarbage) - 1) + "end_header\n",
      "ply\nformat ascii 1.0\ncomment " + std::string(70000, 'c') + "\n" + good.substr(21),
  };
  for (std::size_t i = 0; i < bad_headers.size(); ++i) {
    INFO("header " << i << ": " << bad_headers[i].substr(0, 200));
    const auto path = dir / ("bad-" + std::to_string(i) + ".ply");
    WriteBytes(path, bad_headers[i]);
    RequireBadPly(path);
  }
  // ReadPlyHeader rejects the same headers, except those whose problem is in the data.
  RequireErrorStartingWith([&] { ReadPlyHeader(dir / "bad-0.ply"); }, (dir / "bad-0.ply").string());
  RequireErrorStartingWith([&] { ReadPlyHeader(dir / "bad-28.ply"); },
                           (dir / "bad-28.ply").string());
  RequireErrorStartingWith([&] { ReadPlyHeader(dir / "missing.ply"); },
                           (dir / "missing.ply").string());
  RequireErrorStartingWith([&] { ReadPlyMesh(dir / "missing.ply"); },
                           (dir / "missing.ply").string());

  // The sanity check on the test itself: the good header parses.
  WriteBytes(dir / "good.ply", good + "0 0 0\n");
  CHECK(ReadPlyMesh(dir / "good.ply").NumVertices() == 1);
}

TEST_CASE("PLY rejects counts larger than the data without allocating them", "[unit][ply]") {
  TempDir dir("ply");
  const std::string xyz = "property float x\nproperty float y\nproperty float z\n";
  const std::vector<std::string> files = {
      "ply\nformat binary_little_endian 1.0\nelement vertex 1000000000000\n" + xyz +
          "end_header\n" + std::string(24, '\0'),
      "ply\nformat ascii 1.0\nelement vertex 18446744073709551615\n" + xyz + "end_header\n0 0 0\n",
      "ply\nformat binary_big_endian 1.0\nelement vertex 1\n" + xyz +
          "element face 4000000000\nproperty list uchar int vertex_indices\nend_header\n" +
          std::string(12 + 13 * 2, '\0'),
      "ply\nformat binary_little_endian 1.0\nelement vertex 1\n" + xyz +
          "element face 1\nproperty list uint int vertex_indices\nend_header\n" +
          std::string(12, '\0') + "\xff\xff\xff\xff" + std::string(12, '\0'),
      "ply\nformat binary_little_endian 1.0\nelement vertex 1\n" + xyz +
          "element edge 1\nproperty list int uchar ids\nend_header\n" + std::string(12, '\0') +
          "\xff\xff\xff\x7f",
      "ply\nformat ascii 1.0\nelement vertex 1\n" + xyz +
          "element edge 1\nproperty list uint uchar ids\nend_header\n0 0 0\n4294967295 1 2 3\n",
      "ply\nformat binary_little_endian 1.0\nelement vertex 1\n" + xyz +
          "element blob 99999999999\nproperty double v\nend_header\n" + std::string(20, '\0'),
      // A negative list length.
      "ply\nformat binary_little_endian 1.0\nelement vertex 1\n" + xyz +
          "element face 1\nproperty list char int vertex_indices\nend_header\n" +
          std::string(12, '\0') + "\xfe" + std::string(8, '\0'),
  };
  for (std::size_t i = 0; i < files.size(); ++i) {
    INFO("file " << i);
    const auto path = dir / ("count-" + std::to_string(i) + ".ply");
    WriteBytes(path, files[i]);
    RequireBadPly(path);
  }
  // An element with no properties holds no data, whatever its count.
  WriteBytes(dir / "empty-element.ply",
             "ply\nformat binary_little_endian 1.0\nelement nothing 18446744073709551615\n"
             "element vertex 1\n" +
                 xyz + "end_header\n" + std::string(12, '\0'));
  CHECK(ReadPlyMesh(dir / "empty-element.ply").NumVertices() == 1);
}

TEST_CASE("PLY rejects bad indices and bad values", "[unit][ply]") {
  TempDir dir("ply");
  const std::string header =
      "ply\nformat ascii 1.0\nelement vertex 3\nproperty float x\nproperty float y\n"
      "property float z\nelement face 1\nproperty list uchar int vertex_indices\n"
      "property uchar provenance\nend_header\n0 0 0\n1 0 0\n0 1 0\n";
  const std::vector<std::string> bad_faces = {
      "3 0 1 3 0\n",      // index out of range
      "3 0 -1 2 0\n",     // negative index
      "3 0 1 2.5 0\n",    // fractional index
      "3 0 1 2 5\n",      // unknown provenance
      "3 0 1 2 256\n",    // out of uchar range
      "3 0 1 x 0\n",      // not a number
      "3 0 1 2\n",        // a missing value
      "300 0 1 2 0\n",    // list length out of uchar range
      "3 0 1 0x2 0\n",    // hexadecimal
      "3 0 1 2 1..0\n",   // malformed number
      "3 0 1 2 1e400\n",  // beyond the range of a double
  };
  for (const auto& face : bad_faces) {
    INFO(face);
    WriteBytes(dir / "bad.ply", header + face);
    RequireErrorStartingWith([&] { ReadPlyMesh(dir / "bad.ply"); }, (dir / "bad.ply").string());
  }
  // A point cloud ignores the faces' indices, but not malformed numbers.
  WriteBytes(dir / "bad.ply", header + "3 0 1 3 0\n");
  CHECK(ReadPlyPointCloud(dir / "bad.ply").size() == 3);
  WriteBytes(dir / "bad.ply", header + "3 0 1 x 0\n");
  RequireErrorStartingWith([&] { ReadPlyPointCloud(dir / "bad.ply"); }, (dir / "bad.ply").string());

  std::string binary =
      "ply\nformat binary_little_endian 1.0\nelement vertex 1\nproperty float x\n"
      "property float y\nproperty float z\nelement face 1\n"
      "property list uchar uint vertex_indices\nend_header\n" +
      std::string(12, '\0') + "\3";
  binary += Bytes(0u) + Bytes(0u) + Bytes(0xffffffffu);
  WriteBytes(dir / "index.ply", binary);
  RequireErrorStartingWith([&] { ReadPlyMesh(dir / "index.ply"); }, (dir / "index.ply").string());
}

TEST_CASE("PLY writing is atomic and rejects invalid meshes", "[unit][ply]") {
  TempDir dir("ply");
  const auto path = dir / "mesh.ply";
  WritePly(path, FullMesh());
  const auto before = ReadFileBytes(path);

  Mesh bad = FullMesh();
  bad.vertices[1].x() = std::numeric_limits<float>::quiet_NaN();
  RequireErrorStartingWith([&] { WritePly(path, bad); }, path.string());
  bad = FullMesh();
  bad.faces[0][2] = 99;
  RequireErrorStartingWith([&] { WritePly(path, bad); }, path.string());
  bad = FullMesh();
  bad.vertex_extra[0].type = "float16";
  RequireErrorStartingWith([&] { WritePly(path, bad); }, path.string());
  bad = FullMesh();
  bad.vertex_extra[0].name = "red";
  RequireErrorStartingWith([&] { WritePly(path, bad); }, path.string());
  bad = FullMesh();
  bad.face_extra[0].name = "my label";
  RequireErrorStartingWith([&] { WritePly(path, bad); }, path.string());
  bad = FullMesh();
  bad.normals.pop_back();
  RequireErrorStartingWith([&] { WritePly(path, bad); }, path.string());

  CHECK(ReadFileBytes(path) == before);
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    ++files;
  }
  CHECK(files == 1);  // no temporary left behind
}

TEST_CASE("fused.ply.vis round trip and corrupt files", "[unit][ply]") {
  TempDir dir("ply");
  const std::vector<std::vector<std::uint32_t>> visibility = {{0, 1, 2}, {}, {4294967295u}, {7}};
  const auto path = dir / "fused.ply.vis";
  WriteFusedVisibility(path, visibility);
  CHECK(ReadFusedVisibility(path) == visibility);
  const auto bytes = ReadFileBytes(path);
  CHECK(bytes.size() == 8 + 4 * 4 + 4 * 5);
  CHECK(bytes[0] == 4);

  for (std::size_t cut = 0; cut < bytes.size(); ++cut) {
    INFO("cut to " << cut);
    test::WriteTruncatedCopy(path, dir / "cut.vis", cut);
    RequireErrorStartingWith([&] { ReadFusedVisibility(dir / "cut.vis"); },
                             (dir / "cut.vis").string());
  }
  WriteBytes(dir / "trailing.vis", std::string(bytes.begin(), bytes.end()) + "x");
  RequireErrorStartingWith([&] { ReadFusedVisibility(dir / "trailing.vis"); },
                           (dir / "trailing.vis").string());
  WriteBytes(dir / "huge.vis", Bytes(std::uint64_t{1} << 60) + Bytes(1u) + Bytes(2u));
  RequireErrorStartingWith([&] { ReadFusedVisibility(dir / "huge.vis"); },
                           (dir / "huge.vis").string());
  WriteBytes(dir / "list.vis", Bytes(std::uint64_t{1}) + Bytes(0xffffffffu) + Bytes(2u));
  RequireErrorStartingWith([&] { ReadFusedVisibility(dir / "list.vis"); },
                           (dir / "list.vis").string());
  WriteFusedVisibility(dir / "empty.vis", {});
  CHECK(ReadFusedVisibility(dir / "empty.vis").empty());
}

}  // namespace muta
