#pragma once
// The site bundle (DESIGN.md "Site bundle"; format in docs/formats.md "Site bundle"):
//
//   SITE/site.json      name, units (metres), up axis (z), bounding box, layers, provenance
//                       summary, viewpoints, annotations, levels, LOD figures, Muta version
//   SITE/tileset.json   OGC 3D Tiles 1.1, z-up, refine REPLACE, geometricError in metres
//   SITE/tiles/D_I.glb  tile I of depth D (LodTree node), y-up glTF with per-triangle
//                       provenance (EXT_mesh_features + EXT_structural_metadata)
//   SITE/model.glb      the full-resolution model in one file, same metadata, float positions
//
// The bundle is written into a temporary folder beside SITE (every file atomically) and then
// swapped into place, so a failed or interrupted export never leaves a half bundle, and a good
// bundle already at SITE stays until the new one is complete. Read bundles back with
// core/site_io.h.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/image_io.h"
#include "core/json.h"
#include "core/mesh.h"
#include "reconstruct/tiles/lod_tree.h"
#include "reconstruct/tiles/tile_texture.h"

namespace muta {
class Progress;
}

namespace muta::reconstruct {

struct SiteExportOptions {
  /// Site name in site.json; empty = the output folder's name.
  std::string name;
  /// Tiling and simplification.
  LodOptions lod;
  /// Also write SITE/model.glb (full resolution, one file, for Blender / Sketchfab).
  bool write_model = true;
  /// Encoding of the base colour texture in the .glb files: "jpeg" or "png".
  std::string texture_format = "jpeg";
  /// Geometry compression of the tiles: "meshopt" (EXT_meshopt_compression, required) or
  /// "none". model.glb is never compressed (Blender and Sketchfab read it as is).
  std::string compression = "meshopt";
  /// Per-tile texture atlases (reconstruct/tiles/tile_texture.h): texel size per level, cap.
  TileTextureOptions tile_texture;
  /// The model has no metric scale (muta.job.json property "unscaled"); recorded in site.json.
  bool unscaled = false;
  /// The input the model came from, recorded in site.json (informative; may be empty).
  std::string source;
  /// Throws muta::Error naming the field.
  void Check() const;
};

struct SiteLevelFigures {
  int depth = 0;
  std::size_t tiles = 0;
  std::size_t triangles = 0;
  double geometric_error_m = 0;     ///< largest among the level's tiles
  double position_step_m = 0;       ///< quantisation grid of the level's tiles
  std::uint64_t texture_bytes = 0;  ///< encoded per-tile atlases of the level (0: untextured)
  std::uint64_t texture_pixels = 0;
  double texel_m = 0;  ///< largest texel size among the level's tiles
};

struct SiteExportSummary {
  std::size_t triangles = 0;           ///< of the input
  std::size_t inferred_triangles = 0;  ///< of the input, any inferred class
  std::size_t groups = 0;              ///< provenance groups
  std::size_t tiles = 0;
  std::vector<SiteLevelFigures> levels;    ///< depth 0 (root) first
  std::uint64_t bytes = 0;                 ///< of all files written
  std::uint64_t tile_bytes = 0;            ///< of the tiles
  double source_texel_m = 0;               ///< of the input texture (0: untextured)
  std::uint64_t source_texture_bytes = 0;  ///< the input texture, encoded once
  double lod_seconds = 0;                  ///< tiling + simplification
  double write_seconds = 0;                ///< encoding + writing
  double total_seconds = 0;
  Json ToJson() const;
};

/// Writes the site bundle of `mesh` (z-up, metres; optional per-face provenance, confidence
/// and face_extra "source") to `site_dir`. `texture` is the base colour image for the mesh's
/// UVs, if any. `site_dir` must not exist, be an empty folder, or hold a previous bundle
/// (site.json); anything else is refused rather than replaced. Reports progress ("lod", then
/// "tiles") and checks for interrupts.
SiteExportSummary ExportSite(const Mesh& mesh, const std::optional<Image>& texture,
                             const std::filesystem::path& site_dir,
                             const SiteExportOptions& options, Progress& progress);

}  // namespace muta::reconstruct
