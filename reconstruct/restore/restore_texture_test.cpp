// Carrying the texture into a restored mesh: observed faces keep their UVs, a symmetry transfer
// takes its counterpart's, other inferred faces the neutral block; a texture made for another
// mesh is refused naming the file.
#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

#include "core/error.h"
#include "core/gltf_io.h"
#include "core/ply_io.h"
#include "reconstruct/restore/restore.h"
#include "reconstruct/restore/restore_texture.h"
#include "reconstruct/restore/storey_transfer.h"
#include "reconstruct/texture/atlas.h"

namespace {

using namespace muta;
using namespace muta::restore;

// The observed part: one quad facing +x at x = 1 (shared vertices, as dense/mesh.ply).
Mesh Observed() {
  Mesh m;
  m.vertices = {{1, -0.5f, 0}, {1, 0.5f, 0}, {1, 0.5f, 1}, {1, -0.5f, 1}};
  m.faces = {{0, 1, 2}, {0, 2, 3}};
  return m;
}

// The texture stage's output for it: the same faces, vertices split per face, own UVs.
Mesh Textured() {
  const Mesh o = Observed();
  Mesh t;
  const Vec2f uv[2][3] = {{{0.1f, 0.1f}, {0.4f, 0.1f}, {0.4f, 0.4f}},
                          {{0.6f, 0.6f}, {0.9f, 0.9f}, {0.6f, 0.9f}}};
  for (int f = 0; f < 2; ++f) {
    for (int k = 0; k < 3; ++k) {
      t.vertices.push_back(o.vertices[o.faces[f][k]]);
      t.uvs.push_back(uv[f][k]);
    }
    t.faces.emplace_back(3 * f, 3 * f + 1, 3 * f + 2);
  }
  return t;
}

// Restored: the observed quad, its half-turn copy of face 0 (by symmetry, source 1) and one
// smooth triangle.
RestoreResult Restored() {
  RestoreResult r;
  Mesh& m = r.mesh;
  m = Observed();
  const std::uint32_t base = std::uint32_t(m.vertices.size());
  for (int k = 0; k < 3; ++k) {
    const Vec3f p = m.vertices[m.faces[0][k]];
    m.vertices.emplace_back(-p.x(), -p.y(), p.z());
  }
  m.faces.emplace_back(base, base + 1, base + 2);
  m.vertices.push_back({0, 0, 2});
  m.vertices.push_back({0.5f, 0, 2});
  m.vertices.push_back({0, 0.5f, 2});
  m.faces.emplace_back(base + 3, base + 4, base + 5);
  m.provenance = {Provenance::kObserved, Provenance::kObserved, Provenance::kInferredSymmetry,
                  Provenance::kInferredSmooth};
  m.confidence = {1, 1, 0.8f, 0.3f};
  m.face_extra.push_back({"source", "int", {-1, -1, 1, -1}});
  m.face_extra.push_back({"region", "int", {-1, -1, 0, 1}});
  r.observed_faces = 2;
  r.inferred_faces = 2;
  Symmetry& s = r.damage.symmetry;
  s.found = true;
  s.order = 2;
  s.axis_point = Eigen::Vector3d::Zero();
  s.axis_direction = Eigen::Vector3d::UnitZ();
  s.inlier_fraction = 0.9;
  r.damage.gap_distance = 0.05;
  return r;
}

// An RGB atlas whose colour encodes the texel position.
Image Atlas(int w, int h) {
  Image a(w, h, 3);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      a.at(x, y, 0) = std::uint8_t(x * 255 / (w - 1));
      a.at(x, y, 1) = std::uint8_t(y * 255 / (h - 1));
      a.at(x, y, 2) = 7;
    }
  }
  return a;
}

// The texel under `uv` (0,0 = bottom-left).
Eigen::Vector3i Sample(const Image& a, const Vec2f& uv) {
  const int x = std::clamp(int(uv.x() * float(a.width)), 0, a.width - 1);
  const int y = std::clamp(int((1.0f - uv.y()) * float(a.height)), 0, a.height - 1);
  return {a.at(x, y, 0), a.at(x, y, 1), a.at(x, y, 2)};
}

}  // namespace

TEST_CASE("restore texture: observed UVs kept, symmetry copies textured, the rest neutral",
          "[unit]") {
  const Image atlas = Atlas(64, 32);
  const Mesh textured = Textured();
  const RestoreResult r = Restored();
  const TexturedRestore t = CarryTexture(r, textured, atlas, "dense/textured.glb");

  REQUIRE(t.observed_faces == 2);
  REQUIRE(t.transferred_faces == 1);
  REQUIRE(t.neutral_faces == 1);
  REQUIRE(t.atlas.width == 64);
  REQUIRE(t.atlas.height == 32 + kNeutralRows);
  // Faces, provenance and extras unchanged; positions per face unchanged.
  REQUIRE(t.mesh.NumFaces() == r.mesh.NumFaces());
  REQUIRE(t.mesh.provenance == r.mesh.provenance);
  REQUIRE(t.mesh.confidence == r.mesh.confidence);
  REQUIRE(t.mesh.face_extra.size() == 2);
  REQUIRE(t.mesh.uvs.size() == t.mesh.vertices.size());
  for (std::size_t f = 0; f < r.mesh.NumFaces(); ++f) {
    for (int k = 0; k < 3; ++k) {
      REQUIRE(t.mesh.vertices[t.mesh.faces[f][k]] == r.mesh.vertices[r.mesh.faces[f][k]]);
    }
  }
  // Observed faces show the same texels as in the texture stage's atlas; the symmetric copy of
  // face 0 shows face 0's texels, corner by corner (the half turn maps corner k to corner k).
  for (int f = 0; f < 2; ++f) {
    for (int k = 0; k < 3; ++k) {
      const Vec2f old_uv = textured.uvs[textured.faces[f][k]];
      REQUIRE(Sample(t.atlas, t.mesh.uvs[t.mesh.faces[f][k]]) == Sample(atlas, old_uv));
    }
  }
  for (int k = 0; k < 3; ++k) {
    const Vec2f counterpart = textured.uvs[textured.faces[0][k]];
    const Vec2f uv = t.mesh.uvs[t.mesh.faces[2][k]];
    REQUIRE(Sample(t.atlas, uv) == Sample(atlas, counterpart));
  }
  // The smooth face sits on the neutral block.
  const int grey = reconstruct::tex::kNeutralGrey;
  for (int k = 0; k < 3; ++k) {
    REQUIRE(Sample(t.atlas, t.mesh.uvs[t.mesh.faces[3][k]]) == Eigen::Vector3i(grey, grey, grey));
  }
}

TEST_CASE("restore texture: a storey transfer takes the texels of the storey it came from",
          "[unit]") {
  // Face 1 copied one storey down (from the storey above: source 1001) through a storey map
  // that shrinks by 0.9 in plan and 0.92 in height per storey.
  const Image atlas = Atlas(64, 32);
  const Mesh textured = Textured();
  RestoreResult r = Restored();
  StoreyRepetition st;
  st.shift = 2.0;
  st.scale = 0.9;
  st.vertical_scale = 0.92;
  st.inlier_fraction = 0.8;
  r.damage.symmetry.storeys = st;
  Symmetry& s = r.damage.symmetry;
  Mesh& m = r.mesh;
  for (int k = 0; k < 3; ++k) {
    const Eigen::Vector3d p = m.vertices[m.faces[1][k]].cast<double>();
    m.vertices[m.faces[2][k]] = st.Down(p, s.axis_point, s.axis_direction).cast<float>();
  }
  m.face_extra[0].values[2] = kStoreySource + 1;
  m.provenance[2] = Provenance::kInferredRepetition;
  const TexturedRestore t = CarryTexture(r, textured, atlas, "dense/textured.glb");
  REQUIRE(t.transferred_faces == 1);
  for (int k = 0; k < 3; ++k) {
    const Vec2f source = textured.uvs[textured.faces[1][k]];
    REQUIRE(Sample(t.atlas, t.mesh.uvs[t.mesh.faces[2][k]]) == Sample(atlas, source));
  }
  // Read as a rotated copy (source 3: three half turns) it finds nothing there.
  m.face_extra[0].values[2] = 3;
  CHECK(CarryTexture(r, textured, atlas, "dense/textured.glb").transferred_faces == 0);
}

TEST_CASE("restore texture: a texture made for another mesh is refused naming it", "[unit]") {
  const Image atlas = Atlas(16, 16);
  const RestoreResult r = Restored();
  Mesh moved = Textured();
  moved.vertices[4].z() += 0.5f;
  try {
    (void)CarryTexture(r, moved, atlas, "ws/dense/textured.glb");
    FAIL("no error");
  } catch (const muta::Error& e) {
    REQUIRE_THAT(e.what(), Catch::Contains("ws/dense/textured.glb") &&
                               Catch::Contains("re-run the texture stage"));
  }
  Mesh fewer = Textured();
  fewer.faces.pop_back();
  REQUIRE_THROWS_WITH(CarryTexture(r, fewer, atlas, "ws/dense/textured.glb"),
                      Catch::Contains("ws/dense/textured.glb") && Catch::Contains("1 triangles"));
  Mesh no_uv = Textured();
  no_uv.uvs.clear();
  REQUIRE_THROWS_WITH(CarryTexture(r, no_uv, atlas, "ws/dense/textured.glb"),
                      Catch::Contains("no texture coordinates"));
}

TEST_CASE("restore texture: files written beside restored.ply and read back by export's rule",
          "[unit]") {
  const auto dir = std::filesystem::temp_directory_path() / "muta_restore_texture_test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const RestoreResult r = Restored();
  // Without dense/textured.glb nothing is written and stale copies go.
  WritePly(dir / kTexturedRestoreFile, r.mesh);
  REQUIRE_FALSE(WriteTexturedRestore(r, dir / "missing.glb", dir).has_value());
  REQUIRE_FALSE(std::filesystem::exists(dir / kTexturedRestoreFile));

  GlbWriteOptions glb;
  glb.base_color_texture = Atlas(64, 32);
  glb.texture_format = "png";
  WriteGlb(dir / "textured.glb", Textured(), glb);
  const std::optional<Json> figures = WriteTexturedRestore(r, dir / "textured.glb", dir);
  REQUIRE(figures.has_value());
  REQUIRE((*figures)["transferred_faces"].get<int>() == 1);
  const Mesh back = ReadPlyMesh(dir / kTexturedRestoreFile);
  REQUIRE(back.NumFaces() == 4);
  REQUIRE(back.uvs.size() == back.vertices.size());
  REQUIRE(back.provenance[2] == Provenance::kInferredSymmetry);
  const Image atlas = ReadImage(dir / kTexturedRestoreAtlas);
  REQUIRE(atlas.height == 32 + kNeutralRows);
  std::filesystem::remove_all(dir);
}
