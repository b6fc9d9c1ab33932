#pragma once
// Procedural, tileable surface textures for synthetic heritage buildings: real detail at
// several scales (so SIFT finds features and PatchMatch finds texture), no flat colours.
// Deterministic for a given seed on every platform.

#include <cstdint>
#include <string_view>

#include "core/image_io.h"

namespace muta::synth {

enum class MaterialKind {
  kWood,         ///< timber columns and brackets: grain along v, knots, cracks, faded red paint
  kPaintedBeam,  ///< beams and bracket sets: banded painted patterns (caihua), chipped, faded
  kStone,        ///< platform and steps: stone courses with mortar joints, speckle, stains
  kRoofTile,     ///< roofs: rows of overlapping grey tiles along u, moss and dirt
  kPlaster,      ///< walls: lime plaster with stains and cracks
  kRailing,      ///< railings: lighter weathered wood
  kMetal,        ///< finial: dark bronze with patina
  kGround,       ///< the ground: gravel, grass patches and paving
};

std::string_view MaterialName(MaterialKind kind);

/// A `size` x `size` RGB (sRGB) texture that tiles seamlessly (wraps in u and v), covering
/// kMaterialTileMetres[kind] metres of surface per tile so that geometry can map it at real
/// scale. Adds weathering (dirt, stains) varied by `seed`.
Image MakeTexture(MaterialKind kind, int size, std::uint64_t seed);

/// Metres of surface one texture tile covers, per material (e.g. roof tiles ~1 m).
double MaterialTileMetres(MaterialKind kind);

}  // namespace muta::synth
