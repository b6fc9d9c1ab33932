// Per-tile texture atlases: charts of the tile's triangles cut out of the source atlas, scaled
// to the tile's texel size and shelf-packed (see tile_texture.h).

#include "reconstruct/tiles/tile_texture.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include <Eigen/Geometry>

#include "core/error.h"

namespace muta::reconstruct {
namespace {

Image HalfSize(const Image& in) {
  const int w = std::max(1, in.width / 2), h = std::max(1, in.height / 2);
  Image out(w, h, in.channels);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      const int x0 = std::min(2 * x, in.width - 1), x1 = std::min(2 * x + 1, in.width - 1);
      const int y0 = std::min(2 * y, in.height - 1), y1 = std::min(2 * y + 1, in.height - 1);
      for (int c = 0; c < in.channels; ++c) {
        const int sum = in.at(x0, y0, c) + in.at(x1, y0, c) + in.at(x0, y1, c) + in.at(x1, y1, c);
        out.at(x, y, c) = static_cast<std::uint8_t>((sum + 2) / 4);
      }
    }
  }
  return out;
}

int Clamp(double i, int n) {
  return static_cast<int>(std::clamp(i, 0.0, double(n - 1)));
}

// Bilinear sample at continuous pixel coordinates (pixel k covers [k, k + 1)), clamped to the
// edge (atlas UVs lie in [0, 1]).
void Sample(const Image& image, double x, double y, std::uint8_t* out) {
  const double fx = x - 0.5, fy = y - 0.5;
  const double x0f = std::floor(fx), y0f = std::floor(fy);
  const double tx = fx - x0f, ty = fy - y0f;
  const int x0 = Clamp(x0f, image.width), x1 = Clamp(x0f + 1, image.width);
  const int y0 = Clamp(y0f, image.height), y1 = Clamp(y0f + 1, image.height);
  for (int c = 0; c < image.channels; ++c) {
    const double v = (1 - ty) * ((1 - tx) * image.at(x0, y0, c) + tx * image.at(x1, y0, c)) +
                     ty * ((1 - tx) * image.at(x0, y1, c) + tx * image.at(x1, y1, c));
    out[c] = static_cast<std::uint8_t>(std::clamp(std::lround(v), 0L, 255L));
  }
}

struct UnionFind {
  std::vector<std::uint32_t> parent;
  explicit UnionFind(std::size_t n) : parent(n) {
    std::iota(parent.begin(), parent.end(), std::uint32_t{0});
  }
  std::uint32_t Find(std::uint32_t i) {
    while (parent[i] != i) i = parent[i] = parent[parent[i]];
    return i;
  }
  void Unite(std::uint32_t a, std::uint32_t b) {
    a = Find(a);
    b = Find(b);
    if (a != b) parent[std::max(a, b)] = std::min(a, b);
  }
};

struct Chart {
  double min_x = 1e300, min_y = 1e300, max_x = -1e300, max_y = -1e300;  // source pixels
  int w = 0, h = 0;  // packed rectangle, padding included
  int x = 0, y = 0;  // its corner in the tile atlas
};

// Shelf packing, tallest first; returns the atlas size.
std::pair<int, int> Pack(std::vector<Chart>& charts) {
  std::vector<std::size_t> order(charts.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return charts[a].h != charts[b].h ? charts[a].h > charts[b].h : charts[a].w > charts[b].w;
  });
  double area = 0;
  int widest = 1;
  for (const Chart& c : charts) {
    area += double(c.w) * c.h;
    widest = std::max(widest, c.w);
  }
  const int width = std::max(widest, static_cast<int>(std::ceil(std::sqrt(area * 1.1))));
  int x = 0, y = 0, shelf = 0, used_w = 0;
  for (std::size_t i : order) {
    Chart& c = charts[i];
    if (x + c.w > width) {
      y += shelf;
      x = 0;
      shelf = 0;
    }
    c.x = x;
    c.y = y;
    x += c.w;
    used_w = std::max(used_w, x);
    shelf = std::max(shelf, c.h);
  }
  auto round4 = [](int v) { return (std::max(v, 1) + 3) & ~3; };
  return {round4(used_w), round4(y + shelf)};
}

}  // namespace

SourceTexture PrepareSourceTexture(const Image& atlas, const Mesh& mesh) {
  MUTA_CHECK(!atlas.Empty() && atlas.channels == 3)
      << "the texture must be a non-empty RGB image (" << atlas.width << "x" << atlas.height << ", "
      << atlas.channels << " channels)";
  MUTA_CHECK(mesh.uvs.size() == mesh.vertices.size())
      << "a textured mesh needs one UV per vertex (" << mesh.uvs.size() << " UVs, "
      << mesh.vertices.size() << " vertices)";
  SourceTexture s;
  s.mips.push_back(atlas);
  while (s.mips.back().width > 1 || s.mips.back().height > 1) {
    s.mips.push_back(HalfSize(s.mips.back()));
  }
  // Texel size: the area-weighted 25th percentile of the triangles' own texel sizes
  // (sqrt(3D area / UV area in texels)). Triangles without texture share a small neutral chart
  // and would make a mean far too coarse.
  std::vector<std::pair<double, double>> texel_area;  // (texel size, 3D area)
  double total = 0;
  for (const Face& f : mesh.faces) {
    const Vec3f& a = mesh.vertices[f[0]];
    const double area_m2 =
        0.5 * double((mesh.vertices[f[1]] - a).cross(mesh.vertices[f[2]] - a).norm());
    const Vec2f e1 = mesh.uvs[f[1]] - mesh.uvs[f[0]], e2 = mesh.uvs[f[2]] - mesh.uvs[f[0]];
    const double area_px = 0.5 * std::abs(double(e1.x()) * e2.y() - double(e1.y()) * e2.x()) *
                           atlas.width * atlas.height;
    if (!(area_m2 > 0 && area_px > 1e-6) || !std::isfinite(area_m2 / area_px)) continue;
    texel_area.emplace_back(std::sqrt(area_m2 / area_px), area_m2);
    total += area_m2;
  }
  std::sort(texel_area.begin(), texel_area.end());
  double sum = 0;
  for (const auto& [texel, area] : texel_area) {
    sum += area;
    s.texel_m = texel;
    if (sum >= 0.25 * total) break;
  }
  return s;
}

TileTexture BuildTileTexture(const SourceTexture& source, const Mesh& mesh,
                             std::span<const Face> faces, double geometric_error_m,
                             const TileTextureOptions& options) {
  MUTA_INTERNAL_CHECK(!source.mips.empty() && !faces.empty());
  const Image& atlas = source.mips[0];
  TileTexture out;

  // Local vertices and charts (connected through shared vertices).
  for (const Face& f : faces) out.vertices.insert(out.vertices.end(), {f[0], f[1], f[2]});
  std::sort(out.vertices.begin(), out.vertices.end());
  out.vertices.erase(std::unique(out.vertices.begin(), out.vertices.end()), out.vertices.end());
  const std::size_t n = out.vertices.size();
  auto local = [&](std::uint32_t g) {
    return static_cast<std::uint32_t>(
        std::lower_bound(out.vertices.begin(), out.vertices.end(), g) - out.vertices.begin());
  };
  UnionFind uf(n);
  for (const Face& f : faces) {
    const std::uint32_t a = local(f[0]);
    uf.Unite(a, local(f[1]));
    uf.Unite(a, local(f[2]));
  }
  std::vector<std::uint32_t> chart_of(n);
  std::vector<std::int64_t> chart_id(n, -1);
  std::vector<Chart> charts;
  std::vector<Eigen::Vector2d> px(n);  // source pixel coordinates (y down)
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint32_t root = uf.Find(static_cast<std::uint32_t>(i));
    if (chart_id[root] < 0) {
      chart_id[root] = static_cast<std::int64_t>(charts.size());
      charts.emplace_back();
    }
    chart_of[i] = static_cast<std::uint32_t>(chart_id[root]);
    const Vec2f& uv = mesh.uvs[out.vertices[i]];
    const double u = std::isfinite(uv.x()) ? uv.x() : 0, v = std::isfinite(uv.y()) ? uv.y() : 0;
    px[i] = Eigen::Vector2d(u * atlas.width, (1.0 - v) * atlas.height);
    Chart& c = charts[chart_of[i]];
    c.min_x = std::min(c.min_x, px[i].x());
    c.max_x = std::max(c.max_x, px[i].x());
    c.min_y = std::min(c.min_y, px[i].y());
    c.max_y = std::max(c.max_y, px[i].y());
  }

  // Charts start on a source texel corner, so that at scale 1 the tile's texels are copies.
  for (Chart& c : charts) {
    c.min_x = std::floor(c.min_x);
    c.min_y = std::floor(c.min_y);
  }

  // Scale: the level's texel size, then shrink until the atlas fits.
  const double wanted_texel = std::max(source.texel_m, geometric_error_m * options.texel_per_error);
  double scale = wanted_texel > 0 && source.texel_m > 0 ? source.texel_m / wanted_texel : 1.0;
  scale = std::min(scale, 1.0);
  const int pad = options.padding_px;
  std::pair<int, int> size;
  for (int attempt = 0;; ++attempt) {
    for (Chart& c : charts) {
      c.w = static_cast<int>(std::ceil((c.max_x - c.min_x) * scale)) + 1 + 2 * pad;
      c.h = static_cast<int>(std::ceil((c.max_y - c.min_y) * scale)) + 1 + 2 * pad;
    }
    size = Pack(charts);
    const int side = std::max(size.first, size.second);
    if (side <= options.max_size_px || attempt >= 20) break;
    scale *= 0.97 * double(options.max_size_px) / side;
  }
  MUTA_CHECK(std::max(size.first, size.second) <= options.max_size_px)
      << "a tile's " << charts.size() << " texture charts do not fit a " << options.max_size_px
      << " px atlas; lower --tile-triangles";
  out.scale = scale;
  out.texel_m = source.texel_m / scale;

  // Fill: every rectangle samples its chart's source region (padding reads beyond it).
  const int level = std::clamp(static_cast<int>(std::floor(std::log2(1.0 / scale))), 0,
                               static_cast<int>(source.mips.size()) - 1);
  const Image& src = source.mips[std::size_t(level)];
  const double to_level_x = double(src.width) / atlas.width;
  const double to_level_y = double(src.height) / atlas.height;
  out.image = Image(size.first, size.second, 3);
  for (const Chart& c : charts) {
    for (int y = 0; y < c.h; ++y) {
      for (int x = 0; x < c.w; ++x) {
        const double sx = c.min_x + (x + 0.5 - pad) / scale;
        const double sy = c.min_y + (y + 0.5 - pad) / scale;
        Sample(src, sx * to_level_x, sy * to_level_y, &out.image.at(c.x + x, c.y + y, 0));
      }
    }
  }

  // Remapped UVs (Muta convention, v up).
  out.uvs.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    const Chart& c = charts[chart_of[i]];
    const double x = c.x + pad + (px[i].x() - c.min_x) * scale;
    const double y = c.y + pad + (px[i].y() - c.min_y) * scale;
    out.uvs[i] = Vec2f(static_cast<float>(x / out.image.width),
                       static_cast<float>(1.0 - y / out.image.height));
  }
  return out;
}

}  // namespace muta::reconstruct
