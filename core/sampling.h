#pragma once
// Random points on a mesh surface, uniformly distributed by area (for the surface metrics).

#include <cstdint>
#include <vector>

#include "core/mesh.h"

namespace muta {

/// `count` points drawn independently and uniformly over the surface of `mesh` (a face is
/// chosen with probability proportional to its area, then a uniform point inside it), in the
/// mesh's frame. The result depends only on the mesh, `count` and `seed` (the same on every
/// platform). If `faces` is given it receives the face index of each sample.
/// Throws muta::Error if the mesh has no faces, a face index is out of range, or the total
/// area is zero or not finite.
std::vector<Vec3f> SampleSurface(const Mesh& mesh, std::size_t count, std::uint64_t seed,
                                 std::vector<std::uint32_t>* faces = nullptr);

}  // namespace muta
