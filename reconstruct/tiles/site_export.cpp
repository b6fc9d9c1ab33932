// The site bundle: LOD tree -> tiles/*.glb, tileset.json, model.glb, site.json, written into a
// temporary folder and swapped into place.

#include "reconstruct/tiles/site_export.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <numbers>

#include <spdlog/spdlog.h>
#include <tbb/parallel_for.h>
#include <Eigen/Geometry>

#include "core/error.h"
#include "core/file_io.h"
#include "core/progress.h"
#include "core/site_io.h"
#include "core/version.h"
#include "core/workspace.h"
#include "reconstruct/tiles/site_levels.h"
#include "reconstruct/tiles/tile_glb.h"

namespace muta::reconstruct {
namespace fs = std::filesystem;

namespace {

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

Json Vec(const Eigen::Vector3d& v) {
  return Json::array({v.x(), v.y(), v.z()});
}

// Removes a temporary bundle folder unless released.
class TempDirGuard {
 public:
  explicit TempDirGuard(fs::path path) : path_(std::move(path)) {}
  ~TempDirGuard() {
    if (!path_.empty()) {
      std::error_code ec;
      fs::remove_all(path_, ec);
    }
  }
  TempDirGuard(const TempDirGuard&) = delete;
  TempDirGuard& operator=(const TempDirGuard&) = delete;
  void Release() { path_.clear(); }

 private:
  fs::path path_;
};

// Refuses to replace a folder that is not a site bundle.
void CheckTarget(const fs::path& site) {
  if (!fs::exists(site)) return;
  MUTA_CHECK(fs::is_directory(site))
      << site.string() << " exists and is not a folder; choose another output folder";
  const bool empty = fs::is_empty(site);
  MUTA_CHECK(empty || fs::exists(site / "site.json"))
      << site.string()
      << " exists and is not a Muta site bundle (no site.json); choose another output folder "
         "or remove it – export replaces only a previous bundle";
}

// Moves `temp` to `target`, replacing a previous bundle there: an atomic exchange when the file
// system supports it, else two renames (the old bundle is removed only after the new one is in
// place).
void SwapIntoPlace(const fs::path& temp, const fs::path& target) {
  std::error_code ec;
  if (!fs::exists(target)) {
    fs::rename(temp, target, ec);
    MUTA_CHECK(!ec) << "cannot move the new bundle to " << target.string() << ": " << ec.message();
    return;
  }
  if (::renameat2(AT_FDCWD, temp.c_str(), AT_FDCWD, target.c_str(), RENAME_EXCHANGE) == 0) {
    fs::remove_all(temp, ec);  // now holds the previous bundle
    return;
  }
  const fs::path old = TempPathFor(target);
  fs::rename(target, old, ec);
  MUTA_CHECK(!ec) << "cannot move the previous bundle " << target.string()
                  << " aside: " << ec.message();
  fs::rename(temp, target, ec);
  if (ec) {
    std::error_code ignored;
    fs::rename(old, target, ignored);
    MUTA_FAIL << "cannot move the new bundle to " << target.string() << ": " << ec.message();
  }
  fs::remove_all(old, ec);
}

std::string TileUri(const LodNode& node, std::size_t index_in_level) {
  return "tiles/" + std::to_string(node.depth) + "_" + std::to_string(index_in_level) + ".glb";
}

// 3D Tiles box: centre and three half-axis vectors (z-up), padded by `pad` metres.
Json TilesBox(const Box3f& box, double pad) {
  const Eigen::Vector3d c = box.Center().cast<double>();
  const Eigen::Vector3d h = (0.5 * box.Size().cast<double>()).array() + pad;
  return Json::array({c.x(), c.y(), c.z(), h.x(), 0, 0, 0, h.y(), 0, 0, 0, h.z()});
}

struct ClassFigures {
  std::size_t triangles = 0;
  double area = 0;
  double confidence_sum = 0;
};

Json ProvenanceSummary(const Mesh& mesh, std::size_t& inferred) {
  std::array<ClassFigures, 5> figures{};
  inferred = 0;
  for (std::size_t f = 0; f < mesh.NumFaces(); ++f) {
    const Provenance p = mesh.provenance.empty() ? Provenance::kObserved : mesh.provenance[f];
    const float c = mesh.confidence.empty() ? 1.0f : mesh.confidence[f];
    const Face& face = mesh.faces[f];
    const Vec3f& a = mesh.vertices[face[0]];
    const double area =
        0.5 * double((mesh.vertices[face[1]] - a).cross(mesh.vertices[face[2]] - a).norm());
    ClassFigures& fig = figures[std::min<std::size_t>(static_cast<std::size_t>(p), 4)];
    ++fig.triangles;
    fig.area += area;
    fig.confidence_sum += c;
    if (IsInferred(p)) ++inferred;
  }
  Json classes = Json::object();
  double total_area = 0, inferred_area = 0;
  for (std::size_t i = 0; i < figures.size(); ++i) {
    const ClassFigures& fig = figures[i];
    total_area += fig.area;
    if (i != 0) inferred_area += fig.area;
    if (fig.triangles == 0) continue;
    classes[std::string(ProvenanceName(static_cast<Provenance>(i)))] = {
        {"triangles", fig.triangles},
        {"area_m2", fig.area},
        {"mean_confidence", fig.confidence_sum / double(fig.triangles)}};
  }
  return {{"triangles", mesh.NumFaces()},
          {"inferred_triangles", inferred},
          {"area_m2", total_area},
          {"inferred_area_fraction", total_area > 0 ? inferred_area / total_area : 0.0},
          {"classes", classes}};
}

// The default three-quarter view (azimuth 35 degrees from the front (-y), 25 degrees up),
// framing the bounding sphere with a 40-degree field of view.
Json DefaultViewpoint(const Box3f& box) {
  const Eigen::Vector3d centre = box.Center().cast<double>();
  const double radius = std::max(0.5 * double(box.Size().norm()), 1e-3);
  const double fov_deg = 40;
  const double distance = 1.05 * radius / std::sin(fov_deg * std::numbers::pi / 360);
  const double a = 35 * std::numbers::pi / 180, e = 25 * std::numbers::pi / 180;
  const Eigen::Vector3d dir(std::cos(e) * std::sin(a), -std::cos(e) * std::cos(a), std::sin(e));
  return {{"name", "three-quarter"},
          {"description", "Default view: the whole site from the front right, above"},
          {"eye", Vec(centre + distance * dir)},
          {"target", Vec(centre)},
          {"up", Json::array({0, 0, 1})},
          {"fov_deg", fov_deg}};
}

}  // namespace

void SiteExportOptions::Check() const {
  lod.Check();
  MUTA_CHECK(texture_format == "jpeg" || texture_format == "png")
      << "SiteExportOptions.texture_format must be \"jpeg\" or \"png\", not \"" << texture_format
      << "\"";
  MUTA_CHECK(tile_texture.max_size_px >= 16 && tile_texture.padding_px >= 0 &&
             tile_texture.padding_px <= 16 && tile_texture.texel_per_error >= 0)
      << "SiteExportOptions.tile_texture: max_size_px must be >= 16, padding_px 0..16 and "
         "texel_per_error >= 0";
  MUTA_CHECK(compression == "meshopt" || compression == "none")
      << "SiteExportOptions.compression must be \"meshopt\" or \"none\", not \"" << compression
      << "\"";
}

Json SiteExportSummary::ToJson() const {
  Json levels_json = Json::array();
  for (const SiteLevelFigures& l : levels) {
    levels_json.push_back({{"depth", l.depth},
                           {"tiles", l.tiles},
                           {"triangles", l.triangles},
                           {"geometric_error_m", l.geometric_error_m},
                           {"position_step_m", l.position_step_m},
                           {"texture_bytes", l.texture_bytes},
                           {"texture_pixels", l.texture_pixels},
                           {"texel_m", l.texel_m}});
  }
  return {{"triangles", triangles},
          {"inferred_triangles", inferred_triangles},
          {"groups", groups},
          {"tiles", tiles},
          {"levels", levels_json},
          {"bytes", bytes},
          {"tile_bytes", tile_bytes},
          {"source_texel_m", source_texel_m},
          {"source_texture_bytes", source_texture_bytes},
          {"lod_seconds", lod_seconds},
          {"write_seconds", write_seconds},
          {"total_seconds", total_seconds}};
}

SiteExportSummary ExportSite(const Mesh& mesh, const std::optional<Image>& texture,
                             const fs::path& site_dir, const SiteExportOptions& options,
                             Progress& progress) {
  const auto start = std::chrono::steady_clock::now();
  options.Check();
  fs::path site = fs::absolute(site_dir).lexically_normal();
  if (site.filename().empty()) site = site.parent_path();  // "out/site/" -> "out/site"
  CheckTarget(site);
  MUTA_CHECK(!texture || !mesh.uvs.empty())
      << "a texture was given but the mesh has no texture coordinates";

  SiteExportSummary summary;
  summary.triangles = mesh.NumFaces();
  const LodTree tree = BuildLodTree(mesh, options.lod, progress);
  summary.lod_seconds = tree.seconds;
  summary.groups = tree.groups.size();
  summary.tiles = tree.nodes.size();
  const auto write_start = std::chrono::steady_clock::now();

  const fs::path temp = TempPathFor(site);
  fs::create_directories(temp / "tiles");
  TempDirGuard guard(temp);

  std::vector<std::uint8_t> texture_bytes;
  std::string texture_mime;
  if (texture) {
    texture_bytes = EncodeImage(*texture, options.texture_format);
    texture_mime = options.texture_format == "jpeg" ? "image/jpeg" : "image/png";
  }
  const std::string generator = "Muta " MUTA_VERSION_STRING;

  // Per level: the quantisation grid, shared by the level's tiles.
  const int depth = tree.depth;
  summary.levels.resize(std::size_t(depth) + 1);
  std::vector<std::size_t> level_first(std::size_t(depth) + 1);
  for (int d = 0; d <= depth; ++d) {
    SiteLevelFigures& level = summary.levels[std::size_t(d)];
    level.depth = d;
    level_first[std::size_t(d)] = (std::size_t{1} << d) - 1;
    level.tiles = std::size_t{1} << d;
    double extent = 0;
    for (std::size_t i = 0; i < level.tiles; ++i) {
      const LodNode& node = tree.nodes[level_first[std::size_t(d)] + i];
      extent = std::max(extent, double(node.box.Size().maxCoeff()));
      level.triangles += node.faces.size();
      level.geometric_error_m = std::max(level.geometric_error_m, node.geometric_error_m);
    }
    level.position_step_m = QuantizationStep(extent);
  }

  // Per-tile atlases cut from the source texture (tile_texture.h).
  // A repeating texture (UVs beyond [0, 1], e.g. a material tile) has no charts to cut: every
  // tile keeps it whole.
  const bool atlas_uvs =
      std::all_of(tree.mesh.uvs.begin(), tree.mesh.uvs.end(), [](const Vec2f& uv) {
        return uv.x() >= -1e-3f && uv.x() <= 1.001f && uv.y() >= -1e-3f && uv.y() <= 1.001f;
      });
  std::optional<SourceTexture> source_texture;
  if (texture && !atlas_uvs) {
    spdlog::info("the texture repeats (UVs beyond [0, 1]): every tile keeps it whole");
  } else if (texture) {
    source_texture = PrepareSourceTexture(*texture, tree.mesh);
    summary.source_texel_m = source_texture->texel_m;
    summary.source_texture_bytes = texture_bytes.size();
  }

  // Tiles, in parallel.
  std::atomic<std::uint64_t> bytes{0};
  std::vector<std::uint64_t> tile_texture_bytes(tree.nodes.size(), 0);
  std::vector<std::uint64_t> tile_texture_pixels(tree.nodes.size(), 0);
  std::vector<double> tile_texel(tree.nodes.size(), 0);
  progress.Begin("tiles", tree.nodes.size(), "tiles");
  tbb::parallel_for(std::size_t{0}, tree.nodes.size(), [&](std::size_t i) {
    if (InterruptRequested()) return;
    const LodNode& node = tree.nodes[i];
    TileGlbOptions glb;
    glb.position_step_m = summary.levels[std::size_t(node.depth)].position_step_m;
    glb.texture_mime = texture_mime;
    glb.generator = generator;
    glb.meshopt = options.compression == "meshopt";
    TileTexture tile_texture;
    std::vector<std::uint8_t> tile_texture_encoded;
    if (texture && !source_texture) glb.texture = texture_bytes;
    if (source_texture) {
      tile_texture = BuildTileTexture(*source_texture, tree.mesh, node.faces,
                                      node.geometric_error_m, options.tile_texture);
      tile_texture_encoded = EncodeImage(tile_texture.image, options.texture_format);
      glb.texture = tile_texture_encoded;
      glb.uv_vertices = tile_texture.vertices;
      glb.uvs = tile_texture.uvs;
      tile_texture_bytes[i] = tile_texture_encoded.size();
      tile_texture_pixels[i] =
          std::uint64_t(tile_texture.image.width) * std::uint64_t(tile_texture.image.height);
      tile_texel[i] = tile_texture.texel_m;
    }
    const std::vector<std::uint8_t> data = EncodeTileGlb(tree, node.faces, glb);
    WriteFileAtomic(temp / TileUri(node, i - level_first[std::size_t(node.depth)]), data);
    bytes += data.size();
    progress.Advance();
  });
  CheckInterrupted();
  progress.End();
  summary.tile_bytes = bytes;
  for (std::size_t i = 0; i < tree.nodes.size(); ++i) {
    SiteLevelFigures& level = summary.levels[std::size_t(tree.nodes[i].depth)];
    level.texture_bytes += tile_texture_bytes[i];
    level.texture_pixels += tile_texture_pixels[i];
    level.texel_m = std::max(level.texel_m, tile_texel[i]);
  }

  // tileset.json, built bottom-up so that children are ready before their parent.
  std::vector<Json> tiles(tree.nodes.size());
  for (std::size_t k = tree.nodes.size(); k-- > 0;) {
    const LodNode& node = tree.nodes[k];
    const double pad = summary.levels[std::size_t(node.depth)].position_step_m;
    Json tile = {{"boundingVolume", {{"box", TilesBox(node.box, pad)}}},
                 {"geometricError", node.geometric_error_m},
                 {"content", {{"uri", TileUri(node, k - level_first[std::size_t(node.depth)])}}}};
    if (k == 0) tile["refine"] = "REPLACE";
    if (!node.children.empty()) {
      Json children = Json::array();
      for (int c : node.children) children.push_back(std::move(tiles[std::size_t(c)]));
      tile["children"] = std::move(children);
    }
    tiles[k] = std::move(tile);
  }
  const Box3f& box = tree.nodes[0].box;
  const double diagonal = double(box.Size().norm());
  Json tileset = {{"asset", {{"version", "1.1"}, {"generator", generator}}},
                  {"geometricError", std::max(diagonal, 2 * tree.nodes[0].geometric_error_m)},
                  {"root", std::move(tiles[0])}};
  tiles.clear();
  WriteJsonFile(temp / "tileset.json", tileset);

  if (options.write_model) {
    CheckInterrupted();
    TileGlbOptions glb;
    glb.quantize_positions = false;
    glb.texture = texture_bytes;
    glb.texture_mime = texture_mime;
    glb.generator = generator;
    const std::vector<std::uint8_t> data = EncodeTileGlb(tree, tree.mesh.faces, glb);
    WriteFileAtomic(temp / "model.glb", data);
    bytes += data.size();
  }

  // site.json
  std::size_t inferred = 0;
  Json provenance = ProvenanceSummary(mesh, inferred);
  summary.inferred_triangles = inferred;
  Json inferred_classes = Json::array();
  for (int p = 1; p <= static_cast<int>(Provenance::kInferredSmooth); ++p) {
    inferred_classes.push_back(std::string(ProvenanceName(static_cast<Provenance>(p))));
  }
  Json levels_json = Json::array();
  for (const SiteLevelFigures& l : summary.levels) {
    levels_json.push_back({{"depth", l.depth},
                           {"tiles", l.tiles},
                           {"triangles", l.triangles},
                           {"geometric_error_m", l.geometric_error_m}});
  }
  const Box3f full = BoundingBox(mesh.vertices);
  // The default three-quarter view first, then the sides, above and a close-up; floor levels.
  Json viewpoints = Json::array({DefaultViewpoint(full)});
  for (const SiteViewpoint& v : DefaultViewpoints(mesh)) viewpoints.push_back(v.ToJson());
  Json site_levels = Json::array();  // floor detection works in metres: not for unscaled models
  if (!options.unscaled) {
    for (const SiteLevel& l : DetectLevels(mesh)) site_levels.push_back(l.ToJson());
  }
  Json site_json = {
      {"format", "muta.site"},
      {"version", 1},
      {"name", options.name.empty() ? site.filename().string() : options.name},
      {"muta_version", MUTA_VERSION_STRING},
      {"created", NowIso8601()},
      {"source", options.source},
      {"units", "metres"},
      {"up_axis", "z"},
      {"unscaled", options.unscaled},
      {"bounding_box",
       {{"min", Vec(full.min.cast<double>())}, {"max", Vec(full.max.cast<double>())}}},
      {"tileset", "tileset.json"},
      {"model", options.write_model ? Json("model.glb") : Json(nullptr)},
      {"layers", Json::array({{{"id", "observed"},
                               {"name", "Observed"},
                               {"classes", Json::array({"observed"})},
                               {"triangles", mesh.NumFaces() - inferred}},
                              {{"id", "inferred"},
                               {"name", "Inferred"},
                               {"classes", inferred_classes},
                               {"triangles", inferred}}})},
      {"provenance", provenance},
      {"viewpoints", std::move(viewpoints)},
      {"annotations", Json::array()},
      {"levels", std::move(site_levels)},
      {"lod",
       {{"depth", depth},
        {"tiles", tree.nodes.size()},
        {"refine", "REPLACE"},
        {"compression", options.compression},
        {"max_leaf_triangles", options.lod.max_leaf_triangles},
        {"lod_error_m", options.lod.lod_error_m},
        {"provenance_groups", tree.groups.size()},
        {"levels", levels_json}}}};
  WriteJsonFile(temp / "site.json", site_json);
  bytes += fs::file_size(temp / "site.json") + fs::file_size(temp / "tileset.json");

  CheckInterrupted();
  SwapIntoPlace(temp, site);
  guard.Release();
  summary.bytes = bytes;
  summary.write_seconds = Seconds(write_start);
  summary.total_seconds = Seconds(start);
  spdlog::info(
      "site bundle {}: {} triangles ({} inferred), {} tiles in {} levels, {:.1f} MB, "
      "LOD {:.2f} s, writing {:.2f} s",
      site.string(), summary.triangles, summary.inferred_triangles, summary.tiles, depth + 1,
      double(summary.bytes) / 1e6, summary.lod_seconds, summary.write_seconds);
  return summary;
}

}  // namespace muta::reconstruct
