// Site bundle export speed (DESIGN target: LOD build for 10 M triangles <= 60 s on 2 cores).
//   export_bench MESH.ply SUBDIVISIONS OUT_SITE [--tile-triangles N] [--no-model]
//                [--compress meshopt|none]
// Reads MESH (e.g. `muta synth --scene pagoda --storeys 9 --gt-only`'s gt/mesh.ply), splits
// every triangle into 4 (edge midpoints, shared between neighbours) SUBDIVISIONS times, labels
// every 5th part inferred:symmetry, then times BuildLodTree and the whole ExportSite. Prints
// one JSON object. A plain timed program (one run of a many-second task) rather than a Google
// Benchmark loop.

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <spdlog/spdlog.h>

#include "core/error.h"
#include "core/json.h"
#include "core/ply_io.h"
#include "core/progress.h"
#include "reconstruct/tiles/site_export.h"
#include "tools/bench/bench_util.h"

namespace {

using namespace muta;

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr,
                 "usage: export_bench MESH.ply SUBDIVISIONS OUT_SITE [--tile-triangles N] "
                 "[--no-model] [--compress meshopt|none]\n");
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
      } else if (arg == "--compress" && i + 1 < argc) {
        options.compression = argv[++i];
      } else {
        MUTA_FAIL << "unknown option " << arg;
      }
    }
    const auto t0 = std::chrono::steady_clock::now();
    Mesh mesh = ReadPlyMesh(argv[1]);
    const int subdivisions = std::atoi(argv[2]);
    for (int i = 0; i < subdivisions; ++i) mesh = bench::Subdivide(mesh);
    bench::LabelEveryFifthPartInferred(mesh);
    const double prepare_s = bench::Seconds(t0);
    std::fprintf(stderr, "export_bench: %zu triangles, %zu vertices (prepared in %.1f s)\n",
                 mesh.NumFaces(), mesh.NumVertices(), prepare_s);

    Progress progress(ProgressStyle::kQuiet);
    // The LOD build alone, then the whole export (which builds it again).
    const auto lod_start = std::chrono::steady_clock::now();
    const double lod_cpu_start = bench::CpuSeconds();
    const std::size_t lod_nodes =
        reconstruct::BuildLodTree(mesh, options.lod, progress).nodes.size();
    const double lod_wall = bench::Seconds(lod_start),
                 lod_cpu = bench::CpuSeconds() - lod_cpu_start;
    const double export_cpu_start = bench::CpuSeconds();
    const auto summary = reconstruct::ExportSite(mesh, std::nullopt, argv[3], options, progress);
    const double export_cpu = bench::CpuSeconds() - export_cpu_start;
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
