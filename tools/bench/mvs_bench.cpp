// Speed (and accuracy) of Muta's PatchMatch stereo on one depth map: an analytic facade scene
// (ray-cast, exact depth), reference of about 1 MP (1152x864) with 5 source views; photometric
// pass, then geometric pass + filtering. Source depth maps for the geometric pass are the true
// depths of the sources (the stage would use their photometric maps: same cost).
// Run: build/bin/mvs_bench [--benchmark_filter=...]
//      build/bin/mvs_bench --workspace DENSE_DIR   (times RunPatchMatchStereo on a workspace)
//      build/bin/mvs_bench --picture DENSE_DIR NAME OUT.png   (image | depth maps | normals)
#include <algorithm>
#include <array>
#include <chrono>
#include <cstring>
#include <ctime>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "core/depth_map_io.h"
#include "core/image_io.h"
#include "core/log.h"
#include "core/progress.h"
#include "reconstruct/mvs/analytic_scene.h"
#include "reconstruct/mvs/patch_match.h"
#include "reconstruct/mvs/plane_cost.h"

namespace {

using namespace muta::reconstruct;

// Options for every benchmark; `--scales N --iterations N --fine N --refine N --geom N` on the
// command line change them (for tuning).
PatchMatchOptions& BenchOptions() {
  static PatchMatchOptions options;
  return options;
}

struct BenchSet {
  MvsProblem problem;
  muta::FloatMap truth;
};

// Six images of the facade; the middle one is the reference.
const BenchSet& Set(int width, int height) {
  static std::map<int, BenchSet> sets;
  auto it = sets.find(width);
  if (it != sets.end()) return it->second;
  BenchSet& s = sets[width];
  const AnalyticScene scene = MakeFacadeScene(6, width, height, 40.0);
  s.problem.reference = RenderAnalyticView(scene, 3, &s.truth);
  for (std::uint32_t id : {1u, 2u, 4u, 5u, 6u}) {
    muta::FloatMap depth;
    s.problem.sources.push_back(RenderAnalyticView(scene, id, &depth));
    s.problem.source_depths.push_back(std::move(depth));
  }
  s.problem.depth_min = 3.0;
  s.problem.depth_max = 12.0;
  return s;
}

// Process CPU time (all threads), seconds: on a shared machine wall time says little, and
// CPU seconds / cores is the wall time an idle machine would take.
double CpuSeconds() {
  return double(std::clock()) / CLOCKS_PER_SEC;
}

void Report(benchmark::State& state, const DepthEstimate& e, const muta::FloatMap& truth,
            double cpu_seconds) {
  state.counters["cpu_s"] = cpu_seconds;
  const DepthAgreement a = CompareDepthMaps(e.depth, truth, 0.01);
  state.counters["complete_1pct"] = a.completeness;
  state.counters["accurate_1pct"] = a.accuracy;
  state.counters["valid"] = a.valid_fraction;
  state.counters["MP"] = double(truth.width) * truth.height / 1e6;
}

void BM_Photometric(benchmark::State& state) {
  const int w = int(state.range(0)), h = w * 3 / 4;
  const BenchSet& s = Set(w, h);
  const PatchMatchOptions& options = BenchOptions();
  DepthEstimate e;
  const double cpu = CpuSeconds();
  for (auto _ : state) e = EstimateDepthMap(s.problem, options);
  Report(state, e, s.truth, CpuSeconds() - cpu);
}

void BM_PhotometricGeometric(benchmark::State& state) {
  const int w = int(state.range(0)), h = w * 3 / 4;
  const BenchSet& s = Set(w, h);
  const PatchMatchOptions& options = BenchOptions();
  DepthEstimate e;
  const double cpu = CpuSeconds();
  for (auto _ : state) {
    e = EstimateDepthMap(s.problem, options);
    e = RefineDepthMapGeometric(s.problem, e, options);
    FilterDepthMap(s.problem, options, e);
  }
  Report(state, e, s.truth, CpuSeconds() - cpu);
}

// One matching cost (32 samples, 8-wide SIMD when the CPU has AVX2) per iteration.
void BM_PatchCost(benchmark::State& state) {
  const BenchSet& s = Set(640, 480);
  const MvsView& ref = s.problem.reference;
  const GrayImage ref_image{ref.gray.data(), ref.width, ref.height};
  const GrayImage src{s.problem.sources[0].gray.data(), s.problem.sources[0].width,
                      s.problem.sources[0].height};
  const WindowPattern pattern = MakeWindowPattern(5, 2, 5.0f);
  RefPatch patch;
  ComputeRefPatch(ref_image, 320, 240, pattern, 0.12f, 0.0f, patch);
  const std::array<float, 9> H = {1.01f, 0.02f, 3.0f, -0.01f, 0.99f, 2.0f, 1e-5f, 2e-5f, 1.0f};
  float sum = 0;
  for (auto _ : state) {
    sum += PatchCost(patch, H, src);
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(state.iterations() * patch.count);
}
BENCHMARK(BM_PatchCost);

void BM_PatchCostScalar(benchmark::State& state) {
  const BenchSet& s = Set(640, 480);
  const MvsView& ref = s.problem.reference;
  const GrayImage ref_image{ref.gray.data(), ref.width, ref.height};
  const GrayImage src{s.problem.sources[0].gray.data(), s.problem.sources[0].width,
                      s.problem.sources[0].height};
  const WindowPattern pattern = MakeWindowPattern(5, 2, 5.0f);
  RefPatch patch;
  ComputeRefPatch(ref_image, 320, 240, pattern, 0.12f, 0.0f, patch);
  const std::array<float, 9> H = {1.01f, 0.02f, 3.0f, -0.01f, 0.99f, 2.0f, 1e-5f, 2e-5f, 1.0f};
  float sum = 0;
  for (auto _ : state) {
    sum += PatchCostScalar(patch, H, src);
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(state.iterations() * patch.count);
}
BENCHMARK(BM_PatchCostScalar);

BENCHMARK(BM_Photometric)
    ->Arg(640)
    ->Arg(1152)
    ->Unit(benchmark::kSecond)
    ->Iterations(1)
    ->UseRealTime();
BENCHMARK(BM_PhotometricGeometric)
    ->Arg(1152)
    ->Unit(benchmark::kSecond)
    ->Iterations(1)
    ->UseRealTime();

int RunWorkspace(const std::string& dir) {
  muta::Progress progress(muta::ProgressStyle::kQuiet);
  const auto start = std::chrono::steady_clock::now();
  const muta::Json figures = RunPatchMatchStereo(dir, PatchMatchOptions{}, progress);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << figures.dump(2) << "\ntotal " << s << " s\n";
  return 0;
}

// A colour for t in [0, 1]: blue (near) to red (far), a compact "turbo"-like ramp.
std::array<std::uint8_t, 3> Ramp(double t) {
  const double r = std::clamp(1.5 - std::abs(4 * t - 3), 0.0, 1.0);
  const double g = std::clamp(1.5 - std::abs(4 * t - 2), 0.0, 1.0);
  const double b = std::clamp(1.5 - std::abs(4 * t - 1), 0.0, 1.0);
  return {std::uint8_t(255 * r), std::uint8_t(255 * g), std::uint8_t(255 * b)};
}

// Writes OUT.png: the image, its photometric and geometric depth maps (colour ramp over the
// 2nd..98th percentile; black = no depth) and the geometric normal map, side by side.
int WritePicture(const std::string& dense, const std::string& name, const std::string& out) {
  const muta::Image image = muta::ReadImage(std::filesystem::path(dense) / "images" / name, 3);
  const muta::FloatMap photo = muta::ReadColmapArray(DepthMapPath(dense, name, false));
  const muta::FloatMap geo = muta::ReadColmapArray(DepthMapPath(dense, name, true));
  const muta::FloatMap normal = muta::ReadColmapArray(NormalMapPath(dense, name, true));
  const int w = photo.width, h = photo.height;
  std::vector<float> valid;
  for (const float d : photo.data) {
    if (d > 0) valid.push_back(d);
  }
  if (valid.empty()) valid.push_back(1);
  std::sort(valid.begin(), valid.end());
  const double lo = valid[valid.size() / 50], hi = valid[valid.size() * 49 / 50];
  muta::Image panel(4 * w, h, 3);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      const int ix = x * image.width / w, iy = y * image.height / h;
      for (int c = 0; c < 3; ++c) panel.at(x, y, c) = image.at(ix, iy, c);
      for (int k = 0; k < 2; ++k) {
        const float d = (k == 0 ? photo : geo).at(x, y);
        const auto rgb = d > 0 ? Ramp(std::clamp((d - lo) / (hi - lo), 0.0, 1.0))
                               : std::array<std::uint8_t, 3>{0, 0, 0};
        for (int c = 0; c < 3; ++c) panel.at((k + 1) * w + x, y, c) = rgb[c];
      }
      for (int c = 0; c < 3; ++c) {
        const float n = normal.at(x, y, c);
        // Camera frame: x right, y down, z forward; normals face the camera (z < 0).
        const float v = c == 2 ? -n : (c == 1 ? -n : n);
        panel.at(3 * w + x, y, c) = normal.at(x, y, 2) == 0 && n == 0
                                        ? 0
                                        : std::uint8_t(std::clamp(127.5f * (v + 1), 0.f, 255.f));
      }
    }
  }
  muta::WriteImage(out, panel);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  muta::InitLogging("warn");
  if (argc == 3 && std::strcmp(argv[1], "--workspace") == 0) return RunWorkspace(argv[2]);
  if (argc == 5 && std::strcmp(argv[1], "--picture") == 0) {
    return WritePicture(argv[2], argv[3], argv[4]);
  }
  std::vector<char*> rest{argv[0]};
  PatchMatchOptions& o = BenchOptions();
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    int* field = a == "--scales"       ? &o.num_scales
                 : a == "--iterations" ? &o.num_iterations
                 : a == "--fine"       ? &o.num_fine_iterations
                 : a == "--refine"     ? &o.num_refinement_hypotheses
                 : a == "--geom"       ? &o.num_geometric_iterations
                 : a == "--sources"    ? &o.num_source_images
                                       : nullptr;
    if (field != nullptr && i + 1 < argc) {
      *field = std::stoi(argv[++i]);
    } else {
      rest.push_back(argv[i]);
    }
  }
  argc = int(rest.size());
  argv = rest.data();
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
