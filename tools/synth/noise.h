#pragma once
// Tileable, deterministic noise for procedural textures: value and gradient noise, fBm,
// cellular (Worley) noise, domain warping, and the few bits of portable math they need.
//
// Coordinates are in tile units: (u, v) in [0, 1) covers one texture tile, and every function
// is periodic with period 1 in u and v (lattices have a whole number of cells per tile), so
// textures built from them wrap seamlessly. Any real u, v is accepted (warped coordinates may
// leave [0, 1)).
//
// Determinism: randomness comes from integer hashing of lattice coordinates and a seed (no
// std::rand, no <random> distributions), and the arithmetic is IEEE float +, -, *, /, sqrt
// and floor only (no libm sin/exp/pow, whose results differ between C libraries), so a seed
// gives the same bytes on every platform provided multiply-adds are not fused into FMA
// instructions (which round once instead of twice). GCC and clang fuse them by default where
// the target has FMA (aarch64, x86-64-v3); this header's inline functions turn that off for
// themselves, and a .cpp file using them must turn it off for itself after its includes:
//   #if defined(__clang__)
//   #pragma clang fp contract(off)
//   #elif defined(__GNUC__)
//   #pragma GCC optimize("fp-contract=off")
//   #endif
// (MSVC does not fuse under its default /fp:precise.)

#include <cstdint>

#if defined(__clang__)
#pragma float_control(push)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC push_options
#pragma GCC optimize("fp-contract=off")
#endif

namespace muta::synth {

/// 32-bit integer hash with good avalanche (Chris Wellons' "lowbias32"); a bijection.
constexpr std::uint32_t Hash32(std::uint32_t x) {
  x ^= x >> 16;
  x *= 0x7feb352dU;
  x ^= x >> 15;
  x *= 0x846ca68bU;
  x ^= x >> 16;
  return x;
}
constexpr std::uint32_t Hash32(std::uint32_t a, std::uint32_t b) {
  return Hash32(a ^ Hash32(b + 0x9e3779b9U));
}
constexpr std::uint32_t Hash32(std::uint32_t a, std::uint32_t b, std::uint32_t c) {
  return Hash32(a ^ Hash32(b ^ Hash32(c + 0x7f4a7c15U)));
}

/// A hash mapped to [0, 1) (24 bits, exact in float).
constexpr float HashUnit(std::uint32_t h) {
  return float(h >> 8) * (1.0f / 16777216.0f);
}

/// A 32-bit seed for one named layer (`salt`) of a texture with a 64-bit user seed.
constexpr std::uint32_t LayerSeed(std::uint64_t seed, std::uint32_t salt) {
  return Hash32(std::uint32_t(seed), std::uint32_t(seed >> 32), salt);
}

// ---- Portable math: the same result wherever IEEE float is. ----

constexpr float Clamp01(float x) {
  return x < 0.0f ? 0.0f : (x > 1.0f ? 1.0f : x);
}
constexpr float Lerp(float a, float b, float t) {
  return a + (b - a) * t;
}
/// Hermite step from 0 at e0 to 1 at e1 (e0 > e1 gives the falling step).
constexpr float Smoothstep(float e0, float e1, float x) {
  const float t = Clamp01((x - e0) / (e1 - e0));
  return t * t * (3.0f - 2.0f * t);
}
/// floor(x) as an int, for |x| < 2^31 (a conversion and a compare: no libm call on x86-64
/// without SSE4.1).
constexpr int FloorInt(float x) {
  const int i = int(x);
  return float(i) > x ? i - 1 : i;
}
/// x - floor(x), in [0, 1) (|x| < 2^31).
constexpr float Fract(float x) {
  return x - float(FloorInt(x));
}
/// Positive modulo: the lattice index i wrapped into [0, n).
int WrapIndex(int i, int n);
/// cos(2 pi t) (a polynomial, error < 1e-6).
float CosTurns(float t);
/// sin(2 pi t).
float SinTurns(float t);
/// atan2(y, x) / (2 pi), wrapped into [0, 1) (error < 3e-6 turns); 0 for (0, 0).
float Atan2Turns(float y, float x);

// ---- Periodic noise ----

/// Value noise in [0, 1]: random values on a freq_u x freq_v lattice per tile, quintic
/// interpolation.
float ValueNoise(float u, float v, int freq_u, int freq_v, std::uint32_t seed);

/// Gradient (Perlin) noise, roughly in [-1, 1] (zero at lattice points), freq_u x freq_v cells
/// per tile.
float GradientNoise(float u, float v, int freq_u, int freq_v, std::uint32_t seed);

/// Fractal sum of `octaves` gradient noises starting at freq_u x freq_v cells per tile and
/// doubling each octave, amplitudes scaled by `gain`; normalised by the amplitude sum, so in
/// [-1, 1] with a standard deviation of about 0.3 for one octave, 0.2 for four (gain 0.5).
float Fbm(float u, float v, int freq_u, int freq_v, int octaves, std::uint32_t seed,
          float gain = 0.5f);

/// Four independent fBm fields at once, for a little over half the cost of four Fbm calls:
/// each lattice point's hash gives each field its own gradient. Same range as Fbm.
struct Fbm4Result {
  float n[4] = {0.0f, 0.0f, 0.0f, 0.0f};
};
Fbm4Result Fbm4(float u, float v, int freq_u, int freq_v, int octaves, std::uint32_t seed,
                float gain = 0.5f);

/// The number of octaves from `freq` cells per tile until a cell is about three pixels of a
/// `size`-pixel texture (at least 1): fine detail follows the texture resolution.
int OctavesFor(int freq, int size);

/// Cellular (Worley) noise: jittered feature points, one per cell of a freq_u x freq_v lattice
/// per tile. Distances are in cell units.
struct Cell {
  float f1 = 0.0f;       ///< distance to the nearest feature point
  float f2 = 0.0f;       ///< distance to the second nearest
  float dx = 0.0f;       ///< (point - nearest feature point), x in cells
  float dy = 0.0f;       ///< (point - nearest feature point), y in cells
  std::uint32_t id = 0;  ///< hash of the nearest feature point's cell (random per cell)
};
/// `jitter` in [0, 1]: 0 puts the feature points on a regular grid, 1 anywhere in the cell.
Cell Cellular(float u, float v, int freq_u, int freq_v, std::uint32_t seed, float jitter = 1.0f);

/// Domain warp: (u, v) displaced by `amount` tile units times two independent fBm fields (so
/// still periodic).
struct Warped {
  float u = 0.0f;
  float v = 0.0f;
};
Warped Warp(float u, float v, float amount, int freq, int octaves, std::uint32_t seed);

}  // namespace muta::synth

#if defined(__clang__)
#pragma float_control(pop)
#elif defined(__GNUC__)
#pragma GCC pop_options
#endif
