#pragma once
// The one-ring of every vertex of a triangle list: the vertices it shares an edge with, sorted,
// each once. For umbrella (Laplacian) smoothing and averaging over neighbouring vertices.

#include <algorithm>
#include <cstddef>
#include <vector>

namespace muta {

/// `Index` is the vertex index type to return; `Tri` any type indexable by 0..2 whose entries
/// convert to it (Face, std::array<std::size_t, 3>). Every index must be < num_vertices.
template <class Index, class Tri>
std::vector<std::vector<Index>> VertexRings(std::size_t num_vertices,
                                            const std::vector<Tri>& tris) {
  std::vector<std::vector<Index>> rings(num_vertices);
  for (const Tri& t : tris) {
    for (int k = 0; k < 3; ++k) {
      rings[t[k]].push_back(Index(t[(k + 1) % 3]));
      rings[t[k]].push_back(Index(t[(k + 2) % 3]));
    }
  }
  for (auto& ring : rings) {
    std::sort(ring.begin(), ring.end());
    ring.erase(std::unique(ring.begin(), ring.end()), ring.end());
  }
  return rings;
}

}  // namespace muta
