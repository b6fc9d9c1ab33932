#pragma once
// Encoding one tile (or the whole model) of a LodTree as a glTF 2.0 binary with per-triangle
// provenance: EXT_mesh_features (feature ID attribute _FEATURE_ID_0, one feature per provenance
// group present in the tile) and EXT_structural_metadata (a property table of class
// "triangle_provenance": provenance enum, confidence, source; ids in core/site_io.h).
//
// Frames: the tree is z-up (metres); the glTF is y-up, (x, y, z) -> (x, z, -y). 3D Tiles
// clients rotate it back to z-up on load, so tileset.json stays z-up.
//
// Layout: one mesh, one triangle primitive, one material. With quantize_positions, POSITION is
// UNSIGNED_SHORT (KHR_mesh_quantization, required) on a grid of `position_step_m` (a power of
// two) whose origin is a multiple of the step, dequantised by the node's translation and
// scale; so tiles quantised with the same step place a shared vertex at bit-identical
// coordinates. NORMAL is normalized BYTE when quantised, else FLOAT; COLOR_0 normalized
// UNSIGNED_SHORT RGBA (linear); TEXCOORD_0 FLOAT. Buffer views are 8-byte aligned. Vertices are
// in first-use order of the (vertex-cache optimised) triangles, which suits meshopt's codecs.

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "reconstruct/tiles/lod_tree.h"

namespace muta::reconstruct {

struct TileGlbOptions {
  bool quantize_positions = true;
  /// Grid step in metres when quantising: a power of two with every tile extent / step below
  /// 65535 (QuantizationStep gives one).
  double position_step_m = 1.0 / 1024;
  /// An encoded base colour image (JPEG or PNG) used with the mesh's UVs; empty = none.
  std::span<const std::uint8_t> texture;
  std::string texture_mime = "image/jpeg";
  /// Per-tile UVs replacing mesh.uvs (a per-tile atlas): `uv_vertices` sorted global vertex
  /// indices covering every vertex of the faces, `uvs` parallel. Empty = mesh.uvs.
  std::span<const std::uint32_t> uv_vertices;
  std::span<const Vec2f> uvs;
  std::string generator = "Muta";
  /// Compress vertex attributes and indices with EXT_meshopt_compression (required; the
  /// uncompressed views live in a data-less fallback buffer 1). Metadata tables and the image
  /// stay uncompressed.
  bool meshopt = false;
};

/// The smallest power of two `s` with extent / s <= 65000 (extent in metres, > 0).
double QuantizationStep(double extent_m);

/// Encodes the triangles `faces` (indices into tree.mesh) as a .glb. Throws muta::Error if a
/// quantised coordinate does not fit the grid or the file would exceed 4 GiB.
std::vector<std::uint8_t> EncodeTileGlb(const LodTree& tree, std::span<const Face> faces,
                                        const TileGlbOptions& options);

}  // namespace muta::reconstruct
