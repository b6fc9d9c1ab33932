#pragma once
// glTF 2.0 binary (.glb) reading and writing of triangle meshes (tinygltf, kept out of this
// header).
//
// Frames: glTF is y-up. Muta's meshes are z-up in workspaces; WriteGlb converts z-up to y-up
// ((x, y, z) -> (x, z, -y)) when `z_up_input` is set, and ReadGlb converts back when
// `to_z_up` is set. Units are metres.
//
// ReadGlb merges every triangle primitive of the default scene (or of all meshes if there is
// no scene), applying node transforms. It validates what it reads – chunk sizes, accessor
// ranges against buffer views and buffers, component types, index ranges – and throws
// muta::Error naming the file for anything malformed or truncated.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/image_io.h"
#include "core/mesh.h"

namespace muta {

struct GlbReadOptions {
  bool to_z_up = true;  ///< convert glTF's y-up to Muta's z-up
  /// Also read each primitive's first EXT_mesh_features feature ID set into
  /// GlbContent::face_feature_ids / face_property_tables (core/site_io.h reads the metadata).
  bool read_feature_ids = false;
};

/// GlbContent::face_feature_ids of a face without a feature (no feature ID set, or the set's
/// nullFeatureId).
inline constexpr std::uint32_t kNoFeatureId = 0xFFFFFFFFu;

struct GlbContent {
  Mesh mesh;                   ///< positions, normals, COLOR_0, TEXCOORD_0 when present
  std::optional<Image> base_color_texture;  ///< of the first material that has one
  /// With GlbReadOptions::read_feature_ids, one entry per face of `mesh`: the feature ID of
  /// the face's first vertex in its primitive's first EXT_mesh_features set (by attribute
  /// `_FEATURE_ID_n`, or implicit = vertex index), validated against the set's featureCount;
  /// and the set's propertyTable (-1 when none). Feature ID textures are not read (a warning;
  /// the faces get kNoFeatureId). Empty without read_feature_ids.
  std::vector<std::uint32_t> face_feature_ids;
  std::vector<std::int32_t> face_property_tables;
};

GlbContent ReadGlb(const std::filesystem::path& path, const GlbReadOptions& options = {});
GlbContent ParseGlb(std::span<const std::uint8_t> bytes, const std::string& name,
                    const GlbReadOptions& options = {});

struct GlbWriteOptions {
  bool z_up_input = true;  ///< the mesh is z-up; write it y-up as glTF requires
  /// Optional base colour texture (uses the mesh's UVs); encoded as `texture_format`.
  std::optional<Image> base_color_texture;
  std::string texture_format = "jpeg";  ///< "jpeg" or "png"
  std::string generator = "Muta";
};

/// Writes a single-mesh .glb atomically (temp + rename).
void WriteGlb(const std::filesystem::path& path, const Mesh& mesh,
              const GlbWriteOptions& options = {});
/// The same, to memory.
std::vector<std::uint8_t> EncodeGlb(const Mesh& mesh, const GlbWriteOptions& options = {});

}  // namespace muta
