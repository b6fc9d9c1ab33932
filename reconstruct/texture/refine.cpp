#include "reconstruct/texture/refine.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <unordered_map>

#include "core/error.h"

namespace muta::reconstruct::tex {
namespace {

constexpr int kMaxRounds = 64;  // each round halves every split edge

std::uint64_t EdgeKey(std::uint32_t a, std::uint32_t b) {
  if (a > b) std::swap(a, b);
  return (std::uint64_t(a) << 32) | b;
}

}  // namespace

Mesh RefineLongEdges(const Mesh& mesh, double max_edge) {
  MUTA_CHECK(max_edge > 0 && std::isfinite(max_edge))
      << "the longest edge to keep must be a positive length, got " << max_edge;
  mesh.Check();
  Mesh out = mesh;
  out.vertex_extra.clear();
  out.face_extra.clear();
  const double max_sq = max_edge * max_edge;
  for (int round = 0; round < kMaxRounds; ++round) {
    // Midpoints of the edges to split, created once per shared edge.
    std::unordered_map<std::uint64_t, std::uint32_t> mid;
    for (const Face& f : out.faces) {
      for (int k = 0; k < 3; ++k) {
        const std::uint32_t a = f[k], b = f[(k + 1) % 3];
        if ((out.vertices[a] - out.vertices[b]).squaredNorm() <= max_sq) continue;
        const std::uint64_t key = EdgeKey(a, b);
        if (mid.count(key)) continue;
        const auto m = std::uint32_t(out.vertices.size());
        mid.emplace(key, m);
        out.vertices.push_back(0.5f * (out.vertices[a] + out.vertices[b]));
        if (!out.normals.empty()) {
          Vec3f n = out.normals[a] + out.normals[b];
          const float len = n.norm();
          out.normals.push_back(len > 0 ? Vec3f(n / len) : out.normals[a]);
        }
        if (!out.colors.empty()) {
          Color3u8 c;
          for (int i = 0; i < 3; ++i) {
            c[i] = std::uint8_t((int(out.colors[a][i]) + int(out.colors[b][i]) + 1) / 2);
          }
          out.colors.push_back(c);
        }
        if (!out.uvs.empty()) out.uvs.push_back(0.5f * (out.uvs[a] + out.uvs[b]));
      }
    }
    if (mid.empty()) break;
    MUTA_CHECK(round + 1 < kMaxRounds) << "edge refinement did not converge";
    std::vector<Face> faces;
    std::vector<std::int32_t> part_ids;
    std::vector<Provenance> provenance;
    std::vector<float> confidence;
    faces.reserve(out.faces.size() * 2);
    for (std::size_t fi = 0; fi < out.faces.size(); ++fi) {
      const Face& f = out.faces[fi];
      std::array<std::int64_t, 3> m{};  // midpoint of edge (k, k+1) or -1
      int split = 0;
      for (int k = 0; k < 3; ++k) {
        const auto it = mid.find(EdgeKey(f[k], f[(k + 1) % 3]));
        m[k] = it == mid.end() ? -1 : std::int64_t(it->second);
        split += m[k] >= 0;
      }
      const std::size_t before = faces.size();
      auto tri = [&](std::uint32_t a, std::uint32_t b, std::uint32_t c) {
        faces.push_back(Face(a, b, c));
      };
      if (split == 0) {
        faces.push_back(f);
      } else if (split == 3) {
        const auto m0 = std::uint32_t(m[0]), m1 = std::uint32_t(m[1]), m2 = std::uint32_t(m[2]);
        tri(f[0], m0, m2);
        tri(m0, f[1], m1);
        tri(m2, m1, f[2]);
        tri(m0, m1, m2);
      } else if (split == 1) {
        int k = 0;
        while (m[k] < 0) ++k;
        const std::uint32_t a = f[k], b = f[(k + 1) % 3], c = f[(k + 2) % 3];
        tri(a, std::uint32_t(m[k]), c);
        tri(std::uint32_t(m[k]), b, c);
      } else {  // two split edges: k is the unsplit one, edges k+1 and k+2 are split
        int k = 0;
        while (m[k] >= 0) ++k;
        const std::uint32_t a = f[k], b = f[(k + 1) % 3], c = f[(k + 2) % 3];
        const auto mb = std::uint32_t(m[(k + 1) % 3]);  // on b-c
        const auto mc = std::uint32_t(m[(k + 2) % 3]);  // on c-a
        tri(mc, mb, c);
        // The quad a, b, mb, mc: cut along its shorter diagonal.
        if ((out.vertices[a] - out.vertices[mb]).squaredNorm() <=
            (out.vertices[b] - out.vertices[mc]).squaredNorm()) {
          tri(a, b, mb);
          tri(a, mb, mc);
        } else {
          tri(a, b, mc);
          tri(b, mb, mc);
        }
      }
      for (std::size_t i = before; i < faces.size(); ++i) {
        if (!out.part_ids.empty()) part_ids.push_back(out.part_ids[fi]);
        if (!out.provenance.empty()) provenance.push_back(out.provenance[fi]);
        if (!out.confidence.empty()) confidence.push_back(out.confidence[fi]);
      }
    }
    out.faces = std::move(faces);
    out.part_ids = std::move(part_ids);
    out.provenance = std::move(provenance);
    out.confidence = std::move(confidence);
  }
  return out;
}

}  // namespace muta::reconstruct::tex
