#include "reconstruct/restore/restore_texture.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <unordered_map>

#include "core/closest_point.h"
#include "core/error.h"
#include "core/gltf_io.h"
#include "core/ply_io.h"
#include "reconstruct/restore/restore.h"
#include "reconstruct/restore/storey_transfer.h"
#include "reconstruct/texture/atlas.h"
#include "reconstruct/texture/texture.h"

namespace muta::restore {
namespace {

const ExtraProperty* FindFaceExtra(const Mesh& mesh, const char* name) {
  for (const ExtraProperty& e : mesh.face_extra) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

// Barycentric coordinates of `p` (near the triangle's plane) in triangle (a, b, c), clamped
// to the triangle.
Eigen::Vector3d Barycentric(const Eigen::Vector3d& p, const Eigen::Vector3d& a,
                            const Eigen::Vector3d& b, const Eigen::Vector3d& c) {
  const Eigen::Vector3d v0 = b - a, v1 = c - a, v2 = p - a;
  const double d00 = v0.dot(v0), d01 = v0.dot(v1), d11 = v1.dot(v1);
  const double d20 = v2.dot(v0), d21 = v2.dot(v1);
  const double denom = d00 * d11 - d01 * d01;
  if (!(std::abs(denom) > 0)) return Eigen::Vector3d(1.0 / 3, 1.0 / 3, 1.0 / 3);
  Eigen::Vector3d w;
  w.y() = (d11 * d20 - d01 * d21) / denom;
  w.z() = (d00 * d21 - d01 * d20) / denom;
  w.x() = 1.0 - w.y() - w.z();
  w = w.cwiseMax(0.0);
  const double sum = w.sum();
  return sum > 0 ? Eigen::Vector3d(w / sum) : Eigen::Vector3d(1.0 / 3, 1.0 / 3, 1.0 / 3);
}

}  // namespace

// The texture stage leaves room below its atlas for these rows within what viewers load.
static_assert(reconstruct::kMaxAtlasSide + kNeutralRows <= 16384);

TexturedRestore CarryTexture(const RestoreResult& restored, const Mesh& textured,
                             const Image& atlas, const std::string& textured_name) {
  const Mesh& r = restored.mesh;
  const std::size_t n_obs = restored.observed_faces;
  MUTA_CHECK(!textured.uvs.empty() && !atlas.Empty())
      << textured_name << " has no texture coordinates or no texture; re-run the texture stage "
      << "(`muta texture -w WORKSPACE`)";
  MUTA_CHECK(atlas.channels == 3 || atlas.channels == 4)
      << textured_name << ": the texture has " << atlas.channels
      << " channels; expected RGB or RGBA – re-run the texture stage";
  MUTA_CHECK(textured.NumFaces() == n_obs && r.NumFaces() >= n_obs)
      << textured_name << " has " << textured.NumFaces() << " triangles but the restored mesh's "
      << "observed part has " << n_obs << ": the texture was made for another mesh; re-run the "
      << "texture stage (`muta texture -w WORKSPACE --force`) before restoring";
  // The same triangles in the same order: every corner at the same position (the texture
  // stage copies positions; glTF's axis swap is exact).
  float diagonal = 0;
  {
    const Box3f box = BoundingBox(r.vertices);
    diagonal = box.Size().norm();
  }
  const float tolerance = 1e-5f * std::max(diagonal, 1.0f);
  for (std::size_t f = 0; f < n_obs; ++f) {
    for (int k = 0; k < 3; ++k) {
      const Vec3f& a = r.vertices[r.faces[f][k]];
      const Vec3f& b = textured.vertices[textured.faces[f][k]];
      MUTA_CHECK((a - b).cwiseAbs().maxCoeff() <= tolerance)
          << textured_name << ": triangle " << f << " lies elsewhere than in the restored mesh "
          << "(the mesh changed after texturing); re-run the texture stage "
          << "(`muta texture -w WORKSPACE --force`) before restoring";
    }
  }

  TexturedRestore out;
  // The atlas with kNeutralRows of neutral grey below it. UV (0, 0) is the bottom-left corner:
  // an old v maps to 1 - (1 - v) * H / H'.
  const int w = atlas.width, h = atlas.height, h2 = atlas.height + kNeutralRows;
  out.atlas = Image(w, h2, atlas.channels, reconstruct::tex::kNeutralGrey);
  std::memcpy(out.atlas.pixels.data(), atlas.pixels.data(), atlas.pixels.size());
  if (atlas.channels == 4) {
    for (int y = h; y < h2; ++y) {
      for (int x = 0; x < w; ++x) out.atlas.at(x, y, 3) = 255;
    }
  }
  const float v_scale = float(h) / float(h2);
  auto remap = [&](const Vec2f& uv) { return Vec2f(uv.x(), 1.0f - (1.0f - uv.y()) * v_scale); };
  const Vec2f neutral_uv(0.5f, 0.5f * float(kNeutralRows) / float(h2));

  // Per face corner UVs.
  std::vector<Vec2f> corner_uv(3 * r.NumFaces());
  for (std::size_t f = 0; f < n_obs; ++f) {
    for (int k = 0; k < 3; ++k) corner_uv[3 * f + k] = remap(textured.uvs[textured.faces[f][k]]);
  }
  out.observed_faces = n_obs;

  const ExtraProperty* source = FindFaceExtra(r, "source");
  const Symmetry& sym = restored.damage.symmetry;
  std::optional<TriangleBvh> bvh;
  // A transferred corner may have been snapped onto an observed vertex up to the transfer's
  // duplicate distance away; its rotated-back centroid lies within a few of those.
  const double max_source_distance =
      std::max({4.0 * sym.residual_rms, 1e-3 * double(diagonal), restored.damage.gap_distance});
  std::unordered_map<int, Eigen::Isometry3d> back;
  for (std::size_t f = n_obs; f < r.NumFaces(); ++f) {
    bool done = false;
    const int k = source ? int(std::lround(source->values[f])) : -1;
    if ((r.provenance[f] == Provenance::kInferredSymmetry ||
         r.provenance[f] == Provenance::kInferredRepetition) &&
        sym.found && k > 0) {
      if (!bvh) {
        Mesh observed;
        observed.vertices = textured.vertices;
        observed.faces = textured.faces;
        bvh.emplace(observed);
      }
      // Back where the triangle came from: its rotated copy, or the storey it was taken from.
      const int storey = k - kStoreySource;
      Eigen::Vector3d p[3];
      if ((storey == 1 || storey == -1) && sym.storeys) {
        for (int c = 0; c < 3; ++c) {
          const Eigen::Vector3d q = r.vertices[r.faces[f][c]].cast<double>();
          p[c] = storey > 0 ? sym.storeys->Up(q, sym.axis_point, sym.axis_direction)
                            : sym.storeys->Down(q, sym.axis_point, sym.axis_direction);
        }
      } else {
        auto it = back.find(k);
        if (it == back.end()) it = back.emplace(k, sym.Rotation(-k)).first;
        for (int c = 0; c < 3; ++c) p[c] = it->second * r.vertices[r.faces[f][c]].cast<double>();
      }
      const ClosestPoint hit = bvh->Closest((p[0] + p[1] + p[2]) / 3.0);
      if (hit.face != kInvalidIndex && hit.distance <= max_source_distance) {
        const Face& g = textured.faces[hit.face];
        const Eigen::Vector3d a = textured.vertices[g[0]].cast<double>();
        const Eigen::Vector3d b = textured.vertices[g[1]].cast<double>();
        const Eigen::Vector3d c = textured.vertices[g[2]].cast<double>();
        for (int q = 0; q < 3; ++q) {
          const Eigen::Vector3d bary = Barycentric(p[q], a, b, c);
          const Vec2f uv = float(bary.x()) * textured.uvs[g[0]] +
                           float(bary.y()) * textured.uvs[g[1]] +
                           float(bary.z()) * textured.uvs[g[2]];
          corner_uv[3 * f + q] = remap(uv);
        }
        ++out.transferred_faces;
        done = true;
      }
    }
    if (!done) {
      for (int q = 0; q < 3; ++q) corner_uv[3 * f + q] = neutral_uv;
      ++out.neutral_faces;
    }
  }

  // Split vertices per (vertex, UV).
  Mesh& m = out.mesh;
  struct Key {
    std::uint32_t v;
    float u, t;
    bool operator==(const Key& o) const { return v == o.v && u == o.u && t == o.t; }
  };
  struct KeyHash {
    std::size_t operator()(const Key& k) const {
      std::uint32_t a, b;
      std::memcpy(&a, &k.u, 4);
      std::memcpy(&b, &k.t, 4);
      return std::hash<std::uint64_t>()((std::uint64_t(k.v) << 32) ^ (std::uint64_t(a) << 16) ^ b);
    }
  };
  std::unordered_map<Key, std::uint32_t, KeyHash> index;
  index.reserve(r.NumVertices() * 2);
  std::vector<std::uint32_t> source_vertex;
  m.faces.resize(r.NumFaces());
  for (std::size_t f = 0; f < r.NumFaces(); ++f) {
    for (int k = 0; k < 3; ++k) {
      const Vec2f& uv = corner_uv[3 * f + k];
      const Key key{r.faces[f][k], uv.x(), uv.y()};
      auto [it, inserted] = index.emplace(key, std::uint32_t(source_vertex.size()));
      if (inserted) {
        source_vertex.push_back(key.v);
        m.uvs.push_back(uv);
      }
      m.faces[f][k] = it->second;
    }
  }
  m.vertices.reserve(source_vertex.size());
  for (std::uint32_t s : source_vertex) m.vertices.push_back(r.vertices[s]);
  if (!r.normals.empty()) {
    for (std::uint32_t s : source_vertex) m.normals.push_back(r.normals[s]);
  }
  if (!r.colors.empty()) {
    for (std::uint32_t s : source_vertex) m.colors.push_back(r.colors[s]);
  }
  for (const ExtraProperty& e : r.vertex_extra) {
    ExtraProperty copy{e.name, e.type, {}};
    copy.values.reserve(source_vertex.size());
    for (std::uint32_t s : source_vertex) copy.values.push_back(e.values[s]);
    m.vertex_extra.push_back(std::move(copy));
  }
  m.part_ids = r.part_ids;
  m.provenance = r.provenance;
  m.confidence = r.confidence;
  m.face_extra = r.face_extra;
  return out;
}

std::optional<Json> WriteTexturedRestore(const RestoreResult& restored,
                                         const std::filesystem::path& textured_glb,
                                         const std::filesystem::path& dir) {
  namespace fs = std::filesystem;
  if (!fs::is_regular_file(textured_glb)) {
    fs::remove(dir / kTexturedRestoreFile);
    fs::remove(dir / kTexturedRestoreAtlas);
    return std::nullopt;
  }
  GlbContent content = ReadGlb(textured_glb);
  MUTA_CHECK(content.base_color_texture.has_value())
      << textured_glb.string() << " has no texture; re-run the texture stage "
      << "(`muta texture -w WORKSPACE --force`)";
  const TexturedRestore t =
      CarryTexture(restored, content.mesh, *content.base_color_texture, textured_glb.string());
  fs::create_directories(dir);
  ImageWriteOptions image_options;
  image_options.jpeg_quality = 92;
  WriteImage(dir / kTexturedRestoreAtlas, t.atlas, image_options);
  WritePly(dir / kTexturedRestoreFile, t.mesh);
  return Json{{"file", kTexturedRestoreFile},       {"atlas", kTexturedRestoreAtlas},
              {"atlas_width", t.atlas.width},       {"atlas_height", t.atlas.height},
              {"observed_faces", t.observed_faces}, {"transferred_faces", t.transferred_faces},
              {"neutral_faces", t.neutral_faces}};
}

}  // namespace muta::restore
