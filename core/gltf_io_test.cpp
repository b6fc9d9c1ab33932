#include "core/gltf_io.h"

#include <cmath>
#include <cstring>
#include <functional>
#include <sstream>

#include <tiny_gltf.h>
#include <Eigen/Geometry>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/file_io.h"
#include "tests/test_util.h"

namespace fs = std::filesystem;
using Catch::Matchers::Contains;
using muta::Vec2f;
using muta::Vec3f;

using muta::test::ErrorOf;

namespace {

void PutLE32(std::vector<std::uint8_t>& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

// Assembles a .glb from JSON text and BIN bytes, padding both as the spec requires.
std::vector<std::uint8_t> MakeGlb(std::string json, std::vector<std::uint8_t> bin) {
  while (json.size() % 4 != 0) json += ' ';
  while (bin.size() % 4 != 0) bin.push_back(0);
  std::vector<std::uint8_t> out;
  PutLE32(out, 0x46546C67);
  PutLE32(out, 2);
  PutLE32(out,
          static_cast<std::uint32_t>(12 + 8 + json.size() + (bin.empty() ? 0 : 8 + bin.size())));
  PutLE32(out, static_cast<std::uint32_t>(json.size()));
  PutLE32(out, 0x4E4F534A);
  out.insert(out.end(), json.begin(), json.end());
  if (!bin.empty()) {
    PutLE32(out, static_cast<std::uint32_t>(bin.size()));
    PutLE32(out, 0x004E4942);
    out.insert(out.end(), bin.begin(), bin.end());
  }
  return out;
}

template <typename T>
void Append(std::vector<std::uint8_t>& bin, const std::vector<T>& values) {
  const std::size_t at = bin.size();
  bin.resize(at + values.size() * sizeof(T));
  std::memcpy(bin.data() + at, values.data(), values.size() * sizeof(T));
}

// One triangle: 3 float positions (36 bytes) then 3 uint16 indices (6 bytes, padded to 8).
std::vector<std::uint8_t> TriangleBin(std::vector<std::uint16_t> indices = {0, 1, 2}) {
  std::vector<std::uint8_t> bin;
  Append(bin, std::vector<float>{0, 0, 0, 1, 0, 0, 0, 1, 0});
  Append(bin, indices);
  while (bin.size() % 4 != 0) bin.push_back(0);
  return bin;
}

// glTF JSON for TriangleBin(); `position` and `extra` are spliced into the POSITION accessor and
// the top-level object to build broken variants.
std::string TriangleJson(const std::string& position_accessor =
                             R"({"bufferView":0,"componentType":5126,"count":3,"type":"VEC3",
                                 "min":[0,0,0],"max":[1,1,0]})",
                         const std::string& extra = "", const std::string& mode = "4") {
  return R"({"asset":{"version":"2.0"},"scene":0,"scenes":[{"nodes":[0]}],"nodes":[{"mesh":0}],
    "meshes":[{"primitives":[{"attributes":{"POSITION":0},"indices":1,"mode":)" +
         mode + R"(}]}],
    "accessors":[)" +
         position_accessor + R"(,
      {"bufferView":1,"componentType":5123,"count":3,"type":"SCALAR"}],
    "bufferViews":[{"buffer":0,"byteOffset":0,"byteLength":36},
                   {"buffer":0,"byteOffset":36,"byteLength":6}],
    "buffers":[{"byteLength":44}])" +
         extra + "}";
}

// A small textured mesh: a unit square (two triangles) and one more triangle, z-up.
muta::Mesh TestMesh() {
  muta::Mesh mesh;
  mesh.vertices = {{0, 0, 0}, {1, 0, 0}, {1, 1, 0}, {0, 1, 0}, {0.5f, 0.5f, 1.25f}};
  mesh.faces = {{0, 1, 2}, {0, 2, 3}, {0, 1, 4}};
  mesh.normals = {{0, 0, 1}, {0, 0, 1}, {0, 0, 1}, {0, 0, 1}, {0, -1, 0}};
  mesh.colors = {{0, 0, 0}, {255, 255, 255}, {1, 2, 3}, {200, 100, 50}, {128, 7, 254}};
  mesh.uvs = {{0, 0}, {1, 0}, {1, 1}, {0, 1}, {0.25f, 0.75f}};
  return mesh;
}

muta::Image TestTexture() {
  muta::Image image(16, 8, 3);
  for (int y = 0; y < 8; ++y) {
    for (int x = 0; x < 16; ++x) {
      image.at(x, y, 0) = static_cast<std::uint8_t>(x * 16);
      image.at(x, y, 1) = static_cast<std::uint8_t>(y * 32);
      image.at(x, y, 2) = 90;
    }
  }
  return image;
}

// The JSON chunk of a .glb.
nlohmann::json JsonChunk(const std::vector<std::uint8_t>& glb) {
  std::uint32_t length = 0;
  std::memcpy(&length, glb.data() + 12, 4);
  return nlohmann::json::parse(glb.begin() + 20, glb.begin() + 20 + length);
}

void CheckNear(const Vec3f& a, const Vec3f& b, float tolerance = 1e-5f) {
  CAPTURE(a.transpose(), b.transpose());
  CHECK((a - b).norm() <= tolerance);
}

}  // namespace

TEST_CASE("GLB round trip keeps positions, normals, colours, UVs and the texture", "[unit][gltf]") {
  muta::test::TempDir dir("gltf");
  const muta::Mesh mesh = TestMesh();
  muta::GlbWriteOptions options;
  options.base_color_texture = TestTexture();
  options.texture_format = "png";
  options.generator = "Muta test";
  const fs::path path = dir / "model.glb";
  muta::WriteGlb(path, mesh, options);

  const muta::GlbContent content = muta::ReadGlb(path);
  const muta::Mesh& back = content.mesh;
  REQUIRE(back.NumVertices() == mesh.NumVertices());
  REQUIRE(back.NumFaces() == mesh.NumFaces());
  CHECK(back.faces == mesh.faces);
  REQUIRE(back.normals.size() == mesh.normals.size());
  REQUIRE(back.colors.size() == mesh.colors.size());
  REQUIRE(back.uvs.size() == mesh.uvs.size());
  for (std::size_t i = 0; i < mesh.NumVertices(); ++i) {
    CAPTURE(i);
    CheckNear(back.vertices[i], mesh.vertices[i], 0);
    CheckNear(back.normals[i], mesh.normals[i]);
    CHECK(back.colors[i] == mesh.colors[i]);  // exact through glTF's linear colours
    CHECK((back.uvs[i] - mesh.uvs[i]).norm() < 1e-6f);
  }
  REQUIRE(content.base_color_texture);
  CHECK(content.base_color_texture->pixels == TestTexture().pixels);

  const nlohmann::json json = JsonChunk(muta::ReadFileBytes(path));
  CHECK(json["asset"]["version"] == "2.0");
  CHECK(json["asset"]["generator"] == "Muta test");
  const auto& material = json["materials"][0]["pbrMetallicRoughness"];
  CHECK(material["metallicFactor"] == 0.0);
  CHECK(material["roughnessFactor"] == 1.0);
  CHECK(material["baseColorTexture"]["index"] == 0);
  CHECK(json["images"][0]["mimeType"] == "image/png");
  const auto& attributes = json["meshes"][0]["primitives"][0]["attributes"];
  for (const char* a : {"POSITION", "NORMAL", "COLOR_0", "TEXCOORD_0"}) {
    CHECK(attributes.contains(a));
  }
  const auto& position = json["accessors"][attributes["POSITION"].get<int>()];
  CHECK(position.contains("min"));
  CHECK(position.contains("max"));
  // Every bufferView starts 4-byte aligned inside the one buffer.
  for (const auto& view : json["bufferViews"]) CHECK(view["byteOffset"].get<int>() % 4 == 0);
  // Writing is atomic: nothing else is left in the folder.
  CHECK(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()) == 1);
}

TEST_CASE("GLB texture as JPEG and meshes without optional attributes", "[unit][gltf]") {
  muta::Mesh mesh = TestMesh();
  muta::GlbWriteOptions options;
  options.base_color_texture = TestTexture();
  const muta::GlbContent textured = muta::ParseGlb(muta::EncodeGlb(mesh, options), "mem.glb");
  REQUIRE(textured.base_color_texture);
  CHECK(textured.base_color_texture->width == 16);

  mesh.normals.clear();
  mesh.colors.clear();
  mesh.uvs.clear();
  const muta::GlbContent plain = muta::ParseGlb(muta::EncodeGlb(mesh), "plain.glb");
  CHECK(plain.mesh.NumFaces() == 3);
  CHECK(plain.mesh.normals.empty());
  CHECK(plain.mesh.colors.empty());
  CHECK(plain.mesh.uvs.empty());
  CHECK_FALSE(plain.base_color_texture);

  // A texture needs UVs.
  CHECK_THAT(ErrorOf([&] { muta::EncodeGlb(mesh, options); }), Contains("texture coordinates"));

  // Bad UTF-8 in the generator string does not break the JSON.
  muta::GlbWriteOptions odd;
  odd.generator = "Muta \xff\xfe";
  CHECK(muta::ParseGlb(muta::EncodeGlb(mesh, odd), "odd.glb").mesh.NumFaces() == 3);

  // An empty mesh is a valid file with an empty scene.
  const muta::GlbContent empty = muta::ParseGlb(muta::EncodeGlb(muta::Mesh()), "empty.glb");
  CHECK(empty.mesh.NumVertices() == 0);
}

TEST_CASE("GLB files are y-up: z-up (0,0,1) is (0,1,0) in the file", "[unit][gltf]") {
  muta::Mesh mesh;
  mesh.vertices = {{0, 0, 1}, {1, 0, 0}, {0, 2, 0}};
  mesh.normals = {{0, 0, 1}, {0, 0, 1}, {0, 0, 1}};
  mesh.faces = {{0, 1, 2}};
  const std::vector<std::uint8_t> glb = muta::EncodeGlb(mesh);

  muta::GlbReadOptions raw;
  raw.to_z_up = false;
  const muta::Mesh in_file = muta::ParseGlb(glb, "yup.glb", raw).mesh;
  CheckNear(in_file.vertices[0], Vec3f(0, 1, 0), 0);
  CheckNear(in_file.vertices[2], Vec3f(0, 0, -2), 0);
  CheckNear(in_file.normals[0], Vec3f(0, 1, 0));
  const nlohmann::json json = JsonChunk(glb);
  const auto& position = json["accessors"][1];
  CHECK(position["max"] == nlohmann::json({1.0, 1.0, 0.0}));
  CHECK(position["min"] == nlohmann::json({0.0, 0.0, -2.0}));

  const muta::Mesh back = muta::ParseGlb(glb, "yup.glb").mesh;  // to z-up again
  CheckNear(back.vertices[0], Vec3f(0, 0, 1), 0);
  CheckNear(back.vertices[2], Vec3f(0, 2, 0), 0);

  muta::GlbWriteOptions as_is;
  as_is.z_up_input = false;
  CheckNear(muta::ParseGlb(muta::EncodeGlb(mesh, as_is), "same.glb", raw).mesh.vertices[0],
            Vec3f(0, 0, 1), 0);
}

TEST_CASE("GLB node hierarchy: transforms are applied and instances merged", "[unit][gltf]") {
  // Built with tinygltf: one triangle mesh used by three nodes.
  tinygltf::Model model;
  tinygltf::Buffer buffer;
  const std::vector<std::uint8_t> bin = TriangleBin();
  buffer.data.assign(bin.begin(), bin.end());
  model.buffers.push_back(buffer);
  tinygltf::BufferView positions_view;
  positions_view.buffer = 0;
  positions_view.byteLength = 36;
  positions_view.target = TINYGLTF_TARGET_ARRAY_BUFFER;
  tinygltf::BufferView indices_view;
  indices_view.buffer = 0;
  indices_view.byteOffset = 36;
  indices_view.byteLength = 6;
  indices_view.target = TINYGLTF_TARGET_ELEMENT_ARRAY_BUFFER;
  model.bufferViews = {positions_view, indices_view};
  tinygltf::Accessor positions;
  positions.bufferView = 0;
  positions.componentType = TINYGLTF_COMPONENT_TYPE_FLOAT;
  positions.count = 3;
  positions.type = TINYGLTF_TYPE_VEC3;
  positions.minValues = {0, 0, 0};
  positions.maxValues = {1, 1, 0};
  tinygltf::Accessor indices;
  indices.bufferView = 1;
  indices.componentType = TINYGLTF_COMPONENT_TYPE_UNSIGNED_SHORT;
  indices.count = 3;
  indices.type = TINYGLTF_TYPE_SCALAR;
  model.accessors = {positions, indices};
  tinygltf::Primitive primitive;
  primitive.attributes["POSITION"] = 0;
  primitive.indices = 1;
  primitive.mode = TINYGLTF_MODE_TRIANGLES;
  tinygltf::Mesh tri;
  tri.primitives.push_back(primitive);
  model.meshes.push_back(tri);

  tinygltf::Node parent;  // translate (10, 0, 0), no mesh
  parent.translation = {10, 0, 0};
  parent.children = {1};
  tinygltf::Node child;  // scale 2, then rotate 90 degrees about z, then the parent's shift
  child.mesh = 0;
  child.scale = {2, 2, 2};
  child.rotation = {0, 0, std::sqrt(0.5), std::sqrt(0.5)};
  tinygltf::Node mirrored;  // a matrix that mirrors x and moves up 5
  mirrored.mesh = 0;
  mirrored.matrix = {-1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 5, 0, 1};
  tinygltf::Node unused;  // not in the scene: ignored
  unused.mesh = 0;
  model.nodes = {parent, child, mirrored, unused};
  tinygltf::Scene scene;
  scene.nodes = {0, 2};
  model.scenes.push_back(scene);
  model.defaultScene = 0;
  model.asset.version = "2.0";

  std::ostringstream stream;
  tinygltf::TinyGLTF writer;
  REQUIRE(writer.WriteGltfSceneToStream(&model, stream, false, true));
  const std::string text = stream.str();
  const std::vector<std::uint8_t> glb(text.begin(), text.end());

  muta::GlbReadOptions raw;
  raw.to_z_up = false;
  const muta::Mesh mesh = muta::ParseGlb(glb, "nodes.glb", raw).mesh;
  REQUIRE(mesh.NumVertices() == 6);
  REQUIRE(mesh.NumFaces() == 2);
  // Child: (1,0,0) -> scale (2,0,0) -> rotate (0,2,0) -> translate (10,2,0).
  CheckNear(mesh.vertices[0], Vec3f(10, 0, 0));
  CheckNear(mesh.vertices[1], Vec3f(10, 2, 0));
  CheckNear(mesh.vertices[2], Vec3f(8, 0, 0));
  // Mirrored: (1,0,0) -> (-1,5,0); the winding is reversed so the face still points +z.
  CheckNear(mesh.vertices[4], Vec3f(-1, 5, 0));
  for (const muta::Face& f : mesh.faces) {
    const Vec3f n = (mesh.vertices[f[1]] - mesh.vertices[f[0]])
                        .cross(mesh.vertices[f[2]] - mesh.vertices[f[0]]);
    CHECK(n.z() > 0);
  }
}

TEST_CASE("Hand-built GLB files: non-triangle primitives, sparse and external data",
          "[unit][gltf]") {
  const std::vector<std::uint8_t> ok = MakeGlb(TriangleJson(), TriangleBin());
  CHECK(muta::ParseGlb(ok, "tri.glb").mesh.NumFaces() == 1);

  // LINES are skipped (with a warning), not an error.
  const auto lines = MakeGlb(
      TriangleJson(R"({"bufferView":0,"componentType":5126,"count":3,"type":"VEC3"})", "", "1"),
      TriangleBin());
  CHECK(muta::ParseGlb(lines, "lines.glb").mesh.NumFaces() == 0);

  const auto sparse =
      MakeGlb(TriangleJson(R"({"bufferView":0,"componentType":5126,"count":3,"type":"VEC3",
        "sparse":{"count":1,"indices":{"bufferView":1,"componentType":5123},
                  "values":{"bufferView":0}}})"),
              TriangleBin());
  CHECK_THAT(ErrorOf([&] { muta::ParseGlb(sparse, "sparse.glb"); }),
             Contains("sparse.glb") && Contains("sparse accessors are not supported"));

  std::string external = TriangleJson();
  external.replace(external.find(R"({"byteLength":44})"), 17,
                   R"({"byteLength":44,"uri":"../../etc/passwd"})");
  CHECK_THAT(ErrorOf([&] { muta::ParseGlb(MakeGlb(external, TriangleBin()), "ext.glb"); }),
             Contains("ext.glb"));

  const std::string required =
      TriangleJson(R"({"bufferView":0,"componentType":5126,"count":3,"type":"VEC3"})",
                   R"(,"extensionsRequired":["KHR_draco_mesh_compression"])");
  CHECK_THAT(ErrorOf([&] { muta::ParseGlb(MakeGlb(required, TriangleBin()), "draco.glb"); }),
             Contains("draco.glb") && Contains("KHR_draco_mesh_compression"));
}

TEST_CASE("Accessors and indices outside their buffers are errors naming the file",
          "[unit][gltf]") {
  struct Case {
    const char* what;
    std::string json;
    std::vector<std::uint8_t> bin;
    const char* message;
  };
  const std::vector<Case> cases = {
      {"count past the view",
       TriangleJson(R"({"bufferView":0,"componentType":5126,"count":4,"type":"VEC3"})"),
       TriangleBin(), "runs past the end of bufferView"},
      {"offset past the view",
       TriangleJson(
           R"({"bufferView":0,"byteOffset":4,"componentType":5126,"count":3,"type":"VEC3"})"),
       TriangleBin(), "runs past the end of bufferView"},
      {"huge count",
       TriangleJson(
           R"({"bufferView":0,"componentType":5126,"count":4611686018427387904,"type":"VEC3"})"),
       TriangleBin(), "runs past the end"},
      {"missing bufferView",
       TriangleJson(R"({"bufferView":7,"componentType":5126,"count":3,"type":"VEC3"})"),
       TriangleBin(), "bufferView 7"},
      {"wrong component type",
       TriangleJson(R"({"bufferView":0,"componentType":5125,"count":3,"type":"VEC3"})"),
       TriangleBin(), "UNSIGNED_INT"},
      {"wrong type",
       TriangleJson(R"({"bufferView":0,"componentType":5126,"count":3,"type":"VEC2"})"),
       TriangleBin(), "wrong type"},
      {"index out of range",
       TriangleJson(R"({"bufferView":0,"componentType":5126,"count":3,"type":"VEC3"})"),
       TriangleBin({0, 1, 3}), "out of range"},
      {"view past the buffer",
       [] {
         std::string j = TriangleJson();
         j.replace(j.find(R"("byteOffset":36,"byteLength":6)"), 30,
                   R"("byteOffset":40,"byteLength":6)");
         return j;
       }(),
       TriangleBin(), "lies outside buffer"},
      {"buffer longer than BIN",
       [] {
         std::string j = TriangleJson();
         j.replace(j.find(R"({"byteLength":44})"), 17, R"({"byteLength":4400})");
         return j;
       }(),
       TriangleBin(), "byteLength"},
  };
  muta::test::TempDir dir("gltf");
  for (const Case& c : cases) {
    CAPTURE(c.what);
    const fs::path path = dir / "broken.glb";
    const std::vector<std::uint8_t> glb = MakeGlb(c.json, c.bin);
    muta::test::WriteBytes(path, std::string(glb.begin(), glb.end()));
    const std::string error = ErrorOf([&] { muta::ReadGlb(path); });
    CHECK_THAT(error, Contains(path.string()) && Contains(c.message));
  }
}

TEST_CASE("Corrupt GLB headers, chunks and JSON are errors naming the file", "[unit][gltf]") {
  const std::vector<std::uint8_t> good = muta::EncodeGlb(TestMesh());
  auto corrupt = [&](std::size_t offset, std::uint8_t value) {
    std::vector<std::uint8_t> b = good;
    b[offset] = value;
    return b;
  };
  auto with_json = [&](const std::string& json) { return MakeGlb(json, TriangleBin()); };
  const std::vector<std::pair<std::vector<std::uint8_t>, const char*>> cases = {
      {corrupt(0, 'x'), "not a glTF binary"},
      {corrupt(4, 1), "version 1"},
      {corrupt(8, good[8] + 4), "truncated or damaged"},
      {corrupt(13, 0x7F), "past the end of the file"},
      {corrupt(12, good[12] + 1), "not a multiple of 4"},
      {corrupt(16, 'X'), "first GLB chunk is not JSON"},
      {corrupt(20, '['), "invalid glTF"},
      {with_json(R"({"asset":{"version":"2.0"},"scenes":[{"nodes":[0]}]})"), "node 0"},
      {with_json(R"({"asset":{"version":"1.0"}})"), "version '1.0'"},
      {with_json(R"({"scenes":[]})"), "invalid glTF"},
      {with_json("not json at all"), "invalid glTF"},
      {with_json(R"({"asset":{"version":"2.0"},"extras":)" + std::string(1000, '[') +
                 std::string(1000, ']') + "}"),
       "nested"},
      {with_json(R"({"asset":{"version":"2.0"},"scenes":[{"nodes":[0]}],
                    "nodes":[{"children":[1]},{"children":[0]}]})"),
       "reached twice"},
  };
  for (const auto& [bytes, message] : cases) {
    CAPTURE(message);
    CHECK_THAT(ErrorOf([&] { muta::ParseGlb(bytes, "bad.glb"); }),
               Contains("bad.glb") && Contains(message));
  }
}

TEST_CASE("GLB truncated at any offset is an error naming the file", "[unit][gltf]") {
  muta::test::TempDir dir("gltf");
  muta::GlbWriteOptions options;
  options.base_color_texture = TestTexture();
  const fs::path good = dir / "good.glb";
  muta::WriteGlb(good, TestMesh(), options);
  const std::vector<std::uint8_t> bytes = muta::ReadFileBytes(good);
  for (std::size_t cut = 0; cut < bytes.size(); ++cut) {
    const std::string error =
        ErrorOf([&] { muta::ParseGlb(std::span(bytes).first(cut), "cut.glb"); });
    if (error.find("cut.glb") == std::string::npos) {
      FAIL("cut at " << cut << " of " << bytes.size() << ": " << error);
    }
  }
  for (std::size_t cut : {std::size_t{0}, std::size_t{11}, bytes.size() / 2, bytes.size() - 4}) {
    const fs::path bad = dir / ("cut-" + std::to_string(cut) + ".glb");
    muta::test::WriteTruncatedCopy(good, bad, cut);
    CHECK_THAT(ErrorOf([&] { muta::ReadGlb(bad); }), Contains(bad.string()));
  }
  CHECK_THAT(ErrorOf([&] { muta::ReadGlb(dir / "missing.glb"); }), Contains("missing.glb"));
}

TEST_CASE("A GLB whose embedded texture is damaged is an error naming the file", "[unit][gltf]") {
  muta::GlbWriteOptions options;
  options.base_color_texture = TestTexture();
  options.texture_format = "png";
  std::vector<std::uint8_t> glb = muta::EncodeGlb(TestMesh(), options);
  const nlohmann::json json = JsonChunk(glb);
  const auto& view = json["bufferViews"][json["images"][0]["bufferView"].get<int>()];
  std::uint32_t json_length = 0;
  std::memcpy(&json_length, glb.data() + 12, 4);
  const std::size_t image_at = 20 + json_length + 8 + view["byteOffset"].get<std::size_t>();
  glb[image_at + 1] = 'X';  // breaks the PNG signature
  CHECK_THAT(ErrorOf([&] { muta::ParseGlb(glb, "tex.glb"); }), Contains("tex.glb (image 0)"));
}

TEST_CASE("Hand-made GLBs: uint8 indices and colours, data URIs, strides, quantization",
          "[unit][gltf]") {
  muta::GlbReadOptions raw;
  raw.to_z_up = false;
  SECTION("node hierarchy with uint8 indices, uint8 colours and uint16 UVs") {
    const muta::Mesh mesh = muta::ReadGlb(muta::test::TestData("gltf/nodes_ubyte.glb"), raw).mesh;
    REQUIRE(mesh.NumVertices() == 3);
    REQUIRE(mesh.NumFaces() == 1);
    // (1,0,0): scaled by 2, turned 90 degrees about z, moved by (1,2,3).
    CheckNear(mesh.vertices[1], Vec3f(1, 4, 3));
    CheckNear(mesh.vertices[2], Vec3f(-1, 2, 3));
    REQUIRE(mesh.colors.size() == 3);
    CHECK(mesh.colors[0] == muta::Color3u8(255, 0, 0));
    CHECK(mesh.colors[2] == muta::Color3u8(0, 0, 255));
    REQUIRE(mesh.uvs.size() == 3);
    CHECK((mesh.uvs[1] - Vec2f(1, 1)).norm() < 1e-6f);  // v flipped: top-left origin in glTF
    CHECK((mesh.uvs[2] - Vec2f(0, 0)).norm() < 1e-6f);
  }
  SECTION("no scene, buffer in a data URI, interleaved positions and normals") {
    const muta::Mesh mesh =
        muta::ReadGlb(muta::test::TestData("gltf/datauri_stride.glb"), raw).mesh;
    REQUIRE(mesh.NumFaces() == 1);
    CheckNear(mesh.vertices[2], Vec3f(0, 1, 0));
    REQUIRE(mesh.normals.size() == 3);
    CheckNear(mesh.normals[1], Vec3f(0, 0, 1));
  }
  SECTION("KHR_mesh_quantization: int16 positions, int8 normalized normals") {
    const muta::Mesh mesh = muta::ReadGlb(muta::test::TestData("gltf/quantized.glb"), raw).mesh;
    REQUIRE(mesh.NumFaces() == 1);
    CheckNear(mesh.vertices[1], Vec3f(1, 0, 0));
    CheckNear(mesh.normals[0], Vec3f(0, 0, 1));
  }
}
