#pragma once
// Reading Muta site bundles (docs/formats.md, "Site bundle"): `tileset.json` (OGC 3D Tiles 1.1),
// tile `.glb` files and `model.glb` with per-triangle provenance (EXT_mesh_features +
// EXT_structural_metadata), and `site.json`. The writer is muta::reconstruct::ExportSite
// (reconstruct/tiles/site_export.h); the reader lives in core so that the viewers (render/)
// read bundles without depending on reconstruct.
//
// Frames and units: everything returned here is in metres in Muta's z-up world frame.
// `tileset.json` is z-up already; tile content is y-up glTF and is rotated to z-up on reading,
// exactly the rotation the 3D Tiles 1.1 "glTF transforms" section prescribes, so reading a
// bundle never rotates twice.
//
// Every reader throws muta::Error naming the file for malformed, truncated or inconsistent input
// (bad JSON, wrong version, missing or non-finite numbers, URIs leaving the bundle, feature IDs or
// property table columns out of range, unknown provenance names).

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/image_io.h"
#include "core/json.h"
#include "core/mesh.h"

namespace muta {

// ---- the provenance metadata schema (shared by the writer and this reader) ----------------

/// EXT_structural_metadata schema id, class id, enum id and property ids.
inline constexpr std::string_view kProvenanceSchemaId = "muta_provenance";
inline constexpr std::string_view kProvenanceClassId = "triangle_provenance";
inline constexpr std::string_view kProvenanceEnumId = "provenance_class";
inline constexpr std::string_view kProvenanceProperty = "provenance";  ///< ENUM (UINT8)
inline constexpr std::string_view kConfidenceProperty = "confidence";  ///< SCALAR FLOAT32
inline constexpr std::string_view kSourceProperty = "source";          ///< SCALAR INT32
/// `source` of faces with no known source (the property's noData value).
inline constexpr std::int32_t kNoSource = -1;
/// Name of the Mesh::face_extra property holding `source` (part id the inferred geometry was
/// derived from, e.g. its symmetric counterpart; kNoSource when unknown). A PLY face property
/// `source` (int) arrives there too.
inline constexpr std::string_view kSourceFaceExtra = "source";

// ---- tiles ---------------------------------------------------------------------------------

struct TileReadOptions {
  /// Every face must carry provenance metadata; otherwise faces without a feature are an
  /// error. When false such faces read as observed with confidence 1 and source kNoSource.
  bool require_provenance = true;
};

struct TileContent {
  /// Geometry as ReadGlb gives it (z-up), with one entry per face in `provenance` and
  /// `confidence`, and a face_extra property "source" (type "int").
  Mesh mesh;
  std::optional<Image> base_color_texture;
};

/// Reads a tile or model.glb of a site bundle.
TileContent ReadTileGlb(const std::filesystem::path& path, const TileReadOptions& options = {});
/// The same from memory; `name` appears in error messages.
TileContent ParseTileGlb(std::span<const std::uint8_t> bytes, const std::string& name,
                         const TileReadOptions& options = {});

// ---- tileset.json ----------------------------------------------------------------------------

struct TilesetTile {
  Box3f box;                   ///< axis-aligned bounds (z-up, metres) of the bounding volume
  double geometric_error = 0;  ///< metres
  std::string refine;          ///< "REPLACE" or "ADD" (inherited from the parent when absent)
  std::string content_uri;     ///< relative to the tileset's folder; empty = no content
  int parent = -1;             ///< index into Tileset::tiles; -1 for the root
  int depth = 0;               ///< root = 0
  std::vector<int> children;   ///< indices into Tileset::tiles
};

struct Tileset {
  std::string version;             ///< asset.version, "1.0" or "1.1"
  double geometric_error = 0;      ///< the tileset's own geometricError, metres
  std::vector<TilesetTile> tiles;  ///< depth first; tiles[0] is the root
  Json extras;                     ///< the root tile's "extras" (null when absent)

  int MaxDepth() const;
  /// Indices of the tiles at `depth` plus the leaves above it: a complete cover of the model at
  /// that level of detail when refinement is REPLACE.
  std::vector<int> Cut(int depth) const;
};

/// Reads and validates tileset.json. Bounding volumes may be "box" (any orientation; its
/// axis-aligned bounds are returned) or "sphere"; "region" (geographic) and non-identity tile
/// transforms are refused. Content URIs must be relative paths inside the bundle.
Tileset ReadTileset(const std::filesystem::path& path);
Tileset ParseTileset(std::string_view text, const std::string& name);

/// The path of a tile's content: tileset folder / content_uri.
std::filesystem::path TileContentPath(const std::filesystem::path& tileset_path,
                                      const TilesetTile& tile);

/// Reads the tiles of Tileset::Cut(depth) and merges them into one mesh (z-up, with
/// provenance). Textures are dropped.
Mesh ReadTilesetLevel(const std::filesystem::path& tileset_path, const Tileset& tileset, int depth);

// ---- site.json -------------------------------------------------------------------------------

/// Reads site.json and checks its format ("muta.site"), version (1) and required keys (name,
/// units, up_axis, tileset, bounding_box, layers, viewpoints, annotations, levels).
Json ReadSiteJson(const std::filesystem::path& path);

}  // namespace muta
