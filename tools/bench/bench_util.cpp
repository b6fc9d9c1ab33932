#include "tools/bench/bench_util.h"

#include <sys/resource.h>

#include <unordered_map>

namespace muta::bench {

// One 1-to-4 midpoint subdivision; per-face data is copied to the four children.
Mesh Subdivide(const Mesh& in) {
  Mesh out;
  out.vertices = in.vertices;
  out.normals = in.normals;
  out.uvs = in.uvs;
  std::unordered_map<std::uint64_t, std::uint32_t> mid;
  mid.reserve(in.NumFaces() * 2);
  auto midpoint = [&](std::uint32_t a, std::uint32_t b) {
    const std::uint64_t key = a < b ? (std::uint64_t{a} << 32 | b) : (std::uint64_t{b} << 32 | a);
    auto [it, inserted] = mid.emplace(key, static_cast<std::uint32_t>(out.vertices.size()));
    if (inserted) {
      out.vertices.push_back(0.5f * (in.vertices[a] + in.vertices[b]));
      if (!in.normals.empty()) out.normals.push_back((in.normals[a] + in.normals[b]).normalized());
      if (!in.uvs.empty()) out.uvs.push_back(0.5f * (in.uvs[a] + in.uvs[b]));
    }
    return it->second;
  };
  out.faces.reserve(in.NumFaces() * 4);
  for (std::size_t f = 0; f < in.NumFaces(); ++f) {
    const Face& t = in.faces[f];
    const std::uint32_t ab = midpoint(t[0], t[1]), bc = midpoint(t[1], t[2]),
                        ca = midpoint(t[2], t[0]);
    out.faces.insert(out.faces.end(), {Face(t[0], ab, ca), Face(ab, t[1], bc), Face(ca, bc, t[2]),
                                       Face(ab, bc, ca)});
    for (int k = 0; k < 4; ++k) {
      if (!in.part_ids.empty()) out.part_ids.push_back(in.part_ids[f]);
    }
  }
  return out;
}

// CPU time (user + system) of the process so far, seconds: on a machine shared with other
// builds, wall time is an upper bound and CPU time the work done.
double CpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto s = [](const timeval& t) { return double(t.tv_sec) + 1e-6 * double(t.tv_usec); };
  return s(usage.ru_utime) + s(usage.ru_stime);
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

void LabelEveryFifthPartInferred(Mesh& mesh) {
  mesh.provenance.assign(mesh.NumFaces(), Provenance::kObserved);
  mesh.confidence.assign(mesh.NumFaces(), 1.0f);
  for (std::size_t f = 0; f < mesh.NumFaces(); ++f) {
    if (!mesh.part_ids.empty() && mesh.part_ids[f] % 5 == 1) {
      mesh.provenance[f] = Provenance::kInferredSymmetry;
      mesh.confidence[f] = 0.6f;
    }
  }
}

}  // namespace muta::bench
