#include "tools/synth/textures.h"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <cmath>
#include <cstdint>

#include "core/error.h"
#include "tools/synth/noise.h"

// Bit-identical results on every platform: no multiply-adds fused into FMA instructions.
#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

// Conventions. A texture is a function of tile coordinates (u, v) in [0, 1): u along image
// columns, v down image rows (v = 0 is the top row, as in glTF). Every pattern has a whole
// number of elements per tile and every noise is periodic, so the texture wraps. Colours are
// composed in sRGB. Physical sizes are in metres via MaterialTileMetres. Directional
// conventions the geometry relies on:
//   wood, railing: grain runs along v.
//   painted beam:  the beam axis runs along u (bands across it); the painted face repeats
//                  every 0.5 m in v (4 times per tile), so a beam face 0.3 to 0.6 m tall
//                  mapped at real scale shows its top and bottom border lines.
//   stone:         courses run along u, v down the wall.
//   roof tile:     u along the eave, v down the slope (tile ends overlap downwards).
//   ground:        either way (seen from above).
// Fine detail is added down to about three pixels, so a texture at any size has detail at all
// the scales its resolution can carry; features smaller than that fade out rather than alias.
// Weathering (paint loss, fading, stains, moss, patina) scales with a per-seed wear amount.

namespace muta::synth {
namespace {

struct Rgb {
  float r = 0.0f;
  float g = 0.0f;
  float b = 0.0f;
};
constexpr Rgb operator+(Rgb a, Rgb b) {
  return {a.r + b.r, a.g + b.g, a.b + b.b};
}
constexpr Rgb operator*(Rgb a, float s) {
  return {a.r * s, a.g * s, a.b * s};
}
constexpr Rgb operator*(Rgb a, Rgb b) {
  return {a.r * b.r, a.g * b.g, a.b * b.b};
}
constexpr Rgb Mix(Rgb a, Rgb b, float t) {
  return a + (b + a * -1.0f) * t;
}
constexpr Rgb Hex(std::uint32_t c) {
  return {float((c >> 16) & 255U) / 255.0f, float((c >> 8) & 255U) / 255.0f,
          float(c & 255U) / 255.0f};
}

/// What every material shader sees.
struct Ctx {
  int size = 0;
  float metres = 1.0f;     ///< metres per tile
  float pixel = 0.0f;      ///< one pixel in tile units
  std::uint32_t base = 0;  ///< per-(seed, material) seed
  float wear = 0.5f;       ///< weathering amount in [0, 1], from the seed

  std::uint32_t Seed(std::uint32_t salt) const { return Hash32(base, salt); }
  int Oct(int freq) const { return OctavesFor(freq, size); }
  /// 1 for a pattern with `freq` periods per tile that the resolution carries, fading to 0
  /// when a period is below ~2.5 pixels (no aliasing).
  float Visible(float freq) const { return Smoothstep(2.5f, 6.0f, float(size) / freq); }
  /// Coverage of a line of half-width `half` (tile units) at distance `d` from its centre,
  /// antialiased over one pixel; thin lines fade instead of breaking up.
  float Line(float d, float half) const {
    const float thin = Clamp01(2.0f * half / pixel);
    return thin * Clamp01((half - d) / pixel + 0.5f);
  }
};

/// A smooth bump: 1 at d = 0 falling to 0 at d >= r.
float Bump(float d, float r) {
  const float t = Clamp01(1.0f - (d * d) / (r * r));
  return t * t;
}

// ---------------------------------------------------------------------------------------------
// Wood: timber columns and brackets (faded red lacquer over weathered wood) and railings.

struct WoodStyle {
  int rings;           ///< growth rings across one tile (grain lines along v)
  float ring_warp;     ///< waviness of the rings, in rings
  Rgb early;           ///< earlywood
  Rgb late;            ///< latewood
  Rgb grey;            ///< silver-grey of weathered wood
  float greying;       ///< how much of the surface has weathered grey (before wear)
  float crack_chance;  ///< per crack column
  bool painted;        ///< red lacquer over the wood
};

Rgb Wood(const Ctx& c, float u, float v, const WoodStyle& s) {
  const float n = float(s.rings);
  // Knots: at most one in each cell of a 3 x 2 lattice per tile, elongated along the grain.
  // The rings bend around each: a bump added to the ring phase, windowed to zero within the
  // neighbouring cells so that the sum over the 3 x 3 cells around (u, v) is continuous.
  float knot_shift = 0.0f;
  float knot_core = 0.0f;
  const int iu = FloorInt(u * 3.0f);
  const int iv = FloorInt(v * 2.0f);
  for (int dy = -1; dy <= 1; ++dy) {
    for (int dx = -1; dx <= 1; ++dx) {
      const std::uint32_t h = Hash32(std::uint32_t(WrapIndex(iu + dx, 3)),
                                     std::uint32_t(WrapIndex(iv + dy, 2)), c.Seed(1));
      if (HashUnit(h) >= 0.45f) continue;
      const float du = u - (float(iu + dx) + 0.1f + 0.8f * HashUnit(Hash32(h, 1U))) / 3.0f;
      const float dv = (v - (float(iv + dy) + 0.1f + 0.8f * HashUnit(Hash32(h, 2U))) / 2.0f) / 2.4f;
      const float d2 = du * du + dv * dv;
      const float r = (0.010f + 0.016f * HashUnit(Hash32(h, 3U))) / c.metres;
      const float sign = (h & 1U) ? 1.0f : -1.0f;
      knot_shift += sign * 5.0f * n * r / (1.0f + d2 / (4.0f * r * r)) * Bump(std::sqrt(d2), 0.18f);
      knot_core = std::fmax(knot_core, 1.0f - Smoothstep(0.8f * r, 1.1f * r, std::sqrt(d2)));
    }
  }
  // Shared noise fields: low and mid frequency masks, streaks along the grain.
  const Fbm4Result low = Fbm4(u, v, 2, 2, 3, c.Seed(2));
  const Fbm4Result mid = Fbm4(u, v, 6, 6, 2, c.Seed(3));
  const Fbm4Result streaks = Fbm4(u, v, 24, 2, c.Oct(24), c.Seed(16), 0.6f);
  const float warp = s.ring_warp * low.n[0] + 0.4f * mid.n[0] + 0.6f * streaks.n[0];
  const float g = u * n + warp + knot_shift;
  const float t = Fract(g);
  const int ring = WrapIndex(FloorInt(g), s.rings);
  const float ring_var = HashUnit(Hash32(std::uint32_t(ring), c.Seed(4)));
  const float late = Smoothstep(0.35f + 0.3f * ring_var, 0.93f, t) * Smoothstep(1.0f, 0.955f, t);
  const float fibre = Fbm(u, v, 96, 3, c.Oct(96), c.Seed(5), 0.6f);
  const float density = Clamp01((0.55f + 0.45f * ring_var) * late + 0.35f * fibre + 0.1f);

  Rgb wood = Mix(s.early, s.late, density);
  const float grey_mask = Clamp01(s.greying + 0.3f * c.wear + 0.9f * low.n[1]);
  wood = Mix(wood, s.grey * (1.05f - 0.45f * density), Smoothstep(0.2f, 0.8f, grey_mask));
  wood = Mix(wood, Hex(0x2a1d14), knot_core * (0.7f + 0.3f * Fract(std::fabs(knot_shift))));

  // Paint: faded red lacquer on a grey ground layer, worn through in patches.
  if (s.painted) {
    const Fbm4Result fine = Fbm4(u, v, 16, 16, c.Oct(16), c.Seed(8), 0.65f);
    const float cover = 0.55f - 0.75f * c.wear + 0.55f * low.n[2] + 0.12f * fine.n[0];
    const float fade = Clamp01(0.3f + 0.6f * c.wear * (0.6f + mid.n[1]));
    Rgb paint = Mix(Hex(0x9a2a1c), Hex(0xb06a58), fade);
    // Brush strokes along the grain, the grain's relief showing through, grime.
    paint =
        paint * (0.95f + 0.25f * streaks.n[1] + 0.18f * fibre - 0.12f * late + 0.25f * fine.n[2]);
    paint = Mix(paint, Hex(0x4a2a20), 0.6f * Smoothstep(0.0f, 0.6f, mid.n[2] + 0.3f * fine.n[3]));
    // Craquelure of the lacquer.
    const Cell crack = Cellular(u, v, 48, 96, c.Seed(10));
    paint =
        paint * (1.0f - 0.35f * c.Visible(96.0f) * Smoothstep(0.08f, 0.0f, crack.f2 - crack.f1));
    const Rgb ground = Hex(0x8f877a) * (0.85f + 0.2f * fibre + 0.2f * streaks.n[3] +
                                        0.35f * fine.n[1] - 0.3f * Smoothstep(0.3f, 0.5f, fibre));
    const Rgb under = Mix(wood, ground, Smoothstep(-0.25f, -0.06f, cover));
    // Small ragged dings through the paint, drawn out along the grain.
    const Cell ding = Cellular(u, v, 16, 24, c.Seed(19));
    float dinged = 0.0f;
    if (HashUnit(ding.id) < 0.15f) {
      const float r = 0.08f + 0.15f * HashUnit(Hash32(ding.id));
      const float d = std::sqrt(ding.dx * ding.dx * 2.5f + ding.dy * ding.dy * 0.5f) + 0.2f * fibre;
      dinged = Smoothstep(r, r - 0.03f, d);
    }
    const Rgb hole = Mix(ground, wood, 0.6f * HashUnit(Hash32(ding.id, 1U)));
    wood = Mix(under, Mix(paint, hole, dinged), Smoothstep(-0.02f, 0.02f, cover));
    wood = wood * (1.0f - 0.3f * Bump(cover, 0.03f));  // dark rim where the paint flaked
  }

  // Cracks (checks) along the grain: at most one per narrow column of the tile.
  const int columns = 14;
  const int col = WrapIndex(FloorInt(u * columns), columns);
  const std::uint32_t ch = Hash32(std::uint32_t(col), c.Seed(11));
  if (HashUnit(ch) < s.crack_chance) {
    const float centre = (float(col) + 0.3f + 0.4f * HashUnit(Hash32(ch))) / columns;
    const float length = 0.25f + 0.55f * HashUnit(Hash32(ch, 1U));
    const float along = Fract(v - HashUnit(Hash32(ch, 2U))) / length;
    if (along < 1.0f) {
      const float wiggle = 0.15f / columns * Fbm(0.5f, v, 1, 12, 3, ch);
      const float half = (0.0015f + 0.002f * HashUnit(Hash32(ch, 3U))) / c.metres *
                         std::sqrt(4.0f * along * (1.0f - along));
      const float d = std::fabs(u - centre - wiggle);
      wood = wood * (1.0f - 0.75f * c.Line(d, half)) * (1.0f - 0.15f * c.Line(d, 3.0f * half));
    }
  }
  // Dirt and rain streaks.
  const float dirt = 0.5f * low.n[3] + 0.5f * streaks.n[2];
  return wood * (0.92f + 0.25f * dirt * (0.5f + c.wear));
}

Rgb ShadeWood(const Ctx& c, float u, float v) {
  static constexpr WoodStyle kStyle{56,    5.0f,  Hex(0x9a7350), Hex(0x5c3d26), Hex(0x8a8478),
                                    0.05f, 0.55f, true};
  return Wood(c, u, v, kStyle);
}

Rgb ShadeRailing(const Ctx& c, float u, float v) {
  static constexpr WoodStyle kStyle{72,    4.0f, Hex(0xc9ad88), Hex(0x8c6c4c), Hex(0xb3ada2),
                                    0.25f, 0.7f, false};
  return Wood(c, u, v, kStyle);
}

// ---------------------------------------------------------------------------------------------
// Painted beam: Qing-style xuanzi caihua. Along the beam (u, 2 m per tile): a band group
// (gutou) at the tile edge, a rosette zone (zaotou) each side and the central panel (fangxin).

constexpr Rgb kBlue = {0.16f, 0.29f, 0.50f};
constexpr Rgb kGreen = {0.17f, 0.44f, 0.37f};
constexpr Rgb kRed = {0.66f, 0.19f, 0.13f};
constexpr Rgb kGold = {0.80f, 0.63f, 0.27f};
constexpr Rgb kWhite = {0.86f, 0.84f, 0.77f};
constexpr Rgb kBlack = {0.09f, 0.08f, 0.08f};

/// A rosette of radius `r` (metres) at offset (dx, dy) metres: eye, 8 inner petals, 12
/// swirling outer petals, outlines. Returns coverage in `alpha`.
Rgb Rosette(const Ctx& c, float dx, float dy, float r, Rgb primary, Rgb secondary, float* alpha) {
  const float d = std::sqrt(dx * dx + dy * dy);
  *alpha = 0.0f;
  if (d > 1.04f * r) return {};
  const float px = c.pixel * c.metres;  // one pixel in metres
  const float theta = Atan2Turns(dy, dx);
  const float p1 = Fract(theta * 8.0f);
  const float bulge1 = 1.0f - (2.0f * p1 - 1.0f) * (2.0f * p1 - 1.0f);
  const float r1 = r * (0.40f + 0.14f * bulge1);
  const float p2 = Fract(theta * 12.0f + 1.5f * d / r);
  const float bulge2 = 1.0f - (2.0f * p2 - 1.0f) * (2.0f * p2 - 1.0f);
  const float r2 = r * (0.84f + 0.14f * bulge2);
  Rgb col;
  if (d < 0.2f * r) {
    col = Mix(kRed, kGold, Smoothstep(0.12f * r, 0.08f * r, d));
  } else if (d < r1) {
    col = Mix(secondary, kWhite, 0.35f * Smoothstep(0.2f * r, r1, d));
    col = Mix(col, kBlack, Smoothstep(0.9f, 0.97f, std::fabs(2.0f * p1 - 1.0f)));
  } else if (d < r2) {
    col = Mix(primary * 1.25f, kWhite, 0.5f * Smoothstep(r1, r2, d));
    col = Mix(col, kBlack, Smoothstep(0.88f, 0.96f, std::fabs(2.0f * p2 - 1.0f)));
  } else {
    col = primary * 0.8f;
  }
  // Outlines: black on the boundaries, a white line just inside.
  const float half = 0.004f;
  float ink = 0.0f;
  for (const float rb : {0.2f * r, r1, r2}) {
    ink = std::fmax(ink, Clamp01((half - std::fabs(d - rb)) / px + 0.5f));
  }
  col = Mix(col, kWhite, Clamp01((half - std::fabs(d - r2 + 0.011f)) / px + 0.5f));
  col = Mix(col, kBlack, ink);
  *alpha = Smoothstep(1.04f * r, 0.98f * r, d);
  return col;
}

Rgb ShadePaintedBeam(const Ctx& c, float u, float v) {
  const float px = c.pixel * c.metres;
  // Hand-painted lines wobble slightly.
  const Fbm4Result wobble = Fbm4(u, v, 16, 16, 2, c.Seed(1));  // two warps
  const Fbm4Result low = Fbm4(u, v, 3, 3, 4, c.Seed(3));
  const Fbm4Result fine = Fbm4(u, v, 48, 48, c.Oct(48), c.Seed(4));
  const Warped w = {u + 0.0015f * wobble.n[0], v + 0.0015f * wobble.n[1]};
  const float x = w.u * 2.0f;          // metres along the tile
  const float yb = Fract(w.v * 4.0f);  // across the beam face, 0..1
  const int row = WrapIndex(FloorInt(w.v * 4.0f), 4);
  const float y = yb * 0.5f;            // metres across the face
  const float s = std::fabs(x - 1.0f);  // metres from the panel centre
  const int side = x < 1.0f ? 0 : 1;
  const bool blue_first = ((row + side) & 1) == 0;  // upper/lower and left/right alternate
  const Rgb primary = blue_first ? kBlue : kGreen;
  const Rgb secondary = blue_first ? kGreen : kBlue;

  Rgb col;
  if (s > 0.86f) {
    // Band group at the tile edge: stripes with stepped shading (tuiyun).
    const float e = 1.0f - s;
    if (e < 0.012f)
      col = kBlack;
    else if (e < 0.05f)
      col = Mix(primary, kWhite, 0.15f * float(FloorInt((e - 0.012f) / 0.0127f)));
    else if (e < 0.062f)
      col = kWhite;
    else if (e < 0.10f)
      col = Mix(secondary * 0.85f, kWhite, 0.13f * float(FloorInt((0.10f - e) / 0.0127f)));
    else if (e < 0.112f)
      col = kBlack;
    else if (e < 0.126f)
      col = kGold;
    else
      col = kBlack;
  } else if (s > 0.45f) {
    // Rosette zone: one whole rosette and four quarter rosettes in the corners.
    col = primary * 0.8f;
    float a = 0.0f;
    const Rgb whole = Rosette(c, s - 0.655f, y - 0.25f, 0.19f, primary, secondary, &a);
    col = Mix(col, whole, a);
    for (const float cx : {0.45f, 0.86f}) {
      for (const float cy : {0.0f, 0.5f}) {
        const Rgb q = Rosette(c, s - cx, y - cy, 0.16f, secondary, primary, &a);
        col = Mix(col, q, a);
      }
    }
  } else {
    // Central panel with pointed ends (fangxin-tou) in a frame of the secondary colour.
    const float edge = 0.36f - 0.45f * std::fabs(y - 0.25f);  // panel half-length here
    // Metres inside the panel (negative outside), ends and long sides.
    const float inside = std::fmin(edge - s, 0.19f - std::fabs(y - 0.25f));
    const bool band = inside > -0.03f;
    const bool row_blue = (row & 1) == 0;
    col = (row_blue ? kGreen : kBlue) * 0.85f;
    if (band && inside > 0.0f) {
      // Dark field with gold cloud scrolls.
      const float n = Fbm(w.u, w.v, 4, 8, 4, c.Seed(2));
      const float scroll = std::fabs(Fract(n * 5.0f) - 0.5f);
      col = Mix((row_blue ? kBlue : kGreen) * 0.7f, kGold, Smoothstep(0.1f, 0.05f, scroll) * 0.85f);
      col =
          Mix(col, kWhite, 0.6f * c.Line(std::fabs(inside - 0.03f) / c.metres, 0.004f / c.metres));
    }
    // Frame lines: black, gold, black around the panel.
    if (band) {
      const float di = std::fabs(inside);
      col = Mix(col, kGold, Clamp01((0.009f - std::fabs(di - 0.012f)) / px + 0.5f));
      col = Mix(col, kBlack, Clamp01((0.004f - di) / px + 0.5f));
    }
    // Pair of lines where the frame meets the rosette zone.
    col = Mix(col, kBlack, Clamp01((0.005f - std::fabs(s - 0.445f)) / px + 0.5f));
  }
  // Border lines along the top and bottom of the beam face.
  const float to_edge = std::fmin(y, 0.5f - y);
  col = Mix(col, kWhite, Clamp01((0.006f - std::fabs(to_edge - 0.016f)) / px + 0.5f));
  col = Mix(col, kBlack, Clamp01((0.008f - to_edge) / px + 0.5f));

  // Weathering: faded and chalky, chipped to the grey ground and the wood, dirty, crazed.
  const float fade = Clamp01(0.25f + 0.45f * c.wear + 0.5f * low.n[0]);
  col = Mix(col, Mix(col, Hex(0xa8a496), 0.55f), fade);
  col = col * (0.93f + 0.12f * fine.n[0]);
  const Cell craze = Cellular(u, v, 90, 90, c.Seed(5));
  col = col * (1.0f - 0.3f * c.Visible(90.0f) * Smoothstep(0.07f, 0.0f, craze.f2 - craze.f1));
  // Flaked paint: irregular flakes (warped cells with ragged rims) in clusters.
  const float flake = low.n[1] + 0.25f * c.wear - 0.33f;
  if (flake > -0.35f) {
    const Cell chip =
        Cellular(u + 0.012f * wobble.n[2], v + 0.012f * wobble.n[3], 30, 30, c.Seed(7));
    const float inside = flake + 0.3f * (0.55f - chip.f1) + 0.08f * fine.n[1];
    const float grain = fine.n[2];
    const Rgb ground =
        Mix(Hex(0x9a9284), Hex(0x6a5340), Smoothstep(0.2f, 0.45f, inside + 0.3f * grain)) *
        (0.9f + 0.25f * grain);
    col = Mix(col * (1.0f - 0.35f * Bump(inside, 0.05f)), ground, Smoothstep(0.0f, 0.03f, inside));
  }
  return col * (0.9f + 0.16f * low.n[2]);
}

// ---------------------------------------------------------------------------------------------
// Stone courses with mortar joints (2 m per tile): 5 courses of jittered height, 3-5 blocks
// per course, bevelled edges, speckle, tool marks, stains, lichen.

/// Boundary k (any integer) of `count` jittered divisions of [0, 1), wrapped by whole tiles.
float Boundary(int k, int count, float jitter, std::uint32_t seed) {
  const int wrapped = WrapIndex(k, count);
  const float j = jitter * (HashUnit(Hash32(std::uint32_t(wrapped), seed)) - 0.5f);
  return (float(k) + j) / float(count);
}

/// The division of [0, 1) holding x: index (wrapped), start and end (unwrapped).
struct Division {
  int index;
  float start;
  float end;
};
Division Locate(float x, int count, float jitter, std::uint32_t seed) {
  int k = FloorInt(x * float(count));
  if (x < Boundary(k, count, jitter, seed))
    --k;
  else if (x >= Boundary(k + 1, count, jitter, seed))
    ++k;
  return {WrapIndex(k, count), Boundary(k, count, jitter, seed),
          Boundary(k + 1, count, jitter, seed)};
}

Rgb ShadeStone(const Ctx& c, float u, float v) {
  const float m = c.metres;
  const Division course = Locate(Fract(v + 0.1f), 5, 0.35f, c.Seed(1));
  const std::uint32_t ch = Hash32(std::uint32_t(course.index), c.Seed(2));
  const int blocks = 3 + int(Hash32(ch) % 3U);
  const float offset = HashUnit(Hash32(ch, 1U));
  const Division block = Locate(Fract(u + offset), blocks, 0.5f, ch);
  const float bu = Fract(u + offset);
  const std::uint32_t id = Hash32(std::uint32_t(block.index), ch);

  // Distances to the joints in metres; rough, chipped edges.
  const float top = (Fract(v + 0.1f) - course.start) * m;
  const float bottom = (course.end - Fract(v + 0.1f)) * m;
  const float side = std::fmin(bu - block.start, block.end - bu) * m;
  const Fbm4Result low = Fbm4(u, v, 4, 4, 3, c.Seed(4));
  const Fbm4Result fine = Fbm4(u, v, 64, 64, c.Oct(64), c.Seed(3));
  const float rough = 0.005f * fine.n[0] + 0.004f * low.n[0];
  const float joint = std::fmin(std::fmin(top, bottom), side) + rough;
  const float half = 0.008f;

  // Block face.
  Rgb stone = Mix(Hex(0x8f8a80), Hex(0x9c8c76), HashUnit(Hash32(id, 1U)));
  stone = Mix(stone, Hex(0x7f858a), 0.5f * HashUnit(Hash32(id, 2U)));
  stone = stone * (0.8f + 0.35f * HashUnit(Hash32(id, 3U)));
  // Mottling, shifted per block so that no two blocks look alike.
  const float shift_u = HashUnit(Hash32(id, 5U));
  const float shift_v = HashUnit(Hash32(id, 6U));
  stone = stone * (1.0f + 0.12f * Fbm(u + shift_u, v + shift_v, 6, 6, 3, c.Seed(5)));
  const float speck = Fbm(u, v, 160, 160, c.Oct(160), c.Seed(6), 0.7f);
  stone = stone * (1.0f + 0.1f * speck + 0.25f * Smoothstep(0.2f, 0.45f, speck) -
                   0.3f * Smoothstep(-0.2f, -0.45f, speck));
  // Tool marks (parallel chisel grooves, ~9 mm apart), direction per block.
  const float angle = 0.1f + 0.3f * HashUnit(Hash32(id, 4U));
  const float along = (u * CosTurns(angle) + v * SinTurns(angle)) * m / 0.009f;
  const float groove = SinTurns(along + 1.2f * low.n[1]);
  stone = stone * (1.0f + 0.06f * c.Visible(m / 0.009f) * groove);
  // Bevel: lit top edge, shaded bottom edge.
  stone = stone *
          (1.0f + 0.18f * Smoothstep(0.03f, 0.0f, top) - 0.28f * Smoothstep(0.035f, 0.0f, bottom));
  // Water stains running down from the joints, and lichen.
  const float streak = Fbm(u, v, 40, 3, 4, c.Seed(8));
  const float stain = Clamp01(Smoothstep(0.25f, 0.0f, top) * 0.6f + streak * 1.5f + c.wear - 0.6f);
  stone = Mix(stone, stone * Hex(0x6d6a5e), 0.6f * stain);
  const Cell lichen = Cellular(u, v, 12, 12, c.Seed(9), 0.5f);  // points >= 0.5 cell apart
  if (HashUnit(lichen.id) < 0.05f + 0.2f * c.wear) {
    const float r = 0.08f + 0.12f * HashUnit(Hash32(lichen.id)) + 0.1f * fine.n[1];
    const Rgb tint = (lichen.id & 2U) ? Hex(0xb8b48f) : Hex(0x7d8a55);
    stone = Mix(stone, tint * (0.9f + 0.3f * speck), 0.8f * Smoothstep(r, r - 0.05f, lichen.f1));
  }
  // Mortar: lime, recessed (darker in the middle), moss in places.
  Rgb mortar = Hex(0xaaa596) * (0.85f + 0.3f * fine.n[2]);
  mortar = Mix(mortar, Hex(0x4f5a2c), Smoothstep(0.1f, 0.5f, low.n[2] + 0.4f * c.wear));
  mortar = mortar * (0.55f + 0.45f * Smoothstep(0.0f, half, joint));
  const float is_mortar = c.Line(joint, half);
  return Mix(stone, mortar, is_mortar) * (0.95f + 0.1f * low.n[3]);
}

// ---------------------------------------------------------------------------------------------
// Roof tiles (1.5 m per tile): 6 lines of round cover tiles (tongwa) down the slope with
// concave pan tiles (banwa) between, 6 courses per tile overlapping downwards.

Rgb ShadeRoofTile(const Ctx& c, float u, float v) {
  const int lines = 6;
  const int courses = 6;
  // Lines are laid by hand: not quite straight.
  const Fbm4Result low = Fbm4(u, v, 2, 2, 4, c.Seed(1));
  const Fbm4Result fine = Fbm4(u, v, 24, 24, c.Oct(24), c.Seed(3), 0.6f);
  const float cu = u * lines + 0.05f * low.n[0];
  // Cover tiles centred at half-integer cu, pan channels at integer cu.
  const float cover_half = 0.29f;                                    // of the line pitch
  const float xc = (Fract(cu) - 0.5f) / cover_half;                  // across the cover tile, -1..1
  const float xp = (Fract(cu + 0.5f) - 0.5f) / (0.5f - cover_half);  // across the channel
  const bool on_cover = std::fabs(xc) < 1.0f;
  const int line = WrapIndex(FloorInt(on_cover ? cu : cu + 0.5f), lines);

  // Courses: cover tile ends and pan tile ends at different offsets.
  const std::uint32_t lh = Hash32(std::uint32_t(line), c.Seed(on_cover ? 2U : 14U));
  // Pan tiles show a third of their length (three ends per cover tile), their ends curved.
  const int per_course = on_cover ? courses : 3 * courses;
  const float course_shift = on_cover ? 0.3f + 0.4f * HashUnit(lh) : 0.5f + 0.1f * xp * xp;
  const float cv = v * float(per_course) + course_shift + 0.06f * GradientNoise(u, v, 12, 6, lh);
  const int course = WrapIndex(FloorInt(cv), per_course);
  const float w = Fract(cv);  // 0 just below the tile above, 1 at this tile's lower end
  const std::uint32_t tile = Hash32(std::uint32_t(course), lh + (on_cover ? 7U : 13U));

  // Fired grey clay, each tile its own shade; the odd replaced tile.
  Rgb clay = Mix(Hex(0x5d6064), Hex(0x66615a), HashUnit(Hash32(tile, 1U)));
  clay = clay * (0.8f + 0.35f * HashUnit(tile));
  if (HashUnit(Hash32(tile, 2U)) < 0.04f) clay = Hex(0x86888a);
  clay = clay * (1.0f + 0.12f * fine.n[0]);

  float shade;
  float moss_bias;
  if (on_cover) {
    // Convex: lit from the upper left, dark where it sits on the pans.
    const float nz = std::sqrt(std::fmax(0.0f, 1.0f - xc * xc));
    shade = 0.25f + 0.85f * std::fmax(0.0f, 0.45f * -xc + 0.85f * nz);
    shade *= 1.0f - 0.5f * Smoothstep(0.75f, 1.0f, std::fabs(xc));
    // Shadow of the tile above on this one, lit lip at this tile's lower end.
    shade *= 1.0f - 0.45f * Smoothstep(0.08f, 0.0f, w);
    shade *= 1.0f + 0.25f * Smoothstep(0.9f, 0.98f, w) * Smoothstep(1.0f, 0.985f, w);
    moss_bias = -0.15f + 0.3f * Smoothstep(0.6f, 1.0f, w);
  } else {
    // Concave channel: lit on the side facing the light (the right), occluded under the
    // cover tiles.
    shade = 0.5f + 0.2f * xp + 0.15f * (1.0f - xp * xp);
    shade *= 1.0f - 0.75f * Smoothstep(0.55f, 1.0f, std::fabs(xp));
    shade *= 1.0f - 0.4f * Smoothstep(0.06f, 0.0f, w);
    shade *= 1.0f + 0.2f * Smoothstep(0.92f, 0.99f, w);
    moss_bias = 0.15f;
  }
  Rgb col = clay * shade;

  // Dirt streaks running down the slope, lichen dots, moss in the channels and at tile ends.
  const float streak = Fbm(u, v, 36, 3, 4, c.Seed(4));
  col = col * (0.95f + 0.35f * streak);
  const Cell dot = Cellular(u, v, 40, 40, c.Seed(5), 0.5f);  // points >= 0.5 cell apart
  if (HashUnit(dot.id) < 0.15f * c.wear + 0.03f) {
    const float r = 0.06f + 0.14f * HashUnit(Hash32(dot.id));
    col = Mix(col, Hex(0xa9a98e), 0.6f * Smoothstep(r, r - 0.06f, dot.f1 + 0.1f * fine.n[2]));
  }
  const float clump = fine.n[1];
  const float moss = low.n[1] + moss_bias + 0.4f * c.wear - 0.55f + 0.35f * clump;
  const Rgb moss_col = Mix(Hex(0x2f3818), Hex(0x66703a), Smoothstep(-0.3f, 0.4f, clump));
  col = Mix(col, moss_col * (0.6f + 0.5f * shade), Smoothstep(0.0f, 0.12f, moss));
  return col;
}

// ---------------------------------------------------------------------------------------------
// Lime plaster (2 m per tile): trowel patches, sand grain, water stains, cracks, spalls.

Rgb ShadePlaster(const Ctx& c, float u, float v) {
  const Fbm4Result low = Fbm4(u, v, 3, 3, 4, c.Seed(6));
  const Fbm4Result warp = Fbm4(u, v, 8, 8, 4, c.Seed(1));
  const Fbm4Result fine = Fbm4(u, v, 48, 48, c.Oct(48), c.Seed(4), 0.75f);
  Rgb col = Hex(0xd8d0bd);
  // Trowel patches: cells with their own level and a faint ridge at their edges.
  const Cell trowel = Cellular(u + 0.02f * warp.n[0], v + 0.02f * warp.n[1], 9, 9, c.Seed(2));
  col = col * (0.95f + 0.08f * HashUnit(trowel.id));
  col = col * (1.0f + 0.06f * Smoothstep(0.12f, 0.0f, trowel.f2 - trowel.f1));
  col = col * (1.0f + 0.1f * low.n[0]);
  // Sand grain.
  col = col * (1.0f + 0.16f * fine.n[0]);
  // Water stains: grey-brown, running down.
  const float run = Fbm(u, v, 20, 2, 4, c.Seed(5)) + 0.6f * low.n[1];
  col = Mix(col, col * Hex(0x9d907a), Smoothstep(0.0f, 0.5f, run + 0.4f * c.wear - 0.2f));
  // Spalls: the plaster has fallen off, showing the coarse brown-grey base coat.
  const float spall = low.n[2] + 0.08f * fine.n[1] + 0.25f * c.wear - 0.42f;
  if (spall > -0.03f) {
    const Rgb base = Hex(0x857868) * (0.85f + 0.4f * fine.n[2]);
    col = Mix(col * (1.0f - 0.4f * Bump(spall, 0.03f)), base, Smoothstep(0.0f, 0.02f, spall));
  }
  // Cracks: a sparse network along warped cell edges.
  const Cell crack = Cellular(u + 0.03f * warp.n[2], v + 0.03f * warp.n[3], 5, 5, c.Seed(11));
  const float crack_mask = low.n[3] + 0.6f * fine.n[3] + 0.3f * c.wear - 0.2f;
  if (crack_mask > 0.0f) {
    const float d = (crack.f2 - crack.f1) / 5.0f / 2.0f;  // tile units
    const float half = 0.0005f + 0.001f * Smoothstep(0.0f, 0.3f, crack_mask);
    col = col * (1.0f - 0.6f * c.Line(d, half) * Smoothstep(0.0f, 0.1f, crack_mask));
  }
  return col;
}

// ---------------------------------------------------------------------------------------------
// Bronze with patina (0.5 m per tile): cast dimples, pits, green verdigris with drips.

Rgb ShadeMetal(const Ctx& c, float u, float v) {
  const Fbm4Result low = Fbm4(u, v, 4, 4, 4, c.Seed(1), 0.6f);
  const Fbm4Result fine = Fbm4(u, v, 16, 16, c.Oct(16), c.Seed(9), 0.65f);
  const float tone = low.n[0] + 0.3f * fine.n[3];
  Rgb col = Mix(Hex(0x2a251b), Hex(0x5c4c34), Smoothstep(-0.4f, 0.4f, tone));
  // Mottled oxide: darker and reddish (cuprite) blotches at several scales.
  const float oxide = fine.n[0];
  col = Mix(col * (1.0f + 0.3f * oxide), Hex(0x4a2e1e), 0.35f * Smoothstep(0.15f, 0.4f, oxide));
  // Hammered/cast dimples, lit from the upper left.
  const Cell dent = Cellular(u, v, 14, 14, c.Seed(2));
  col = col * (1.0f + 0.5f * (0.6f * dent.dx - 0.8f * dent.dy) * Smoothstep(0.9f, 0.3f, dent.f1));
  // Worn, rubbed bronze.
  const float rub = low.n[1];
  col = Mix(col, Hex(0x7a5e36), 0.8f * Smoothstep(0.3f, 0.55f, rub));
  // Patina in patches and drips running down.
  const float drip = Fbm(u, v, 24, 3, 4, c.Seed(5));
  const float patina = Fbm(u + 0.05f * low.n[2], v + 0.05f * low.n[3], 3, 3, 6, c.Seed(6)) +
                       0.6f * drip + 0.4f * c.wear - 0.3f;
  const float powder = fine.n[1];
  const Rgb green =
      Mix(Hex(0x3f6e5c), Hex(0x86ae96), Smoothstep(-0.5f, 0.6f, 0.5f * powder + drip)) *
      (0.92f + 0.2f * powder);
  col = Mix(col * (1.0f - 0.45f * Bump(patina, 0.08f)), green, Smoothstep(0.0f, 0.06f, patina));
  // Pits and fine grain.
  const float pit = Fbm(u, v, 64, 64, c.Oct(64), c.Seed(8), 0.7f);
  col = col * (1.0f - 0.6f * Smoothstep(0.25f, 0.45f, pit) + 0.15f * powder + 0.25f * pit +
               0.15f * fine.n[2]);
  return col;
}

// ---------------------------------------------------------------------------------------------
// Ground (4 m per tile): paving slabs in running bond, gravel, grass and bare soil in patches.

Rgb Gravel(const Ctx& c, float u, float v, float base) {
  Rgb col = Hex(0x7d7366) * (0.85f + 0.6f * base);
  for (const int freq : {100, 36}) {
    const Cell p = Cellular(u, v, freq, freq, c.Seed(std::uint32_t(21 + freq)), 0.9f);
    const float gap = 0.06f + 0.1f * HashUnit(Hash32(p.id, 1U));  // between packed stones
    if (freq == 36 && HashUnit(p.id) > 0.15f) continue;           // the odd larger stone
    const float k = HashUnit(Hash32(p.id, 2U));
    Rgb stone = k < 0.5f ? Mix(Hex(0x9b968d), Hex(0xc2b8a6), 2.0f * k)
                         : Mix(Hex(0x8a7560), Hex(0x5f5c58), 2.0f * k - 1.0f);
    // Rounded pebbles lit from the upper left.
    const float edge = p.f2 - p.f1;
    stone =
        stone * (0.75f - 0.35f * (p.dx * 0.7f + p.dy * 0.7f) + 0.35f * Smoothstep(gap, 0.6f, edge));
    col = Mix(col, stone, c.Visible(float(freq)) * Smoothstep(gap, gap + 0.08f, edge));
  }
  return col;
}

Rgb ShadeGround(const Ctx& c, float u, float v) {
  const Fbm4Result low = Fbm4(u, v, 2, 2, 4, c.Seed(1));
  const Fbm4Result mid = Fbm4(u, v, 8, 8, 3, c.Seed(5));
  const Fbm4Result fine = Fbm4(u, v, 32, 32, c.Oct(32), c.Seed(3), 0.75f);
  const float region = Fbm(u + 0.08f * low.n[0], v + 0.08f * low.n[1], 2, 2, 5, c.Seed(2));
  const float edge = 0.05f * fine.n[0];

  // Grass: clumps, blades at the finest scales, dry patches and bare soil.
  const float clumps = fine.n[1];
  const Rgb green = Mix(Hex(0x3e5221), Hex(0x6f7d36), Smoothstep(-0.3f, 0.4f, clumps));
  const Rgb dry = Hex(0x8d8050) * (0.8f + 0.4f * clumps);
  Rgb grass = Mix(green, dry, Smoothstep(0.0f, 0.3f, low.n[2] + 0.2f * c.wear));
  grass = grass * (0.75f + 0.6f * Smoothstep(-0.4f, 0.5f, clumps));
  const Rgb soil = Hex(0x5e4b37) * (0.8f + 0.4f * fine.n[2]);
  grass = Mix(grass, soil, Smoothstep(0.15f, 0.35f, mid.n[0]));

  const float pave_w = Smoothstep(0.08f, 0.12f, region + edge);
  const float grass_w = Smoothstep(-0.12f, -0.18f, region + edge);
  Rgb col = pave_w < 1.0f && grass_w < 1.0f ? Gravel(c, u, v, fine.n[3]) : Rgb{};
  if (pave_w > 0.0f) {
    // 0.5 x 0.4 m slabs in running bond, worn, with grass and dirt in the joints.
    const float pv = Fract(v + 0.05f);  // no joints on the tile edges
    const Division row = Locate(pv, 10, 0.1f, c.Seed(8));
    const float shift = (row.index & 1) ? 0.75f / 8.0f : 0.25f / 8.0f;
    const float su =
        Fract(u + shift + 0.01f * HashUnit(Hash32(std::uint32_t(row.index), c.Seed(9))));
    const Division col8 = Locate(su, 8, 0.15f, Hash32(std::uint32_t(row.index), c.Seed(10)));
    const std::uint32_t id =
        Hash32(std::uint32_t(col8.index), std::uint32_t(row.index), c.Seed(11));
    const float joint = std::fmin(std::fmin(pv - row.start, row.end - pv),
                                  std::fmin(su - col8.start, col8.end - su)) *
                            c.metres +
                        0.012f * fine.n[0];
    Rgb slab =
        Mix(Hex(0x8a8780), Hex(0x9a8f7e), HashUnit(id)) * (0.8f + 0.35f * HashUnit(Hash32(id)));
    // Worn surface: mottling, grain, pits; lit near edge, shaded far edge.
    slab = slab * (1.0f + 0.12f * mid.n[1]);
    const float grain = fine.n[3] + 0.6f * Fbm(u, v, 128, 128, c.Oct(128), c.Seed(15), 0.7f);
    slab = slab * (1.0f + 0.22f * grain - 0.35f * Smoothstep(0.3f, 0.5f, grain));
    slab = slab * (1.0f + 0.12f * Smoothstep(0.03f, 0.0f, (pv - row.start) * c.metres) -
                   0.2f * Smoothstep(0.03f, 0.0f, (row.end - pv) * c.metres));
    const Rgb gap = Mix(Hex(0x3b3328), grass * 0.8f, Smoothstep(-0.2f, 0.3f, clumps));
    const Rgb paving = Mix(slab, gap, c.Line(joint, 0.009f));
    col = Mix(col, paving, pave_w);
  }
  col = Mix(col, grass, grass_w);
  return col * (0.9f + 0.2f * low.n[3]);
}

using Shader = Rgb (*)(const Ctx&, float, float);

Shader ShaderFor(MaterialKind kind) {
  switch (kind) {
    case MaterialKind::kWood:
      return ShadeWood;
    case MaterialKind::kPaintedBeam:
      return ShadePaintedBeam;
    case MaterialKind::kStone:
      return ShadeStone;
    case MaterialKind::kRoofTile:
      return ShadeRoofTile;
    case MaterialKind::kPlaster:
      return ShadePlaster;
    case MaterialKind::kRailing:
      return ShadeRailing;
    case MaterialKind::kMetal:
      return ShadeMetal;
    case MaterialKind::kGround:
      return ShadeGround;
  }
  MUTA_FAIL << "unknown material kind " << int(kind);
  return nullptr;
}

}  // namespace

std::string_view MaterialName(MaterialKind kind) {
  switch (kind) {
    case MaterialKind::kWood:
      return "wood";
    case MaterialKind::kPaintedBeam:
      return "painted_beam";
    case MaterialKind::kStone:
      return "stone";
    case MaterialKind::kRoofTile:
      return "roof_tile";
    case MaterialKind::kPlaster:
      return "plaster";
    case MaterialKind::kRailing:
      return "railing";
    case MaterialKind::kMetal:
      return "metal";
    case MaterialKind::kGround:
      return "ground";
  }
  MUTA_FAIL << "unknown material kind " << int(kind);
  return {};
}

double MaterialTileMetres(MaterialKind kind) {
  switch (kind) {
    case MaterialKind::kWood:
      return 1.0;  // ~56 growth rings, a few knots
    case MaterialKind::kPaintedBeam:
      return 2.0;  // one band group + two rosette zones + panel
    case MaterialKind::kStone:
      return 2.0;  // 5 courses, 3-5 blocks each
    case MaterialKind::kRoofTile:
      return 1.5;  // 6 tile lines x 6 courses (0.25 m)
    case MaterialKind::kPlaster:
      return 2.0;  // trowel patches ~0.2 m, a few spalls and cracks
    case MaterialKind::kRailing:
      return 1.0;  // ~72 growth rings
    case MaterialKind::kMetal:
      return 0.5;  // dimples ~3.5 cm, patina patches
    case MaterialKind::kGround:
      return 4.0;  // 8 x 10 paving slabs of 0.5 x 0.4 m, 4 cm gravel
  }
  MUTA_FAIL << "unknown material kind " << int(kind);
  return 0.0;
}

Image MakeTexture(MaterialKind kind, int size, std::uint64_t seed) {
  MUTA_CHECK(size >= 8 && size <= 16384)
      << "texture size " << size << " is out of range: use 8 to 16384 pixels";
  const Shader shader = ShaderFor(kind);
  Ctx ctx;
  ctx.size = size;
  ctx.metres = float(MaterialTileMetres(kind));
  ctx.pixel = 1.0f / float(size);
  ctx.base = LayerSeed(seed, 0x51a7e000U + std::uint32_t(kind));
  ctx.wear = 0.15f + 0.75f * HashUnit(LayerSeed(seed, 0x3ea7U));
  Image image(size, size, 3);
  tbb::parallel_for(tbb::blocked_range<int>(0, size, 8), [&](const tbb::blocked_range<int>& rows) {
    for (int y = rows.begin(); y != rows.end(); ++y) {
      const float v = (float(y) + 0.5f) * ctx.pixel;
      std::uint8_t* out = &image.at(0, y, 0);
      for (int x = 0; x < size; ++x) {
        const Rgb c = shader(ctx, (float(x) + 0.5f) * ctx.pixel, v);
        out[3 * x + 0] = std::uint8_t(Clamp01(c.r) * 255.0f + 0.5f);
        out[3 * x + 1] = std::uint8_t(Clamp01(c.g) * 255.0f + 0.5f);
        out[3 * x + 2] = std::uint8_t(Clamp01(c.b) * 255.0f + 0.5f);
      }
    }
  });
  return image;
}

}  // namespace muta::synth
