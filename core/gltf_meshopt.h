#pragma once
// EXT_meshopt_compression for .glb files (internal to core/gltf_io; meshoptimizer stays private).
//
// Reading: DecodeMeshoptGlb turns a .glb that uses the extension into an equivalent plain .glb –
// every compressed bufferView decoded (modes ATTRIBUTES / TRIANGLES / INDICES, filters
// OCTAHEDRAL / QUATERNION / EXPONENTIAL) into the BIN chunk, fallback buffers dropped, the
// extension removed from extensionsUsed/Required – which the ordinary reader then validates.
// Compressed data must lie in the GLB BIN chunk (buffer 0). Malformed extension JSON, data
// outside the chunk, decompressed sizes the compressed bytes cannot hold and corrupt bitstreams
// throw muta::Error naming the file and the bufferView.

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace muta::detail {

/// True when the .glb (container already validated) lists EXT_meshopt_compression in
/// extensionsUsed or extensionsRequired; then `out` holds the decoded, extension-free .glb.
bool DecodeMeshoptGlb(std::span<const std::uint8_t> glb, const std::string& name,
                      std::vector<std::uint8_t>& out);

}  // namespace muta::detail
