#include "tools/synth/textures.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <set>
#include <string>

#include "core/error.h"
#include "tools/synth/noise.h"

namespace muta::synth {
namespace {

constexpr double kPi = 3.14159265358979323846;

constexpr MaterialKind kAllKinds[] = {MaterialKind::kWood,    MaterialKind::kPaintedBeam,
                                      MaterialKind::kStone,   MaterialKind::kRoofTile,
                                      MaterialKind::kPlaster, MaterialKind::kRailing,
                                      MaterialKind::kMetal,   MaterialKind::kGround};

/// Mean absolute difference over all rows and channels between columns x0 and x1.
double ColumnDifference(const Image& image, int x0, int x1) {
  double sum = 0.0;
  for (int y = 0; y < image.height; ++y) {
    for (int c = 0; c < 3; ++c) sum += std::abs(int(image.at(x0, y, c)) - int(image.at(x1, y, c)));
  }
  return sum / (3.0 * image.height);
}

/// Mean absolute difference over all columns and channels between rows y0 and y1.
double RowDifference(const Image& image, int y0, int y1) {
  double sum = 0.0;
  for (int x = 0; x < image.width; ++x) {
    for (int c = 0; c < 3; ++c) sum += std::abs(int(image.at(x, y0, c)) - int(image.at(x, y1, c)));
  }
  return sum / (3.0 * image.width);
}

struct Seam {
  double wrap_u = 0.0;    ///< mean absolute difference from the last column to the first
  double inside_u = 0.0;  ///< the same between neighbouring columns, averaged over the image
  double wrap_v = 0.0;    ///< from the last row to the first
  double inside_v = 0.0;  ///< between neighbouring rows
};

Seam MeasureSeam(const Image& image) {
  Seam seam;
  for (int i = 0; i + 1 < image.width; ++i) seam.inside_u += ColumnDifference(image, i, i + 1);
  for (int i = 0; i + 1 < image.height; ++i) seam.inside_v += RowDifference(image, i, i + 1);
  seam.inside_u /= image.width - 1;
  seam.inside_v /= image.height - 1;
  seam.wrap_u = ColumnDifference(image, image.width - 1, 0);
  seam.wrap_v = RowDifference(image, image.height - 1, 0);
  return seam;
}

/// The image averaged over `factor` x `factor` blocks.
Image Shrink(const Image& image, int factor) {
  Image small(image.width / factor, image.height / factor, 3);
  for (int y = 0; y < small.height; ++y) {
    for (int x = 0; x < small.width; ++x) {
      for (int c = 0; c < 3; ++c) {
        int sum = 0;
        for (int dy = 0; dy < factor; ++dy) {
          for (int dx = 0; dx < factor; ++dx) sum += image.at(x * factor + dx, y * factor + dy, c);
        }
        small.at(x, y, c) = std::uint8_t((sum + factor * factor / 2) / (factor * factor));
      }
    }
  }
  return small;
}

double Luma(const Image& image, int x, int y) {
  return 0.299 * image.at(x, y, 0) + 0.587 * image.at(x, y, 1) + 0.114 * image.at(x, y, 2);
}

struct PatchStats {
  double min_stddev = 1e9;    ///< smallest luma standard deviation over the patches
  double min_gradient = 1e9;  ///< smallest mean |dx| + |dy| of luma over the patches
};

/// Luma statistics over a grid of `patch` x `patch` pixel patches covering the image.
PatchStats MeasurePatches(const Image& image, int patch) {
  PatchStats stats;
  for (int py = 0; py + patch <= image.height; py += patch) {
    for (int px = 0; px + patch <= image.width; px += patch) {
      double sum = 0.0;
      double sum2 = 0.0;
      double gradient = 0.0;
      for (int y = py; y < py + patch; ++y) {
        for (int x = px; x < px + patch; ++x) {
          const double l = Luma(image, x, y);
          sum += l;
          sum2 += l * l;
          gradient += std::abs(Luma(image, (x + 1) % image.width, y) - l) +
                      std::abs(Luma(image, x, (y + 1) % image.height) - l);
        }
      }
      const double n = double(patch) * patch;
      const double mean = sum / n;
      stats.min_stddev =
          std::min(stats.min_stddev, std::sqrt(std::max(0.0, sum2 / n - mean * mean)));
      stats.min_gradient = std::min(stats.min_gradient, gradient / n);
    }
  }
  return stats;
}

}  // namespace

TEST_CASE("MakeTexture: every material is a size x size RGB image", "[unit][synth]") {
  for (const MaterialKind kind : kAllKinds) {
    for (const int size : {8, 100, 256}) {
      const Image image = MakeTexture(kind, size, 1);
      INFO(MaterialName(kind) << " at " << size);
      CHECK(image.width == size);
      CHECK(image.height == size);
      CHECK(image.channels == 3);
      CHECK(image.pixels.size() == std::size_t(size) * size * 3);
    }
  }
  CHECK_THROWS_AS(MakeTexture(MaterialKind::kWood, 0, 1), Error);
  CHECK_THROWS_AS(MakeTexture(MaterialKind::kWood, -5, 1), Error);
}

TEST_CASE("MaterialName and MaterialTileMetres cover every material", "[unit][synth]") {
  std::set<std::string> names;
  for (const MaterialKind kind : kAllKinds) {
    names.insert(std::string(MaterialName(kind)));
    CHECK(MaterialTileMetres(kind) > 0.1);
    CHECK(MaterialTileMetres(kind) < 10.0);
  }
  CHECK(names == std::set<std::string>{"wood", "painted_beam", "stone", "roof_tile", "plaster",
                                       "railing", "metal", "ground"});
}

TEST_CASE("MakeTexture is deterministic for a seed and varies with it", "[unit][synth]") {
  for (const MaterialKind kind : kAllKinds) {
    INFO(MaterialName(kind));
    const Image a = MakeTexture(kind, 128, 42);
    const Image b = MakeTexture(kind, 128, 42);
    CHECK(a.pixels == b.pixels);
    const Image c = MakeTexture(kind, 128, 43);
    std::size_t differing = 0;
    for (std::size_t i = 0; i < a.pixels.size(); ++i) differing += a.pixels[i] != c.pixels[i];
    CHECK(differing > a.pixels.size() / 2);
  }
}

TEST_CASE("Texture noise is the same on every platform", "[unit][synth]") {
  // Golden values (the same with GCC and clang, -O0 to -O3, with and without FMA): a change
  // here changes every synthetic scene, so update them only on purpose.
  CHECK(Hash32(0U) == 0U);
  CHECK(Hash32(1U) == 0x688990c0U);
  CHECK(Hash32(12345U, 678U) == 0xca79c732U);
  CHECK(GradientNoise(0.3f, 0.7f, 4, 4, 9U) == -0x1.633306p-2f);
  CHECK(ValueNoise(0.3f, 0.7f, 4, 4, 9U) == 0x1.ed15cp-2f);
  CHECK(Fbm(0.61f, 0.2f, 3, 5, 6, 77U) == 0x1.9c1294p-4f);
  CHECK(Fbm4(0.61f, 0.2f, 3, 5, 6, 77U).n[3] == -0x1.49a186p-5f);
  const Cell cell = Cellular(0.3f, 0.7f, 4, 4, 9U);
  CHECK(cell.f1 == 0x1.c3d1aap-2f);
  CHECK(Cellular(0.61f, 0.2f, 3, 5, 77U).id == 1751244995U);
  CHECK(CosTurns(0.1f) == Approx(std::cos(0.2 * kPi)).margin(1e-6));
  CHECK(SinTurns(0.3f) == Approx(std::sin(0.6 * kPi)).margin(1e-6));
  CHECK(Atan2Turns(-1.0f, -2.0f) ==
        Approx(std::atan2(-1.0, -2.0) / (2.0 * kPi) + 1.0).margin(3e-6));
  CHECK(Atan2Turns(3.0f, 0.5f) == Approx(std::atan2(3.0, 0.5) / (2.0 * kPi)).margin(3e-6));
  // Every material at 64 pixels, FNV-1a over their bytes.
  std::uint64_t hash = 1469598103934665603ULL;
  for (const MaterialKind kind : kAllKinds) {
    for (const std::uint8_t byte : MakeTexture(kind, 64, 5).pixels) {
      hash = (hash ^ byte) * 1099511628211ULL;
    }
  }
  CHECK(hash == 0x8997e13c17f14baeULL);
}

TEST_CASE("Texture noise is periodic over one tile", "[unit][synth]") {
  for (const float u : {0.0f, 0.13f, 0.5f, 0.97f}) {
    for (const float v : {0.0f, 0.31f, 0.77f}) {
      CHECK(GradientNoise(u + 1.0f, v, 5, 3, 1U) ==
            Approx(GradientNoise(u, v, 5, 3, 1U)).margin(1e-4));
      CHECK(GradientNoise(u, v - 1.0f, 5, 3, 1U) ==
            Approx(GradientNoise(u, v, 5, 3, 1U)).margin(1e-4));
      CHECK(ValueNoise(u - 2.0f, v + 1.0f, 7, 2, 1U) ==
            Approx(ValueNoise(u, v, 7, 2, 1U)).margin(1e-4));
      CHECK(Fbm(u + 1.0f, v + 1.0f, 3, 3, 4, 1U) == Approx(Fbm(u, v, 3, 3, 4, 1U)).margin(1e-4));
      CHECK(Cellular(u + 1.0f, v, 6, 4, 1U).f1 == Approx(Cellular(u, v, 6, 4, 1U).f1).margin(1e-4));
      CHECK(Cellular(u, v + 1.0f, 6, 4, 1U).id == Cellular(u, v, 6, 4, 1U).id);
      const Fbm4Result a = Fbm4(u, v, 2, 3, 4, 1U);
      const Fbm4Result b = Fbm4(u - 1.0f, v + 1.0f, 2, 3, 4, 1U);
      for (int k = 0; k < 4; ++k) CHECK(a.n[k] == Approx(b.n[k]).margin(1e-4));
      const Warped w = Warp(u, v, 0.1f, 4, 3, 1U);
      const Warped w1 = Warp(u + 1.0f, v, 0.1f, 4, 3, 1U);
      CHECK(w1.u - 1.0f == Approx(w.u).margin(1e-4));
      CHECK(w1.v == Approx(w.v).margin(1e-4));
    }
  }
}

TEST_CASE("MakeTexture tiles seamlessly", "[unit][synth]") {
  // Across the wrap (last column to first, last row to first) the texture changes no more than
  // between neighbouring columns and rows inside, at full resolution and block-averaged (where
  // only the large-scale structure is left and a seam would stand out).
  for (const MaterialKind kind : kAllKinds) {
    for (const std::uint64_t seed : {1U, 2U, 3U}) {
      const Image image = MakeTexture(kind, 256, seed);
      for (const Image& level : {image, Shrink(image, 4)}) {
        const Seam seam = MeasureSeam(level);
        INFO(MaterialName(kind) << " seed " << seed << " at " << level.width
                                << ": across the u wrap " << seam.wrap_u << " vs " << seam.inside_u
                                << " inside; across the v wrap " << seam.wrap_v << " vs "
                                << seam.inside_v);
        CHECK(seam.wrap_u < 1.5 * seam.inside_u + 0.5);
        CHECK(seam.wrap_v < 1.5 * seam.inside_v + 0.5);
      }
    }
  }
}

TEST_CASE("The seam check finds a seam", "[unit][synth]") {
  // A texture cut short does not wrap: the block-averaged check must see it.
  for (const MaterialKind kind : kAllKinds) {
    const Image image = MakeTexture(kind, 256, 1);
    Image cut(192, 192, 3);
    for (int y = 0; y < 192; ++y) {
      for (int x = 0; x < 192; ++x) {
        for (int c = 0; c < 3; ++c) cut.at(x, y, c) = image.at(x, y, c);
      }
    }
    const Seam seam = MeasureSeam(Shrink(cut, 4));
    INFO(MaterialName(kind) << ": across the u wrap " << seam.wrap_u << " vs " << seam.inside_u
                            << " inside; across the v wrap " << seam.wrap_v << " vs "
                            << seam.inside_v);
    CHECK((seam.wrap_u > 1.6 * seam.inside_u || seam.wrap_v > 1.6 * seam.inside_v));
  }
}

TEST_CASE("MakeTexture has detail everywhere", "[unit][synth]") {
  // No flat areas: every 1/16 x 1/16 patch of the tile has luma contrast and gradients, at
  // two resolutions (the finest octaves follow the resolution) and several weathering levels.
  struct Case {
    int size;
    std::uint64_t seed;
  };
  for (const MaterialKind kind : kAllKinds) {
    for (const Case& test : {Case{256, 1}, Case{256, 2}, Case{256, 3}, Case{512, 4}}) {
      const PatchStats stats =
          MeasurePatches(MakeTexture(kind, test.size, test.seed), test.size / 16);
      INFO(MaterialName(kind) << " at " << test.size << " seed " << test.seed << ": min stddev "
                              << stats.min_stddev << ", min gradient " << stats.min_gradient);
      CHECK(stats.min_stddev > 3.0);
      CHECK(stats.min_gradient > 1.5);
    }
  }
}

}  // namespace muta::synth
