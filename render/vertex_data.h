#pragma once
// CPU side of mesh upload (private to muta::render): interleaved vertices for the GPU, with
// normals computed when the mesh has none.

#include <cstdint>
#include <vector>

#include "core/mesh.h"

namespace muta::render {

/// One vertex as the shaders read it (36 bytes).
struct GpuVertex {
  float position[3];
  float normal[3];
  float uv[2];
  std::uint8_t color[4];  ///< sRGB, alpha unused
};
static_assert(sizeof(GpuVertex) == 36);

struct VertexData {
  std::vector<GpuVertex> vertices;
  std::vector<std::uint32_t> indices;  ///< 3 per triangle
  Box3f bounds;                        ///< of the vertices used by faces
};

/// Interleaves `mesh` (faces must be valid: call mesh.Check() first). Normals: the mesh's own
/// when present; else area-weighted face normals averaged over the faces around a vertex whose
/// normals lie within `crease_angle_deg` of each other, splitting vertices at sharper edges – so
/// a box stays a box and a smooth surface stays smooth. Missing colours become white, missing
/// UVs (0, 0).
VertexData BuildVertexData(const Mesh& mesh, float crease_angle_deg = 40.0f);

/// Per-face data for the shaders' per-primitive buffer (gl_PrimitiveID = face index): bits 0-7
/// the provenance class (Provenance as uint8), bits 16-31 the confidence as unorm16. Empty when
/// the mesh has neither provenance nor confidence (then every face is observed, confidence 1).
std::vector<std::uint32_t> PackFaceData(const Mesh& mesh);

}  // namespace muta::render
