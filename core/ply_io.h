#pragma once
// PLY reading and writing (ASCII, binary little- and big-endian), for meshes and point clouds.
//
// Recognised vertex properties: x y z (float/double), nx ny nz, red green blue (uchar, or
// float in [0,1]), u v | s t | texture_u texture_v. Recognised face properties: the index list
// (vertex_indices | vertex_index; triangles only – polygons are fan-triangulated, the per-face
// properties copied to each triangle), part_id (int), provenance (uchar, Provenance's values),
// confidence (float). Other scalar properties are kept in `vertex_extra` / `face_extra` and
// written back; other list properties and other elements are skipped with a debug message.
//
// Every reader throws muta::Error naming the file on malformed, truncated or inconsistent
// input (bad header, counts larger than the data, indices out of range, non-finite positions).

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>

#include "core/mesh.h"

namespace muta {

enum class PlyFormat { kBinaryLittleEndian, kAscii };

/// What a PLY header announces.
struct PlyHeaderInfo {
  std::string format;           ///< "ascii", "binary_little_endian", "binary_big_endian"
  std::size_t num_vertices = 0;
  std::size_t num_faces = 0;
  bool has_normals = false;
  bool has_colors = false;
};

PlyHeaderInfo ReadPlyHeader(const std::filesystem::path& path);

/// Reads a mesh; a file with no face element gives a mesh with no faces.
Mesh ReadPlyMesh(const std::filesystem::path& path);
/// Reads the vertex element as a point cloud (faces, if any, are ignored).
PointCloud ReadPlyPointCloud(const std::filesystem::path& path);

/// In-memory variants (used by the readers above and by the fuzz targets); `name` appears in
/// error messages.
Mesh ParsePlyMesh(std::span<const std::uint8_t> bytes, const std::string& name);
PointCloud ParsePlyPointCloud(std::span<const std::uint8_t> bytes, const std::string& name);

/// Writes atomically (temp + rename). Optional arrays are written when non-empty.
void WritePly(const std::filesystem::path& path, const Mesh& mesh,
              PlyFormat format = PlyFormat::kBinaryLittleEndian);
void WritePly(const std::filesystem::path& path, const PointCloud& cloud,
              PlyFormat format = PlyFormat::kBinaryLittleEndian);

/// COLMAP's fused.ply.vis: for each fused point, the ids (indices into the undistorted image
/// list) of the images that see it. Binary: uint64 count, then per point uint32 n + n uint32.
std::vector<std::vector<std::uint32_t>> ReadFusedVisibility(const std::filesystem::path& path);
std::vector<std::vector<std::uint32_t>> ParseFusedVisibility(std::span<const std::uint8_t> bytes,
                                                             const std::string& name);
void WriteFusedVisibility(const std::filesystem::path& path,
                          const std::vector<std::vector<std::uint32_t>>& visibility);

}  // namespace muta
