// Per-tile texture atlases in the site bundle, end to end: a pagoda textured by `muta texture`
// (its real atlas), exported; every tile carries a smaller atlas than the source, the finest
// level's textures together stay well below tiles x atlas, and the tiles render (EGL) like the
// source model from the photographs' viewpoints.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include <catch2/catch.hpp>

#include "core/gltf_io.h"
#include "core/image_io.h"
#include "core/json.h"
#include "core/site_io.h"
#include "core/workspace.h"
#include "tests/export_atlas_util.h"
#include "tests/test_util.h"

namespace muta::test {
namespace {

namespace fs = std::filesystem;

// PSNR over the pixels where either image differs from the background (the top-left pixel of
// `reference`): the building's pixels.
double ForegroundPsnr(const Image& a, const Image& reference) {
  REQUIRE(a.width == reference.width);
  REQUIRE(a.height == reference.height);
  REQUIRE(a.channels == reference.channels);
  const int c = a.channels;
  double se = 0;
  std::size_t n = 0;
  for (std::size_t p = 0; p < a.pixels.size(); p += std::size_t(c)) {
    bool foreground = false;
    for (int k = 0; k < c; ++k) {
      foreground = foreground ||
                   reference.pixels[p + std::size_t(k)] != reference.pixels[std::size_t(k)] ||
                   a.pixels[p + std::size_t(k)] != reference.pixels[std::size_t(k)];
    }
    if (!foreground) continue;
    for (int k = 0; k < c; ++k) {
      const double d =
          double(a.pixels[p + std::size_t(k)]) - double(reference.pixels[p + std::size_t(k)]);
      se += d * d;
    }
    n += std::size_t(c);
  }
  REQUIRE(n > a.pixels.size() / 20);  // the building fills a good part of the view
  const double mse = se / double(n);
  return mse > 0 ? 10 * std::log10(255.0 * 255.0 / mse) : 99.0;
}

}  // namespace

TEST_CASE("muta export cuts a per-tile atlas for every tile and it renders like the source",
          "[gl]") {
  TempDir dir("export-texture");
  const fs::path synth = dir.path() / "synth";
  auto r = RunMuta({"synth", "--scene", "pagoda", "--images", "8", "--size", "400x300", "--seed",
                    "2", "--texture-size", "128", "-o", synth.string(), "--progress", "none"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  // A workspace holding what the mesh stage leaves; `muta texture` bakes the real atlas.
  const fs::path ws = dir.path() / "ws";
  const fs::path textured = muta::test::TexturedWorkspace(synth, ws);
  const GlbContent source = ReadGlb(textured);
  REQUIRE(source.base_color_texture);
  const Image& atlas = *source.base_color_texture;

  const fs::path site = dir.path() / "site";
  r = RunMuta({"export", "--mesh", textured.string(), "-o", site.string(), "--tile-triangles",
               "3000", "--texture-format", "png", "--json", "--progress", "none"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const Json summary = ParseJson(r.out, "muta export --json");
  INFO(summary.dump(1));
  const Json& levels = summary["levels"];
  REQUIRE(levels.size() >= 3);

  // Every tile: its own atlas, smaller than the source's, UVs inside it.
  const fs::path tileset_path = site / "tileset.json";
  const Tileset tileset = ReadTileset(tileset_path);
  const int leaf_depth = tileset.MaxDepth();
  std::size_t leaves = 0;
  std::uint64_t leaf_pixels = 0;
  for (const TilesetTile& tile : tileset.tiles) {
    CAPTURE(tile.content_uri);
    const TileContent content = ReadTileGlb(TileContentPath(tileset_path, tile));
    REQUIRE(content.base_color_texture.has_value());
    const Image& t = *content.base_color_texture;
    CHECK(std::uint64_t(t.width) * t.height < std::uint64_t(atlas.width) * atlas.height);
    const bool inside =
        std::all_of(content.mesh.uvs.begin(), content.mesh.uvs.end(), [](const Vec2f& uv) {
          return uv.x() >= -1e-4f && uv.x() <= 1.0001f && uv.y() >= -1e-4f && uv.y() <= 1.0001f;
        });
    CHECK(inside);
    if (tile.depth == leaf_depth) {
      ++leaves;
      leaf_pixels += std::uint64_t(t.width) * t.height;
    }
  }
  REQUIRE(leaves >= 4);
  // The finest level together: well below one whole atlas per tile (the old layout).
  const Json& finest = levels[levels.size() - 1];
  const double atlas_bytes = summary["source_texture_bytes"].get<double>();
  CHECK(finest["texture_bytes"].get<double>() < 0.5 * double(leaves) * atlas_bytes);
  CHECK(double(leaf_pixels) < 0.5 * double(leaves) * atlas.width * atlas.height);
  // Coarser levels never get finer texels.
  for (std::size_t d = 1; d < levels.size(); ++d) {
    CHECK(levels[d - 1]["texel_m"].get<double>() >= levels[d]["texel_m"].get<double>());
  }

  // Rendering from one of the photographs' cameras: the finest tiles (screen-space error ~0)
  // and the root tile alone against model.glb (the source atlas and UVs), PSNR on the
  // building's pixels.
  double worst_tiles = 99, worst_root = 99;
  for (const char* image : {"view_005.jpg"}) {
    CAPTURE(image);
    auto render = [&](const fs::path& what, std::vector<std::string> extra, const char* name) {
      const fs::path out = dir.path() / (std::string(name) + "_" + image + ".png");
      std::vector<std::string> args = {
          "render",       what.string(), "--camera", (synth / "gt/sparse").string(),
          "--image",      image,         "-o",       out.string(),
          "--no-shadows", "--progress",  "none"};
      args.insert(args.end(), extra.begin(), extra.end());
      const CommandResult rr = RunMuta(args);
      INFO(rr.err);
      REQUIRE(rr.exit_code == 0);
      return ReadImage(out);
    };
    const Image model = render(site / "model.glb", {}, "model");
    const Image tiles = render(site, {"--max-sse", "0.01"}, "tiles");
    const Image root = render(site, {"--max-sse", "1000"}, "root");
    const double p_tiles = ForegroundPsnr(tiles, model), p_root = ForegroundPsnr(root, model);
    std::printf(
        "per-tile atlases, %s: PSNR on the building, finest tiles vs model.glb %.2f dB, "
        "root tile vs model.glb %.2f dB\n",
        image, p_tiles, p_root);
    worst_tiles = std::min(worst_tiles, p_tiles);
    worst_root = std::min(worst_root, p_root);
  }
  std::printf("per-tile atlases: %zu leaves, finest level %.0f texture bytes vs %.0f x %zu\n",
              leaves, finest["texture_bytes"].get<double>(), atlas_bytes, leaves);
  CHECK(worst_tiles > 30.0);
  CHECK(worst_root > 20.0);

  // Downsampled coarse levels. At the default error bound the upper levels' geometric errors
  // stay below 8 source texels – the viewers (and CesiumJS) draw them from so close that the
  // source texels are already magnified – so every level keeps the source texel size. With a
  // 20x coarser bound the upper levels are drawn only from afar and their atlases shrink:
  // texel = max(source, geometricError / 8), fewer texels than the finest level.
  const fs::path coarse_site = dir.path() / "site-coarse";
  r = RunMuta({"export", "--mesh", textured.string(), "-o", coarse_site.string(),
               "--tile-triangles", "3000", "--lod-error", "0.1", "--texture-format", "png",
               "--no-model", "--json", "--progress", "none"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const Json coarse = ParseJson(r.out, "muta export --json");
  INFO(coarse.dump(1));
  const Json& coarse_levels = coarse["levels"];
  REQUIRE(coarse_levels.size() >= 3);
  const double source_texel = coarse["source_texel_m"].get<double>();
  REQUIRE(source_texel > 0);
  const Json& root_level = coarse_levels[0];
  // The setup: the root's error asks for texels well above the source's.
  REQUIRE(root_level["geometric_error_m"].get<double>() / 8 > 1.5 * source_texel);
  for (const Json& level : coarse_levels) {
    CAPTURE(level["depth"].get<int>());
    const double wanted = std::max(source_texel, level["geometric_error_m"].get<double>() / 8);
    CHECK(level["texel_m"].get<double>() >= 0.97 * wanted);
  }
  const double finest_pixels =
      coarse_levels[coarse_levels.size() - 1]["texture_pixels"].get<double>();
  CHECK(root_level["texel_m"].get<double>() > 1.5 * source_texel);
  CHECK(root_level["texture_pixels"].get<double>() < 0.5 * finest_pixels);
  CHECK(root_level["texture_bytes"].get<double>() <
        0.7 * coarse_levels[coarse_levels.size() - 1]["texture_bytes"].get<double>());
  for (std::size_t d = 1; d < coarse_levels.size(); ++d) {
    CHECK(coarse_levels[d - 1]["texture_pixels"].get<double>() <=
          coarse_levels[d]["texture_pixels"].get<double>());
  }
  std::printf(
      "per-tile atlases, --lod-error 0.1: root %.0f texels (texel %.1f mm), finest "
      "level %.0f texels (source texel %.1f mm)\n",
      root_level["texture_pixels"].get<double>(), 1000 * root_level["texel_m"].get<double>(),
      finest_pixels, 1000 * source_texel);
}

}  // namespace muta::test
