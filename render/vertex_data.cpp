#include "render/vertex_data.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include <Eigen/Geometry>

namespace muta::render {
namespace {

GpuVertex MakeVertex(const Mesh& mesh, std::uint32_t v, const Vec3f& normal) {
  GpuVertex out{};
  const Vec3f& p = mesh.vertices[v];
  for (int i = 0; i < 3; ++i) {
    out.position[i] = p[i];
    out.normal[i] = normal[i];
  }
  if (!mesh.uvs.empty()) {
    out.uv[0] = mesh.uvs[v].x();
    out.uv[1] = mesh.uvs[v].y();
  }
  if (!mesh.colors.empty()) {
    for (int i = 0; i < 3; ++i) out.color[i] = mesh.colors[v][i];
  } else {
    out.color[0] = out.color[1] = out.color[2] = 255;
  }
  out.color[3] = 255;
  return out;
}

Vec3f UnitOrUp(const Vec3f& n) {
  const float length = n.norm();
  return length > 0 && std::isfinite(length) ? Vec3f(n / length) : Vec3f::UnitZ();
}

}  // namespace

VertexData BuildVertexData(const Mesh& mesh, float crease_angle_deg) {
  VertexData out;
  const std::size_t num_faces = mesh.faces.size();
  const std::size_t num_vertices = mesh.vertices.size();
  for (const Face& f : mesh.faces) {
    for (int k = 0; k < 3; ++k) out.bounds.Extend(mesh.vertices[f[k]]);
  }

  if (!mesh.normals.empty()) {
    out.vertices.reserve(num_vertices);
    for (std::uint32_t v = 0; v < num_vertices; ++v) {
      out.vertices.push_back(MakeVertex(mesh, v, UnitOrUp(mesh.normals[v])));
    }
    out.indices.reserve(3 * num_faces);
    for (const Face& f : mesh.faces) out.indices.insert(out.indices.end(), {f[0], f[1], f[2]});
    return out;
  }

  // Face normals: area-weighted (the cross product) and unit.
  std::vector<Vec3f> area_normal(num_faces), unit_normal(num_faces);
  for (std::size_t i = 0; i < num_faces; ++i) {
    const Face& f = mesh.faces[i];
    const Vec3f& a = mesh.vertices[f[0]];
    area_normal[i] = (mesh.vertices[f[1]] - a).cross(mesh.vertices[f[2]] - a);
    const float length = area_normal[i].norm();
    unit_normal[i] = length > 0 ? Vec3f(area_normal[i] / length) : Vec3f::Zero();
  }

  // Corners around each vertex (compressed rows): corner c = 3 * face + k.
  std::vector<std::uint32_t> offsets(num_vertices + 1, 0);
  for (const Face& f : mesh.faces) {
    for (int k = 0; k < 3; ++k) ++offsets[f[k] + 1];
  }
  for (std::size_t v = 0; v < num_vertices; ++v) offsets[v + 1] += offsets[v];
  std::vector<std::uint32_t> corners(3 * num_faces);
  {
    std::vector<std::uint32_t> fill(offsets.begin(), offsets.end() - 1);
    for (std::uint32_t i = 0; i < num_faces; ++i) {
      for (std::uint32_t k = 0; k < 3; ++k) corners[fill[mesh.faces[i][k]]++] = 3 * i + k;
    }
  }

  const float cos_crease =
      std::cos(crease_angle_deg * static_cast<float>(std::numbers::pi) / 180.0f);
  out.indices.assign(3 * num_faces, 0);
  out.vertices.reserve(num_vertices + num_vertices / 4);
  struct Created {
    Vec3f normal;
    std::uint32_t index;
  };
  std::vector<Created> created;
  for (std::uint32_t v = 0; v < num_vertices; ++v) {
    created.clear();
    const std::uint32_t begin = offsets[v], end = offsets[v + 1];
    for (std::uint32_t i = begin; i < end; ++i) {
      const std::uint32_t face = corners[i] / 3;
      Vec3f sum = Vec3f::Zero();
      for (std::uint32_t j = begin; j < end; ++j) {
        const std::uint32_t other = corners[j] / 3;
        if (unit_normal[face].dot(unit_normal[other]) >= cos_crease) sum += area_normal[other];
      }
      const Vec3f normal = UnitOrUp(sum);
      std::uint32_t index = 0;
      bool found = false;
      for (const Created& c : created) {
        if (c.normal.dot(normal) > 0.99999f) {
          index = c.index;
          found = true;
          break;
        }
      }
      if (!found) {
        index = static_cast<std::uint32_t>(out.vertices.size());
        out.vertices.push_back(MakeVertex(mesh, v, normal));
        created.push_back({normal, index});
      }
      out.indices[corners[i]] = index;
    }
  }
  return out;
}

std::vector<std::uint32_t> PackFaceData(const Mesh& mesh) {
  std::vector<std::uint32_t> out;
  if (mesh.provenance.empty() && mesh.confidence.empty()) return out;
  out.resize(mesh.NumFaces());
  for (std::size_t f = 0; f < out.size(); ++f) {
    const std::uint32_t p =
        mesh.provenance.empty() ? 0u : static_cast<std::uint32_t>(mesh.provenance[f]);
    const float c = mesh.confidence.empty() ? 1.0f : mesh.confidence[f];
    const float clamped = std::isfinite(c) ? std::clamp(c, 0.0f, 1.0f) : 0.0f;
    const auto unorm = static_cast<std::uint32_t>(std::lround(clamped * 65535.0f));
    out[f] = (p & 0xFFu) | (unorm << 16);
  }
  return out;
}

}  // namespace muta::render
