#include "tools/synth/noise.h"

#include <cmath>

// Bit-identical results on every platform: no multiply-adds fused into FMA instructions.
#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

namespace muta::synth {
namespace {

// 16 unit gradient directions, 22.5 degrees apart.
constexpr float kGradients[16][2] = {{1.0f, 0.0f},
                                     {0.9238795f, 0.3826834f},
                                     {0.7071068f, 0.7071068f},
                                     {0.3826834f, 0.9238795f},
                                     {0.0f, 1.0f},
                                     {-0.3826834f, 0.9238795f},
                                     {-0.7071068f, 0.7071068f},
                                     {-0.9238795f, 0.3826834f},
                                     {-1.0f, 0.0f},
                                     {-0.9238795f, -0.3826834f},
                                     {-0.7071068f, -0.7071068f},
                                     {-0.3826834f, -0.9238795f},
                                     {0.0f, -1.0f},
                                     {0.3826834f, -0.9238795f},
                                     {0.7071068f, -0.7071068f},
                                     {0.9238795f, -0.3826834f}};

constexpr float Quintic(float t) {
  return t * t * t * (t * (t * 6.0f - 15.0f) + 10.0f);
}

// Lattice point hash: one mixing round over a linear combination, independent per point (so
// the corners of a cell hash in parallel).
std::uint32_t PointHash(int ix, int iy, std::uint32_t seed) {
  return Hash32(std::uint32_t(ix) * 0x8da6b343U + std::uint32_t(iy) * 0xd8163841U + seed);
}

// The lattice cell holding x (freq cells per tile): wrapped indices of its two corners and
// the position inside it.
struct Span {
  int i0;
  int i1;
  float t;
};
Span Locate(float x, int freq) {
  const int i = FloorInt(x);
  const int i0 = WrapIndex(i, freq);
  return {i0, i0 + 1 == freq ? 0 : i0 + 1, x - float(i)};
}

float GradDot(std::uint32_t h, float x, float y) {
  const float* g = kGradients[h >> 28];
  return g[0] * x + g[1] * y;
}

}  // namespace

int WrapIndex(int i, int n) {
  if (i >= 0 && i < n) return i;  // the common case, without a division
  const int m = i % n;
  return m < 0 ? m + n : m;
}

float CosTurns(float t) {
  const float x = 6.28318531f * (Fract(t + 0.5f) - 0.5f);  // in [-pi, pi)
  const float x2 = x * x;
  // Taylor series of cos to x^18 (the next term is below 2e-7 on [-pi, pi]).
  float p = -1.0f / 6402373705728000.0f;
  p = p * x2 + 1.0f / 20922789888000.0f;
  p = p * x2 - 1.0f / 87178291200.0f;
  p = p * x2 + 1.0f / 479001600.0f;
  p = p * x2 - 1.0f / 3628800.0f;
  p = p * x2 + 1.0f / 40320.0f;
  p = p * x2 - 1.0f / 720.0f;
  p = p * x2 + 1.0f / 24.0f;
  p = p * x2 - 0.5f;
  return p * x2 + 1.0f;
}

float SinTurns(float t) {
  return CosTurns(t - 0.25f);
}

float Atan2Turns(float y, float x) {
  const float ax = std::fabs(x);
  const float ay = std::fabs(y);
  const float hi = ax > ay ? ax : ay;
  if (hi == 0.0f) return 0.0f;
  const float a = (ax < ay ? ax : ay) / hi;  // in [0, 1]
  const float s = a * a;
  // Minimax polynomial for atan on [0, 1] (Abramowitz and Stegun 4.4.49 style).
  float r =
      ((((0.0208351f * s - 0.0851330f) * s + 0.1801410f) * s - 0.3302995f) * s + 0.9998660f) * a;
  if (ay > ax) r = 1.57079633f - r;
  if (x < 0.0f) r = 3.14159265f - r;
  if (y < 0.0f) r = -r;
  const float turns = r * (1.0f / 6.28318531f);
  return turns < 0.0f ? turns + 1.0f : turns;
}

float ValueNoise(float u, float v, int freq_u, int freq_v, std::uint32_t seed) {
  const Span sx = Locate(u * float(freq_u), freq_u);
  const Span sy = Locate(v * float(freq_v), freq_v);
  const float a = HashUnit(PointHash(sx.i0, sy.i0, seed));
  const float b = HashUnit(PointHash(sx.i1, sy.i0, seed));
  const float c = HashUnit(PointHash(sx.i0, sy.i1, seed));
  const float d = HashUnit(PointHash(sx.i1, sy.i1, seed));
  const float fx = Quintic(sx.t);
  return Lerp(Lerp(a, b, fx), Lerp(c, d, fx), Quintic(sy.t));
}

float GradientNoise(float u, float v, int freq_u, int freq_v, std::uint32_t seed) {
  const Span sx = Locate(u * float(freq_u), freq_u);
  const Span sy = Locate(v * float(freq_v), freq_v);
  const float a = GradDot(PointHash(sx.i0, sy.i0, seed), sx.t, sy.t);
  const float b = GradDot(PointHash(sx.i1, sy.i0, seed), sx.t - 1.0f, sy.t);
  const float c = GradDot(PointHash(sx.i0, sy.i1, seed), sx.t, sy.t - 1.0f);
  const float d = GradDot(PointHash(sx.i1, sy.i1, seed), sx.t - 1.0f, sy.t - 1.0f);
  const float fx = Quintic(sx.t);
  // Unit gradients give at most sqrt(1/2) in 2D; scale to about [-1, 1].
  return 1.41421356f * Lerp(Lerp(a, b, fx), Lerp(c, d, fx), Quintic(sy.t));
}

float Fbm(float u, float v, int freq_u, int freq_v, int octaves, std::uint32_t seed, float gain) {
  float sum = 0.0f;
  float amplitude = 1.0f;
  float norm = 0.0f;
  for (int octave = 0; octave < octaves; ++octave) {
    sum +=
        amplitude * GradientNoise(u, v, freq_u, freq_v, seed + 0x9e3779b9U * std::uint32_t(octave));
    norm += amplitude;
    amplitude *= gain;
    freq_u *= 2;
    freq_v *= 2;
  }
  return norm > 0.0f ? sum / norm : 0.0f;
}

Fbm4Result Fbm4(float u, float v, int freq_u, int freq_v, int octaves, std::uint32_t seed,
                float gain) {
  Fbm4Result sum;
  float amplitude = 1.0f;
  float norm = 0.0f;
  for (int octave = 0; octave < octaves; ++octave) {
    const std::uint32_t s = seed + 0x9e3779b9U * std::uint32_t(octave);
    const Span sx = Locate(u * float(freq_u), freq_u);
    const Span sy = Locate(v * float(freq_v), freq_v);
    const std::uint32_t h00 = PointHash(sx.i0, sy.i0, s);
    const std::uint32_t h10 = PointHash(sx.i1, sy.i0, s);
    const std::uint32_t h01 = PointHash(sx.i0, sy.i1, s);
    const std::uint32_t h11 = PointHash(sx.i1, sy.i1, s);
    const float fx = Quintic(sx.t);
    const float fy = Quintic(sy.t);
    for (int k = 0; k < 4; ++k) {
      const int shift = 4 * k;  // GradDot reads the top four bits
      const float a = GradDot(h00 << shift, sx.t, sy.t);
      const float b = GradDot(h10 << shift, sx.t - 1.0f, sy.t);
      const float c = GradDot(h01 << shift, sx.t, sy.t - 1.0f);
      const float d = GradDot(h11 << shift, sx.t - 1.0f, sy.t - 1.0f);
      sum.n[k] += amplitude * 1.41421356f * Lerp(Lerp(a, b, fx), Lerp(c, d, fx), fy);
    }
    norm += amplitude;
    amplitude *= gain;
    freq_u *= 2;
    freq_v *= 2;
  }
  for (float& n : sum.n) n = norm > 0.0f ? n / norm : 0.0f;
  return sum;
}

int OctavesFor(int freq, int size) {
  int octaves = 1;
  for (long long f = freq; f * 6 <= size && octaves < 12; f *= 2) ++octaves;
  return octaves;
}

Cell Cellular(float u, float v, int freq_u, int freq_v, std::uint32_t seed, float jitter) {
  const float x = u * float(freq_u);
  const float y = v * float(freq_v);
  const int ix = FloorInt(x);
  const int iy = FloorInt(y);
  const float fx = float(ix);
  const float fy = float(iy);
  const float centre = 0.5f * (1.0f - jitter);
  Cell cell;
  float d1 = 1e30f;
  float d2 = 1e30f;
  const float scale = jitter * (1.0f / 65536.0f);
  const int wx[3] = {WrapIndex(ix - 1, freq_u), WrapIndex(ix, freq_u), WrapIndex(ix + 1, freq_u)};
  for (int oy = -1; oy <= 1; ++oy) {
    const int wy = WrapIndex(iy + oy, freq_v);
    for (int ox = -1; ox <= 1; ++ox) {
      // One hash per feature point: its low and high halves place it in the cell.
      const std::uint32_t h = PointHash(wx[ox + 1], wy, seed);
      const float px = fx + float(ox) + centre + scale * float(h & 0xffffU);
      const float py = fy + float(oy) + centre + scale * float(h >> 16);
      const float dx = x - px;
      const float dy = y - py;
      const float d = dx * dx + dy * dy;
      if (d < d1) {
        d2 = d1;
        d1 = d;
        cell.dx = dx;
        cell.dy = dy;
        cell.id = h;
      } else if (d < d2) {
        d2 = d;
      }
    }
  }
  cell.f1 = std::sqrt(d1);
  cell.f2 = std::sqrt(d2);
  return cell;
}

Warped Warp(float u, float v, float amount, int freq, int octaves, std::uint32_t seed) {
  return {u + amount * Fbm(u, v, freq, freq, octaves, Hash32(seed, 1U)),
          v + amount * Fbm(u, v, freq, freq, octaves, Hash32(seed, 2U))};
}

}  // namespace muta::synth
