// Speed of the accuracy metrics' building blocks on generated data: BVH build and
// closest-point queries on a 1 M-triangle mesh, nearest-point queries, the surface metric.
// Run: build/bin/metrics_bench --benchmark_min_time=1
#include <cmath>
#include <random>

#include <benchmark/benchmark.h>

#include "core/closest_point.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/sampling.h"

namespace {

// A UV sphere of radius 5 m with about 2 * rings * segments triangles.
muta::Mesh Sphere(int rings, int segments) {
  muta::Mesh mesh;
  for (int r = 0; r <= rings; ++r) {
    const double theta = M_PI * r / rings;
    for (int s = 0; s < segments; ++s) {
      const double phi = 2 * M_PI * s / segments;
      mesh.vertices.emplace_back(5 * std::sin(theta) * std::cos(phi),
                                 5 * std::sin(theta) * std::sin(phi), 5 * std::cos(theta));
    }
  }
  for (int r = 0; r < rings; ++r) {
    for (int s = 0; s < segments; ++s) {
      const auto a = static_cast<std::uint32_t>(r * segments + s);
      const auto b = static_cast<std::uint32_t>(r * segments + (s + 1) % segments);
      const auto c = a + segments, d = b + segments;
      mesh.faces.emplace_back(a, c, b);
      mesh.faces.emplace_back(b, c, d);
    }
  }
  return mesh;
}

const muta::Mesh& MillionTriangles() {
  static const muta::Mesh mesh = Sphere(500, 1000);
  return mesh;
}

// Queries as the metrics make them: points near the surface (5 cm noise).
std::vector<muta::Vec3f> Queries(std::size_t n) {
  std::mt19937 rng(3);
  std::normal_distribution<float> noise(0.0f, 0.05f);
  auto q = muta::SampleSurface(MillionTriangles(), n, 9);
  for (auto& p : q) p += muta::Vec3f(noise(rng), noise(rng), noise(rng));
  return q;
}

void BM_BvhBuild1M(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(muta::TriangleBvh(MillionTriangles()));
  state.SetItemsProcessed(state.iterations() * MillionTriangles().NumFaces());
}
BENCHMARK(BM_BvhBuild1M)->Unit(benchmark::kMillisecond);

void BM_ClosestPoint1M(benchmark::State& state) {
  const muta::TriangleBvh bvh(MillionTriangles());
  const auto queries = Queries(100'000);
  for (auto _ : state) benchmark::DoNotOptimize(muta::DistancesToMesh(bvh, queries));
  state.SetItemsProcessed(state.iterations() * queries.size());
}
BENCHMARK(BM_ClosestPoint1M)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_NearestPoint1M(benchmark::State& state) {
  const auto points = muta::SampleSurface(MillionTriangles(), 1'000'000, 1);
  const muta::PointIndex index(points);
  const auto queries = Queries(100'000);
  for (auto _ : state) benchmark::DoNotOptimize(muta::DistancesToPoints(index, queries));
  state.SetItemsProcessed(state.iterations() * queries.size());
}
BENCHMARK(BM_NearestPoint1M)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_EvaluateSurface(benchmark::State& state) {
  // Reconstruction: 1 M points near the sphere; GT: the 1 M-triangle mesh; tau 1 cm.
  muta::Mesh rec;
  rec.vertices = muta::SampleSurface(MillionTriangles(), 1'000'000, 2);
  muta::SurfaceEvaluationOptions options;
  options.tau = 0.01;
  muta::Progress quiet(muta::ProgressStyle::kQuiet);
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        muta::EvaluateSurface(MillionTriangles(), rec, nullptr, options, &quiet));
  }
}
BENCHMARK(BM_EvaluateSurface)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);

}  // namespace

int main(int argc, char** argv) {
  muta::InitLogging("warn");
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
