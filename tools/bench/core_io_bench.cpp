// Throughput of core I/O and hashing on generated data (no files from outside needed).
// Run: build/bin/core_io_bench --benchmark_min_time=1
#include <random>

#include <benchmark/benchmark.h>

#include "core/depth_map_io.h"
#include "core/file_io.h"
#include "core/log.h"
#include "core/ply_io.h"

namespace {

namespace fs = std::filesystem;

fs::path BenchDir() {
  const fs::path dir = fs::temp_directory_path() / "muta-bench";
  fs::create_directories(dir);
  return dir;
}

muta::PointCloud RandomCloud(std::size_t n) {
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> u(-10, 10);
  muta::PointCloud cloud;
  cloud.points.resize(n);
  cloud.normals.resize(n);
  cloud.colors.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    cloud.points[i] = {u(rng), u(rng), u(rng)};
    cloud.normals[i] = muta::Vec3f(u(rng), u(rng), u(rng)).normalized();
    cloud.colors[i] = muta::Color3u8(i % 255, (i / 7) % 255, 9);
  }
  return cloud;
}

void BM_PlyWriteBinary(benchmark::State& state) {
  const auto cloud = RandomCloud(static_cast<std::size_t>(state.range(0)));
  const fs::path path = BenchDir() / "w.ply";
  for (auto _ : state) muta::WritePly(path, cloud);
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(fs::file_size(path)));
}
BENCHMARK(BM_PlyWriteBinary)->Arg(1'000'000)->Unit(benchmark::kMillisecond);

void BM_PlyReadBinary(benchmark::State& state) {
  const fs::path path = BenchDir() / "r.ply";
  muta::WritePly(path, RandomCloud(static_cast<std::size_t>(state.range(0))));
  for (auto _ : state) benchmark::DoNotOptimize(muta::ReadPlyPointCloud(path));
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(fs::file_size(path)));
}
BENCHMARK(BM_PlyReadBinary)->Arg(1'000'000)->Unit(benchmark::kMillisecond);

void BM_PlyReadAscii(benchmark::State& state) {
  const fs::path path = BenchDir() / "a.ply";
  muta::WritePly(path, RandomCloud(static_cast<std::size_t>(state.range(0))),
                 muta::PlyFormat::kAscii);
  for (auto _ : state) benchmark::DoNotOptimize(muta::ReadPlyPointCloud(path));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_PlyReadAscii)->Arg(200'000)->Unit(benchmark::kMillisecond);

void BM_DepthMapRoundTrip(benchmark::State& state) {
  // A 1 MP depth map (1152 x 864), as the MVS stage writes one per image.
  muta::FloatMap map(1152, 864, 1, 3.5f);
  const fs::path path = BenchDir() / "d.bin";
  for (auto _ : state) {
    muta::WriteColmapArray(path, map);
    benchmark::DoNotOptimize(muta::ReadColmapArray(path));
  }
  state.SetBytesProcessed(state.iterations() * 2 * static_cast<std::int64_t>(map.data.size() * 4));
}
BENCHMARK(BM_DepthMapRoundTrip)->Unit(benchmark::kMillisecond);

void BM_Hash64(benchmark::State& state) {
  std::vector<std::uint8_t> data(64 << 20, 7);
  for (auto _ : state) benchmark::DoNotOptimize(muta::Hash64(data));
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(data.size()));
}
BENCHMARK(BM_Hash64)->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  muta::InitLogging("warn");
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
