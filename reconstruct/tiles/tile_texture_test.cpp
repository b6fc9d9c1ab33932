// Per-tile texture atlases: a tile's atlas holds only its charts, at the level's texel size, and
// sampling it at the remapped UVs gives what the source atlas gives at the original UVs.
#include "reconstruct/tiles/tile_texture.h"

#include <algorithm>
#include <cmath>
#include <random>

#include <catch2/catch.hpp>

namespace muta::reconstruct {
namespace {

// A 8 m x 4 m plane of 2 * nx * ny triangles in two charts (left and right half, 2 m apart in
// UV), mapped into a 256 x 128 source atlas at 1 texel per ~4 cm; the atlas is a smooth colour
// field plus a fine stripe pattern, the gap between charts grey.
struct Scene {
  Mesh mesh;
  Image atlas;
};

Scene MakeScene(int nx, int ny) {
  Scene s;
  s.atlas = Image(256, 128, 3, 128);
  for (int y = 0; y < 128; ++y) {
    for (int x = 0; x < 256; ++x) {
      s.atlas.at(x, y, 0) = static_cast<std::uint8_t>(x);
      s.atlas.at(x, y, 1) = static_cast<std::uint8_t>(2 * y);
      s.atlas.at(x, y, 2) = static_cast<std::uint8_t>(((x / 3) % 2) ? 200 : 40);
    }
  }
  // Chart A: x in [0, 4] m -> u in [0.02, 0.47]; chart B: x in [4, 8] m -> u in [0.53, 0.98].
  auto add_chart = [&](float x0, float u0) {
    const auto base = static_cast<std::uint32_t>(s.mesh.vertices.size());
    for (int j = 0; j <= ny; ++j) {
      for (int i = 0; i <= nx; ++i) {
        const float fx = float(i) / float(nx), fy = float(j) / float(ny);
        s.mesh.vertices.emplace_back(x0 + 4 * fx, 4 * fy, 0.0f);
        s.mesh.uvs.emplace_back(u0 + 0.45f * fx, 0.05f + 0.9f * fy);
      }
    }
    auto id = [&](int i, int j) { return base + static_cast<std::uint32_t>(j * (nx + 1) + i); };
    for (int j = 0; j < ny; ++j) {
      for (int i = 0; i < nx; ++i) {
        s.mesh.faces.emplace_back(id(i, j), id(i + 1, j), id(i + 1, j + 1));
        s.mesh.faces.emplace_back(id(i, j), id(i + 1, j + 1), id(i, j + 1));
      }
    }
  };
  add_chart(0, 0.02f);
  add_chart(4, 0.53f);
  return s;
}

// Bilinear sample at a Muta UV (v up), clamped.
Eigen::Vector3d SampleUv(const Image& im, const Vec2f& uv) {
  const double x = uv.x() * im.width - 0.5, y = (1.0 - uv.y()) * im.height - 0.5;
  const int x0 = std::clamp(int(std::floor(x)), 0, im.width - 1);
  const int y0 = std::clamp(int(std::floor(y)), 0, im.height - 1);
  const int x1 = std::min(x0 + 1, im.width - 1), y1 = std::min(y0 + 1, im.height - 1);
  const double tx = std::clamp(x - std::floor(x), 0.0, 1.0);
  const double ty = std::clamp(y - std::floor(y), 0.0, 1.0);
  Eigen::Vector3d out;
  for (int c = 0; c < 3; ++c) {
    out[c] = (1 - ty) * ((1 - tx) * im.at(x0, y0, c) + tx * im.at(x1, y0, c)) +
             ty * ((1 - tx) * im.at(x0, y1, c) + tx * im.at(x1, y1, c));
  }
  return out;
}

Vec2f TileUv(const TileTexture& t, std::uint32_t vertex) {
  const auto it = std::lower_bound(t.vertices.begin(), t.vertices.end(), vertex);
  REQUIRE((it != t.vertices.end() && *it == vertex));
  return t.uvs[std::size_t(it - t.vertices.begin())];
}

}  // namespace

TEST_CASE("a tile atlas holds only the tile's charts and samples like the source",
          "[unit][export]") {
  const Scene s = MakeScene(16, 16);
  const SourceTexture source = PrepareSourceTexture(s.atlas, s.mesh);
  // 4 m of mesh over 0.45 * 256 texels.
  CHECK(source.texel_m == Approx(4.0 / (0.45 * 256)).epsilon(0.01));
  REQUIRE(source.mips.size() == 9);  // 256x128 down to 1x1

  // The tile: a quarter of chart A (a strip of triangles).
  std::vector<Face> faces;
  for (std::size_t f = 0; f < s.mesh.NumFaces() / 2; ++f) {
    const Vec3f& a = s.mesh.vertices[s.mesh.faces[f][0]];
    if (a.x() < 2 && a.y() < 2) faces.push_back(s.mesh.faces[f]);
  }
  const TileTexture t = BuildTileTexture(source, s.mesh, faces, 0.0);
  CHECK(t.scale == 1.0);
  INFO(t.image.width << "x" << t.image.height);
  CHECK(t.image.width * t.image.height < s.atlas.width * s.atlas.height / 6);

  // Points inside every triangle: the tile atlas at the remapped UV is the source at the
  // original UV (same texels, only moved).
  std::mt19937 rng(1);
  std::uniform_real_distribution<double> unit(0, 1);
  double worst = 0;
  for (const Face& f : faces) {
    for (int k = 0; k < 4; ++k) {
      double a = unit(rng), b = unit(rng);
      if (a + b > 1) a = 1 - a, b = 1 - b;
      const auto mix = [&](const Vec2f& p, const Vec2f& q, const Vec2f& r) {
        return Vec2f(float((1 - a - b) * p.x() + a * q.x() + b * r.x()),
                     float((1 - a - b) * p.y() + a * q.y() + b * r.y()));
      };
      const Vec2f src = mix(s.mesh.uvs[f[0]], s.mesh.uvs[f[1]], s.mesh.uvs[f[2]]);
      const Vec2f dst = mix(TileUv(t, f[0]), TileUv(t, f[1]), TileUv(t, f[2]));
      worst =
          std::max(worst, (SampleUv(t.image, dst) - SampleUv(s.atlas, src)).cwiseAbs().maxCoeff());
    }
  }
  CHECK(worst < 1.0);  // scale 1: the same texels, bilinear alike
  for (const Vec2f& uv : t.uvs) {
    CHECK((uv.x() >= 0 && uv.x() <= 1 && uv.y() >= 0 && uv.y() <= 1));
  }
}

TEST_CASE("coarser tiles get downsampled atlases, capped in size", "[unit][export]") {
  const Scene s = MakeScene(8, 8);
  const SourceTexture source = PrepareSourceTexture(s.atlas, s.mesh);
  const std::vector<Face> all = s.mesh.faces;
  const TileTexture fine = BuildTileTexture(source, s.mesh, all, 0.0);
  // Geometric error 0.8 m -> texels of 0.1 m (0.8 x 0.125); the source has 0.035 m.
  const TileTexture coarse = BuildTileTexture(source, s.mesh, all, 0.8);
  CHECK(fine.scale == 1.0);
  CHECK(coarse.texel_m == Approx(0.1).epsilon(0.01));
  CHECK(coarse.image.width * coarse.image.height < fine.image.width * fine.image.height);
  // Both charts, side by side, no bigger than the used part of the source.
  CHECK(fine.image.width * fine.image.height <= s.atlas.width * s.atlas.height);
  // The smooth colour field survives downsampling at the charts' centres.
  for (std::uint32_t v : {std::uint32_t(4 * 9 + 4), std::uint32_t(81 + 4 * 9 + 4)}) {
    const Eigen::Vector3d a = SampleUv(s.atlas, s.mesh.uvs[v]);
    const Eigen::Vector3d b = SampleUv(coarse.image, TileUv(coarse, v));
    CHECK(std::abs(a[0] - b[0]) < 6);
    CHECK(std::abs(a[1] - b[1]) < 6);
  }
  TileTextureOptions capped;
  capped.max_size_px = 64;
  const TileTexture small = BuildTileTexture(source, s.mesh, all, 0.0, capped);
  CHECK(std::max(small.image.width, small.image.height) <= 64);
  CHECK(small.scale < 1.0);
}

TEST_CASE("faces with collapsed UVs keep the source's colour there", "[unit][export]") {
  Scene s = MakeScene(4, 4);
  // Restoration's inferred faces without a texture: every UV at 0 (the atlas' neutral corner).
  const auto base = static_cast<std::uint32_t>(s.mesh.vertices.size());
  for (int k = 0; k < 3; ++k) {
    s.mesh.vertices.emplace_back(float(k), 5.0f + float(k % 2), 1.0f);
    s.mesh.uvs.emplace_back(0.0f, 0.0f);
  }
  s.mesh.faces.emplace_back(base, base + 1, base + 2);
  for (int x = 0; x < 4; ++x) {
    for (int y = 124; y < 128; ++y) {
      for (int c = 0; c < 3; ++c) s.atlas.at(x, y, c) = 128;  // the neutral grey corner
    }
  }
  const SourceTexture source = PrepareSourceTexture(s.atlas, s.mesh);
  const TileTexture t = BuildTileTexture(source, s.mesh, s.mesh.faces, 0.0);
  const Eigen::Vector3d c = SampleUv(t.image, TileUv(t, base));
  CHECK((c - Eigen::Vector3d::Constant(128)).cwiseAbs().maxCoeff() < 2);
}

}  // namespace muta::reconstruct
