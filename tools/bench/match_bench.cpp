// Descriptor matching: our blocked AVX2 matcher against COLMAP's brute-force CPU method (a plain
// loop over the integer dot products), on one pair of SIFT-like descriptor sets.
#include <benchmark/benchmark.h>

#include <cmath>
#include <random>

#include "reconstruct/feature_match.h"

namespace {

using muta::reconstruct::SiftDescriptors;

SiftDescriptors RandomDescriptors(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::gamma_distribution<float> g(0.6f, 1.0f);
  SiftDescriptors d;
  d.rows = n;
  d.data.reserve(n * 128);
  std::vector<float> v(128);
  for (std::size_t i = 0; i < n; ++i) {
    float norm = 0;
    for (float& x : v) {
      x = g(rng);
      norm += x * x;
    }
    for (float x : v) d.data.push_back(std::uint8_t(std::min(255.0f, 512 * x / std::sqrt(norm))));
  }
  return d;
}

void BM_MatchOurs(benchmark::State& state) {
  const auto n = std::size_t(state.range(0));
  const SiftDescriptors a = RandomDescriptors(n, 1), b = RandomDescriptors(n, 2);
  for (auto _ : state) {
    benchmark::DoNotOptimize(muta::reconstruct::MatchDescriptors(a, b, {}));
  }
  state.counters["dots/s"] =
      benchmark::Counter(double(n) * double(n), benchmark::Counter::kIsIterationInvariantRate);
  state.SetLabel(muta::reconstruct::DescriptorMatcherUsesAvx2() ? "avx2" : "portable");
}

void BM_MatchColmapMethod(benchmark::State& state) {
  const auto n = std::size_t(state.range(0));
  const SiftDescriptors a = RandomDescriptors(n, 1), b = RandomDescriptors(n, 2);
  for (auto _ : state) {
    benchmark::DoNotOptimize(muta::reconstruct::MatchDescriptorsReference(a, b, {}));
  }
  state.counters["dots/s"] =
      benchmark::Counter(double(n) * double(n), benchmark::Counter::kIsIterationInvariantRate);
}

}  // namespace

BENCHMARK(BM_MatchOurs)->Arg(2048)->Arg(8192)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MatchColmapMethod)->Arg(2048)->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
