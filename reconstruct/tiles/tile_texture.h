#pragma once
// Per-tile texture atlases: each tile carries only the texels its triangles use.
//
// The tile's triangles are split into UV charts (faces connected through shared vertices – the
// texture stage duplicates vertices along chart seams), each chart's UV bounding box is cut out
// of the source atlas, scaled to the tile's texel size and re-packed (shelf packing, padding
// around every chart) into a small atlas; the tile's UVs are remapped into it.
//
// Texel size: leaves keep the source's (measured: the area-weighted 25th percentile of the
// triangles' sqrt(3D area / UV area)); coarser tiles get
// max(source, geometric_error_m * texel_per_error), i.e. downsampled textures as their geometry
// coarsens; an atlas larger than max_size_px on a side is scaled down to fit. The default 1/8:
// a tile is drawn where its screen-space error is <= 16 px (muta view, CesiumJS), i.e. one
// pixel spans >= geometric_error / 16 there, so its texels cover at most 2 pixels. Levels with
// errors below 8 source texels are drawn so close that they keep the source texels (see
// docs/formats.md "Per-tile textures"). Downsampling reads
// a box-filtered mip level of the source, then bilinear.
//
// Faces whose UVs collapse to one point (e.g. restoration's inferred faces without a texture,
// all at UV 0) keep exactly the colour the source gives them there – the source's neutral
// inferred material. Meant for atlas UVs in [0, 1] (sampling clamps at the edges); site_export
// keeps a repeating texture (UVs beyond [0, 1]) whole instead.

#include <cstdint>
#include <span>
#include <vector>

#include "core/image_io.h"
#include "core/mesh.h"

namespace muta::reconstruct {

struct TileTextureOptions {
  /// Texel size (metres) of a tile = max(source texel, geometric error x this); 1/8 = 2 pixels
  /// per texel where a viewer with a 16 px screen-space error limit first draws the tile.
  double texel_per_error = 0.125;
  /// Largest side of a tile atlas, pixels.
  int max_size_px = 2048;
  /// Padding around each chart, pixels (filled from the source beyond the chart, for mipmaps).
  int padding_px = 2;
};

/// The source atlas prepared once for all tiles: box-filtered mip levels and its texel size.
struct SourceTexture {
  std::vector<Image> mips;  ///< mips[0] = the source atlas (3 channels)
  double texel_m = 0;       ///< metres per source texel (see above); 0 if no UV area
};

/// `mesh` supplies positions and UVs (Muta convention: v up from the image's bottom row).
SourceTexture PrepareSourceTexture(const Image& atlas, const Mesh& mesh);

struct TileTexture {
  Image image;
  /// UV of each vertex the tile uses, in the tile atlas: `vertices` sorted (global vertex
  /// indices into the mesh), `uvs` parallel.
  std::vector<std::uint32_t> vertices;
  std::vector<Vec2f> uvs;
  double texel_m = 0;  ///< texel size used
  double scale = 1;    ///< tile texels per source texel
};

TileTexture BuildTileTexture(const SourceTexture& source, const Mesh& mesh,
                             std::span<const Face> faces, double geometric_error_m,
                             const TileTextureOptions& options = {});

}  // namespace muta::reconstruct
