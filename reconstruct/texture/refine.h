#pragma once
// Splitting long edges of a mesh before texturing (docs/texture.md, "Evaluation").
//
// A chart maps each face affinely from its view's image (the corners' projections are the
// UVs), while the photograph's map is projective: across a large face seen obliquely the two
// differ by pixels (a 4 m wall at 20 m, 576 px focal length: about 3 px). Low-poly meshes – the
// synthetic ground truth, simplified or modelled parts – are refined first so that no edge
// exceeds a length; a dense reconstruction has no such faces.

#include "core/mesh.h"

namespace muta::reconstruct::tex {

/// Splits every edge longer than `max_edge` (scene units, > 0) at its midpoint, in rounds,
/// until none is longer: a face with three split edges becomes four faces, one or two split
/// edges give two or three faces (the shorter diagonal). Shared edges are split once, so the
/// result has no T-junctions. Vertex normals, colours and UVs are interpolated; part ids,
/// provenance and confidence are copied to the children; extra properties are dropped.
/// Orientation is kept. Throws muta::Error unless max_edge > 0.
Mesh RefineLongEdges(const Mesh& mesh, double max_edge);

}  // namespace muta::reconstruct::tex
