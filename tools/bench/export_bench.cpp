// Site bundle export speed (DESIGN target: LOD build for 10 M triangles <= 60 s on 2 cores).
//   export_bench MESH.ply SUBDIVISIONS OUT_SITE [--tile-triangles N] [--no-model]
// Reads MESH (e.g. `muta synth --scene pagoda --storeys 9 --gt-only`'s gt/mesh.ply), splits
// every triangle into 4 (edge midpoints, shared between neighbours) SUBDIVISIONS times, labels
// every 5th part inferred:symmetry, then times BuildLodTree and the whole ExportSite. Prints
// one JSON object. A plain timed program (one run of a many-second task) rather than a Google
// Benchmark loop.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <unordered_map>

#include <spdlog/spdlog.h>

#include "core/error.h"
#include "core/json.h"
#include "core/ply_io.h"
#include "core/progress.h"
#include "reconstruct/tiles/site_export.h"

namespace {

using namespace muta;

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

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr,
                 "usage: export_bench MESH.ply SUBDIVISIONS OUT_SITE [--tile-triangles N] "
                 "[--no-model]\n");
    return 2;
  }
  spdlog::set_level(spdlog::level::warn);  // stdout is the JSON result
  try {
    reconstruct::SiteExportOptions options;
    for (int i = 4; i < argc; ++i) {
      const std::string arg = argv[i];
      if (arg == "--tile-triangles" && i + 1 < argc) {
        options.lod.max_leaf_triangles = std::stoul(argv[++i]);
      } else if (arg == "--no-model") {
        options.write_model = false;
      } else {
        MUTA_FAIL << "unknown option " << arg;
      }
    }
    const auto t0 = std::chrono::steady_clock::now();
    Mesh mesh = ReadPlyMesh(argv[1]);
    const int subdivisions = std::atoi(argv[2]);
    for (int i = 0; i < subdivisions; ++i) mesh = Subdivide(mesh);
    mesh.provenance.assign(mesh.NumFaces(), Provenance::kObserved);
    mesh.confidence.assign(mesh.NumFaces(), 1.0f);
    for (std::size_t f = 0; f < mesh.NumFaces(); ++f) {
      if (!mesh.part_ids.empty() && mesh.part_ids[f] % 5 == 1) {
        mesh.provenance[f] = Provenance::kInferredSymmetry;
        mesh.confidence[f] = 0.6f;
      }
    }
    const double prepare_s = Seconds(t0);
    std::fprintf(stderr, "export_bench: %zu triangles, %zu vertices (prepared in %.1f s)\n",
                 mesh.NumFaces(), mesh.NumVertices(), prepare_s);

    Progress progress(ProgressStyle::kQuiet);
    // The LOD build alone, then the whole export (which builds it again).
    const auto lod_start = std::chrono::steady_clock::now();
    const double lod_cpu_start = CpuSeconds();
    const std::size_t lod_nodes =
        reconstruct::BuildLodTree(mesh, options.lod, progress).nodes.size();
    const double lod_wall = Seconds(lod_start), lod_cpu = CpuSeconds() - lod_cpu_start;
    const double export_cpu_start = CpuSeconds();
    const auto summary = reconstruct::ExportSite(mesh, std::nullopt, argv[3], options, progress);
    const double export_cpu = CpuSeconds() - export_cpu_start;
    Json out = summary.ToJson();
    out["lod_only_wall_seconds"] = lod_wall;
    out["lod_only_cpu_seconds"] = lod_cpu;
    out["lod_only_nodes"] = lod_nodes;
    out["export_cpu_seconds"] = export_cpu;
    out["input"] = argv[1];
    out["subdivisions"] = subdivisions;
    out["input_triangles"] = mesh.NumFaces();
    out["lod_triangles_per_s"] = double(mesh.NumFaces()) / lod_wall;
    std::printf("%s\n", out.dump(2).c_str());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "export_bench: %s\n", e.what());
    return 1;
  }
}
