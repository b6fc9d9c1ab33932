// Site streaming speed (DESIGN target: viewer CPU frame work – LOD selection and culling – for a
// 10 M-triangle site <= 1 ms per frame).
//   stream_bench MESH.ply SUBDIVISIONS SITE [--frames N] [--budget-mb M] [--max-sse PX]
//                [--tile-triangles N] [--hz H]
// Builds SITE like export_bench (MESH, e.g. `muta synth --scene pagoda --storeys 9 --gt-only`'s
// gt/mesh.ply, split 1-to-4 SUBDIVISIONS times, every 5th part inferred) unless SITE already
// holds a tileset.json; then, headless (EGL), flies a fixed path – in from far away, a spiral
// round the building close up, and out again – calling SiteStream::Update once per frame at H Hz
// (default 90) without rendering, and reports per-frame selection + culling time (median, 95th
// percentile), the whole Update, resident memory against the budget and tile load throughput
// (a cold close-up view loaded with UpdateUntilComplete). Prints one JSON object.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <numbers>
#include <string>
#include <thread>

#include <spdlog/spdlog.h>

#include "core/error.h"
#include "core/json.h"
#include "core/ply_io.h"
#include "core/progress.h"
#include "reconstruct/tiles/site_export.h"
#include "render/gl_context.h"
#include "render/renderer.h"
#include "render/site_stream.h"
#include "tools/bench/bench_util.h"

namespace {

using namespace muta;
namespace fs = std::filesystem;

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t i = std::min(v.size() - 1, static_cast<std::size_t>(p * (v.size() - 1) + 0.5));
  return v[i];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr,
                 "usage: stream_bench MESH.ply SUBDIVISIONS SITE [--frames N] [--budget-mb M] "
                 "[--max-sse PX] [--tile-triangles N] [--hz H]\n");
    return 2;
  }
  spdlog::set_level(spdlog::level::warn);  // stdout is the JSON result
  try {
    int frames = 600;
    double budget_mb = 512, max_sse = 16, hz = 90;
    reconstruct::SiteExportOptions export_options;
    export_options.write_model = false;
    for (int i = 4; i < argc; ++i) {
      const std::string arg = argv[i];
      const bool has_value = i + 1 < argc;
      if (arg == "--frames" && has_value) {
        frames = std::atoi(argv[++i]);
      } else if (arg == "--budget-mb" && has_value) {
        budget_mb = std::atof(argv[++i]);
      } else if (arg == "--max-sse" && has_value) {
        max_sse = std::atof(argv[++i]);
      } else if (arg == "--tile-triangles" && has_value) {
        export_options.lod.max_leaf_triangles = std::stoul(argv[++i]);
      } else if (arg == "--hz" && has_value) {
        hz = std::atof(argv[++i]);
      } else {
        MUTA_FAIL << "unknown option " << arg;
      }
    }
    Json out;
    const fs::path site = argv[3];
    if (!fs::is_regular_file(site / "tileset.json")) {
      const auto t0 = std::chrono::steady_clock::now();
      Mesh mesh = ReadPlyMesh(argv[1]);
      for (int i = 0, n = std::atoi(argv[2]); i < n; ++i) mesh = bench::Subdivide(mesh);
      bench::LabelEveryFifthPartInferred(mesh);
      std::fprintf(stderr, "stream_bench: exporting %zu triangles to %s\n", mesh.NumFaces(),
                   site.string().c_str());
      Progress progress(ProgressStyle::kQuiet);
      const auto summary =
          reconstruct::ExportSite(mesh, std::nullopt, site, export_options, progress);
      out["export"] = summary.ToJson();
      out["export_wall_seconds"] = bench::Seconds(t0);
    }
    std::int64_t site_triangles = 0;

    const auto context = render::CreateHeadlessContext();
    render::Renderer renderer;
    render::StreamOptions options;
    options.max_sse_px = max_sse;
    options.memory_budget_bytes = static_cast<std::size_t>(budget_mb * 1024 * 1024);
    const Camera camera = Camera::Pinhole(1280, 720, 900, 900, 640, 360);

    // 1. Load throughput: a cold close-up of the whole height, every tile it wants loaded.
    double load_seconds = 0, load_cpu_seconds = 0;
    render::StreamStats cold;
    {
      render::SiteStream stream(site, renderer, options);
      const Box3f box = stream.Bounds();
      const Eigen::Vector3d c = box.Center().cast<double>();
      const double r = 0.5 * double(box.Size().norm());
      const auto t0 = std::chrono::steady_clock::now();
      const double cpu0 = bench::CpuSeconds();
      cold = stream.UpdateUntilComplete(
          camera, LookAt(c + Eigen::Vector3d(0, -0.9 * r, 0.1 * r), c, Eigen::Vector3d::UnitZ()));
      load_seconds = bench::Seconds(t0);
      load_cpu_seconds = bench::CpuSeconds() - cpu0;
      site_triangles = cold.triangles_drawn;
    }

    // 2. The flight.
    render::SiteStream stream(site, renderer, options);
    const Box3f box = stream.Bounds();
    const Eigen::Vector3d c = box.Center().cast<double>();
    const double r = 0.5 * double(box.Size().norm());
    std::vector<double> select_ms, update_ms;
    std::size_t max_resident = 0;
    int max_loading = 0, uploads = 0, evictions = 0;
    std::int64_t max_triangles = 0;
    const auto period = std::chrono::duration<double>(1.0 / hz);
    auto next = std::chrono::steady_clock::now();
    const auto flight_start = next;
    const double flight_cpu_start = bench::CpuSeconds();
    for (int i = 0; i < frames; ++i) {
      const double s = double(i) / std::max(1, frames - 1);
      // Distance: 6 r -> 0.35 r (close-up, spiralling up the building) -> 6 r.
      const double closeness = std::sin(std::numbers::pi * s);
      const double distance = r * (6.0 - 5.65 * closeness);
      const double azimuth = 4 * std::numbers::pi * s;
      const double height = box.min.z() + (box.max.z() - box.min.z()) * (0.15 + 0.7 * s);
      const Eigen::Vector3d target(c.x(), c.y(), height);
      const Eigen::Vector3d eye =
          target + Eigen::Vector3d(distance * std::sin(azimuth), -distance * std::cos(azimuth),
                                   0.3 * distance);
      const render::StreamStats stats =
          stream.Update(camera, LookAt(eye, target, Eigen::Vector3d::UnitZ()));
      select_ms.push_back(stats.select_ms);
      update_ms.push_back(stats.update_ms);
      max_resident = std::max(max_resident, stats.resident_bytes);
      max_loading = std::max(max_loading, stats.tiles_loading);
      max_triangles = std::max(max_triangles, stats.triangles_drawn);
      uploads += stats.uploads;
      evictions += stats.evictions;
      next += std::chrono::duration_cast<std::chrono::steady_clock::duration>(period);
      std::this_thread::sleep_until(next);
    }
    const double flight_seconds = bench::Seconds(flight_start);
    out["flight_cpu_seconds"] = bench::CpuSeconds() - flight_cpu_start;

    out["site"] = site.string();
    out["tiles"] = stream.NumTiles();
    out["camera"] = "1280x720, fx 900 px";
    out["max_sse_px"] = max_sse;
    out["budget_bytes"] = options.memory_budget_bytes;
    out["frames"] = frames;
    out["hz"] = hz;
    out["flight_seconds"] = flight_seconds;
    out["select_ms_median"] = Percentile(select_ms, 0.5);
    out["select_ms_p95"] = Percentile(select_ms, 0.95);
    out["select_ms_max"] = Percentile(select_ms, 1.0);
    out["update_ms_median"] = Percentile(update_ms, 0.5);
    out["update_ms_p95"] = Percentile(update_ms, 0.95);
    out["update_ms_max"] = Percentile(update_ms, 1.0);
    out["max_resident_bytes"] = max_resident;
    out["max_tiles_loading"] = max_loading;
    out["max_triangles_drawn"] = max_triangles;
    out["flight_uploads"] = uploads;
    out["flight_evictions"] = evictions;
    out["cold_close_up"] = {{"seconds", load_seconds},
                            {"cpu_seconds", load_cpu_seconds},
                            {"triangles_per_cpu_s", double(site_triangles) / load_cpu_seconds},
                            {"tiles", cold.tiles_resident},
                            {"bytes", cold.resident_bytes},
                            {"triangles", site_triangles},
                            {"tiles_per_s", cold.tiles_resident / load_seconds},
                            {"triangles_per_s", double(site_triangles) / load_seconds},
                            {"mb_per_s", double(cold.resident_bytes) / 1e6 / load_seconds}};
    std::printf("%s\n", out.dump(2).c_str());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "stream_bench: %s\n", e.what());
    return 1;
  }
}
