#include "core/mesh.h"

#include <array>
#include <limits>

#include <Eigen/Geometry>

#include "core/error.h"

namespace muta {
namespace {

constexpr std::array<std::string_view, 5> kProvenanceNames = {
    "observed", "inferred:symmetry", "inferred:repetition", "inferred:learned",
    "inferred:smooth"};

template <typename T>
void CheckOptional(const std::vector<T>& array, std::size_t n, const char* what) {
  MUTA_CHECK(array.empty() || array.size() == n)
      << "mesh: " << what << " has " << array.size() << " entries, expected 0 or " << n;
}

void CheckExtra(const std::vector<ExtraProperty>& extra, std::size_t n, const char* what) {
  for (const auto& e : extra) {
    MUTA_CHECK(e.values.size() == n) << "mesh: " << what << " property '" << e.name << "' has "
                                     << e.values.size() << " values, expected " << n;
  }
}

template <typename T>
void AppendOptional(std::vector<T>& a, std::size_t a_n, const std::vector<T>& b, std::size_t b_n,
                    const T& fill) {
  if (a.empty() && b.empty()) return;
  if (a.empty()) a.assign(a_n, fill);
  if (b.empty()) {
    a.insert(a.end(), b_n, fill);
  } else {
    a.insert(a.end(), b.begin(), b.end());
  }
}

void AppendExtra(std::vector<ExtraProperty>& a, const std::vector<ExtraProperty>& b) {
  std::vector<ExtraProperty> kept;
  for (auto& e : a) {
    for (const auto& f : b) {
      if (f.name == e.name) {
        e.values.insert(e.values.end(), f.values.begin(), f.values.end());
        kept.push_back(std::move(e));
        break;
      }
    }
  }
  a = std::move(kept);
}

}  // namespace

std::string_view ProvenanceName(Provenance p) {
  const auto index = static_cast<std::size_t>(p);
  return index < kProvenanceNames.size() ? kProvenanceNames[index] : "unknown";
}

std::optional<Provenance> ParseProvenance(std::string_view name) {
  for (std::size_t i = 0; i < kProvenanceNames.size(); ++i) {
    if (kProvenanceNames[i] == name) return static_cast<Provenance>(i);
  }
  return std::nullopt;
}

void PointCloud::Check() const {
  CheckOptional(normals, points.size(), "normals");
  CheckOptional(colors, points.size(), "colors");
  CheckExtra(extra, points.size(), "point");
}

void Mesh::Check() const {
  const std::size_t nv = vertices.size(), nf = faces.size();
  CheckOptional(normals, nv, "normals");
  CheckOptional(colors, nv, "colors");
  CheckOptional(uvs, nv, "uvs");
  CheckOptional(part_ids, nf, "part_ids");
  CheckOptional(provenance, nf, "provenance");
  CheckOptional(confidence, nf, "confidence");
  CheckExtra(vertex_extra, nv, "vertex");
  CheckExtra(face_extra, nf, "face");
  for (std::size_t f = 0; f < nf; ++f) {
    for (int k = 0; k < 3; ++k) {
      MUTA_CHECK(faces[f][k] < nv) << "mesh: face " << f << " refers to vertex " << faces[f][k]
                                   << " but there are only " << nv << " vertices";
    }
  }
  for (auto p : provenance) {
    MUTA_CHECK(static_cast<std::size_t>(p) < kProvenanceNames.size())
        << "mesh: unknown provenance class " << static_cast<int>(p);
  }
}

void Mesh::ComputeVertexNormals() {
  normals.assign(vertices.size(), Vec3f::Zero());
  for (const Face& f : faces) {
    const Vec3f n = (vertices[f[1]] - vertices[f[0]]).cross(vertices[f[2]] - vertices[f[0]]);
    for (int k = 0; k < 3; ++k) normals[f[k]] += n;
  }
  for (auto& n : normals) {
    const float len = n.norm();
    if (len > 0) n /= len;
  }
}

double Mesh::Area() const {
  double area = 0;
  for (const Face& f : faces) {
    area += 0.5 * (vertices[f[1]] - vertices[f[0]])
                      .cast<double>()
                      .cross((vertices[f[2]] - vertices[f[0]]).cast<double>())
                      .norm();
  }
  return area;
}

void Mesh::Append(const Mesh& other) {
  const std::size_t nv = vertices.size(), nf = faces.size();
  const std::size_t onv = other.vertices.size(), onf = other.faces.size();
  AppendOptional(normals, nv, other.normals, onv, Vec3f(Vec3f::Zero()));
  AppendOptional(colors, nv, other.colors, onv, Color3u8(128, 128, 128));
  AppendOptional(uvs, nv, other.uvs, onv, Vec2f(Vec2f::Zero()));
  AppendOptional(part_ids, nf, other.part_ids, onf, std::int32_t{-1});
  AppendOptional(provenance, nf, other.provenance, onf, Provenance::kObserved);
  AppendOptional(confidence, nf, other.confidence, onf, 1.0f);
  AppendExtra(vertex_extra, other.vertex_extra);
  AppendExtra(face_extra, other.face_extra);
  vertices.insert(vertices.end(), other.vertices.begin(), other.vertices.end());
  faces.reserve(nf + onf);
  const auto offset = static_cast<std::uint32_t>(nv);
  for (const Face& f : other.faces) faces.push_back(f.array() + offset);
}

Box3f BoundingBox(const std::vector<Vec3f>& points) {
  Box3f box;
  for (const auto& p : points) box.Extend(p);
  return box;
}

}  // namespace muta
