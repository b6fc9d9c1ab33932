#pragma once
// The built-in demo scene until `muta synth` (tools/synth) replaces it: a small octagonal,
// three-storey tower (metres, z-up) with per-face part ids, and a ring of cameras looking at
// it. Deterministic.

#include "core/colmap_model.h"
#include "core/mesh.h"

namespace muta::cli {

/// Octagonal tower: a platform, three storeys (walls + flared roof) and a finial.
/// Part ids: 0 platform, 10 + storey walls, 20 + storey roof, 30 finial.
Mesh MakeDemoTower();

/// `count` PINHOLE cameras (width x height) on two rings around the tower, looking at its
/// centre; image names "view_NNN.jpg".
SparseModel MakeDemoCameras(int count, int width, int height);

}  // namespace muta::cli
