// Weathered texture atlases: a material's tileable texture repeated n x n times and modulated by
// smooth, non-repeating (within the atlas) stains, fading and paint loss. Mapped with UVs / n,
// every instance of a repeated element (with its own UV offset) then looks different at the
// scale of whole parts – as real weathered buildings do, and as feature matching needs to tell
// symmetric sides of a building apart.
#include <algorithm>
#include <cmath>

#include <tbb/parallel_for.h>

#include "core/error.h"
#include "tools/synth/building_parts.h"

namespace muta::synth {
namespace {

std::uint32_t HashCell(int x, int y, std::uint64_t seed) {
  std::uint64_t h = seed ^ (static_cast<std::uint64_t>(static_cast<std::uint32_t>(x)) << 32) ^
                    static_cast<std::uint32_t>(y);
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return static_cast<std::uint32_t>(h);
}

// Value noise in [0, 1], periodic with `period` cells over the unit square.
double PeriodicNoise(double u, double v, int period, std::uint64_t seed) {
  const double x = u * period, y = v * period;
  const int x0 = static_cast<int>(std::floor(x)), y0 = static_cast<int>(std::floor(y));
  const double fx = x - x0, fy = y - y0;
  const double sx = fx * fx * (3 - 2 * fx), sy = fy * fy * (3 - 2 * fy);
  auto value = [&](int i, int j) {
    const int pi = ((i % period) + period) % period, pj = ((j % period) + period) % period;
    return HashCell(pi, pj, seed) * (1.0 / 4294967296.0);
  };
  const double a = value(x0, y0), b = value(x0 + 1, y0), c = value(x0, y0 + 1),
               d = value(x0 + 1, y0 + 1);
  return (a + (b - a) * sx) + ((c + (d - c) * sx) - (a + (b - a) * sx)) * sy;
}

double Fbm(double u, double v, int period, std::uint64_t seed) {
  double sum = 0, amp = 0.5, norm = 0;
  for (int o = 0; o < 3; ++o) {
    sum += amp * PeriodicNoise(u, v, period << o, seed + 7919 * o);
    norm += amp;
    amp *= 0.5;
  }
  return sum / norm;
}

double Smoothstep(double a, double b, double x) {
  const double t = std::clamp((x - a) / (b - a), 0.0, 1.0);
  return t * t * (3 - 2 * t);
}

}  // namespace

Image WeatheredAtlas(const Image& tile, int repeats, MaterialKind kind, std::uint64_t seed) {
  MUTA_CHECK(!tile.Empty() && tile.channels == 3) << "weathering needs an RGB texture";
  MUTA_CHECK(repeats >= 1 && repeats <= 16) << "weathering: repeats must be 1..16";
  const int w = tile.width * repeats, h = tile.height * repeats;
  // Feature sizes in metres: fading ~2.5 m, stains ~0.6 m (both smooth, computed on a coarse
  // grid), spots ~0.15 m with crisp edges (per pixel) – the scale feature matching sees.
  const double span = repeats * MaterialTileMetres(kind);
  const int fade_period = std::max(1, static_cast<int>(std::lround(span / 2.5)));
  const int stain_period = std::max(2, static_cast<int>(std::lround(span / 0.6)));
  const int spot_period = std::max(4, static_cast<int>(std::lround(span / 0.15)));
  const bool ground = kind == MaterialKind::kGround;

  // Coarse factors (fade * stains, paint loss) on a grid of 8x8-pixel cells, periodic.
  constexpr int kCell = 8;
  const int cw = (w + kCell - 1) / kCell, ch = (h + kCell - 1) / kCell;
  std::vector<float> coarse(std::size_t(cw) * ch), loss(std::size_t(cw) * ch);
  tbb::parallel_for(0, ch, [&](int y) {
    const double v = static_cast<double>(y) / ch;
    for (int x = 0; x < cw; ++x) {
      const double u = static_cast<double>(x) / cw;
      const double fade = 0.8 + 0.4 * Fbm(u, v, fade_period, seed + 1);
      const double stain = Smoothstep(0.6, 0.64, Fbm(u, v, stain_period, seed + 2));
      coarse[std::size_t(y) * cw + x] =
          static_cast<float>(fade * (1.0 - (ground ? 0.35 : 0.42) * stain));
      loss[std::size_t(y) * cw + x] =
          static_cast<float>(Smoothstep(0.66, 0.69, Fbm(u, v, stain_period, seed + 3)));
    }
  });
  auto sample = [&](const std::vector<float>& grid, double gx, double gy) {
    const int x0 = static_cast<int>(std::floor(gx)), y0 = static_cast<int>(std::floor(gy));
    const double fx = gx - x0, fy = gy - y0;
    auto at = [&](int x, int y) {
      return grid[std::size_t((y % ch + ch) % ch) * cw + (x % cw + cw) % cw];
    };
    return (1 - fy) * ((1 - fx) * at(x0, y0) + fx * at(x0 + 1, y0)) +
           fy * ((1 - fx) * at(x0, y0 + 1) + fx * at(x0 + 1, y0 + 1));
  };

  Image atlas(w, h, 3);
  tbb::parallel_for(0, h, [&](int y) {
    const double v = (y + 0.5) / h, gy = (y + 0.5) / kCell - 0.5;
    for (int x = 0; x < w; ++x) {
      const double u = (x + 0.5) / w, gx = (x + 0.5) / kCell - 0.5;
      const double spot_noise = 0.65 * PeriodicNoise(u, v, spot_period, seed + 4) +
                                0.35 * PeriodicNoise(u, v, 2 * spot_period, seed + 5);
      const double dark = Smoothstep(0.66, 0.7, spot_noise);
      const double light = Smoothstep(0.34, 0.3, spot_noise);
      const double lost = sample(loss, gx, gy);
      const double f =
          sample(coarse, gx, gy) * (1.0 - 0.3 * dark) * (1.0 + 0.25 * light) * (1.0 + 0.4 * lost);
      const std::uint8_t* src =
          &tile.pixels[(std::size_t(y % tile.height) * tile.width + (x % tile.width)) * 3];
      std::uint8_t* dst = &atlas.pixels[(std::size_t(y) * w + x) * 3];
      const double grey = (src[0] + src[1] + src[2]) / 3.0;
      for (int c = 0; c < 3; ++c) {
        // Paint loss also shifts the hue towards grey.
        const double base = src[c] + 0.35 * lost * (grey - src[c]);
        dst[c] = static_cast<std::uint8_t>(std::clamp(base * f, 0.0, 255.0));
      }
    }
  });
  return atlas;
}

}  // namespace muta::synth
