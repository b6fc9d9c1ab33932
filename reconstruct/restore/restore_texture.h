#pragma once
// Carrying the photo texture into a restored mesh (docs/restore.md, "Texture").
//
// Restoration runs on the untextured mesh (dense/mesh.ply: one vertex per surface point, so
// holes are boundary loops); the texture stage wrote the same faces, in the same order, with
// vertices split where charts meet (dense/textured.glb). CarryTexture puts the two together:
//   - observed faces take their own UVs from the textured mesh;
//   - faces transferred by symmetry take the UVs of the counterpart triangle they were copied
//     from (found by rotating them back; barycentric interpolation, so a corner that was
//     snapped onto an observed vertex stays on the counterpart's texture);
//   - every other inferred face (learned, smooth, or a transfer whose source is not found) maps
//     to a neutral block appended to the atlas: untextured and visibly so.
// Faces keep their order, provenance, confidence and extra properties; vertices are split per
// UV as in the textured input.

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>

#include "core/image_io.h"
#include "core/json.h"
#include "core/mesh.h"

namespace muta::restore {

struct RestoreResult;

struct TexturedRestore {
  Mesh mesh;    ///< restored faces in the same order, vertices split per UV
  Image atlas;  ///< the input atlas with a neutral block of rows below it
  std::size_t observed_faces = 0;
  std::size_t transferred_faces = 0;  ///< inferred faces textured from their counterpart
  std::size_t neutral_faces = 0;      ///< inferred faces on the neutral block
};

/// Rows of neutral grey appended below the atlas for inferred faces without a texture.
inline constexpr int kNeutralRows = 16;

/// `textured` and `atlas`: the texture stage's output for the mesh that was restored (same
/// faces in the same order; `textured_name` appears in errors). Throws muta::Error naming it
/// when it does not match the restored mesh's observed part (re-run the texture stage) or has
/// no UVs.
TexturedRestore CarryTexture(const RestoreResult& restored, const Mesh& textured,
                             const Image& atlas, const std::string& textured_name);

/// File names in the restore folder: the textured restored mesh (PLY with UVs) and its atlas
/// (`<stem>_atlas.jpg`, the convention `muta export` looks for beside a PLY with UVs).
inline constexpr const char* kTexturedRestoreFile = "restored_textured.ply";
inline constexpr const char* kTexturedRestoreAtlas = "restored_textured_atlas.jpg";

/// When `textured_glb` (the texture stage's dense/textured.glb) exists: carries its texture
/// into `restored` and writes kTexturedRestoreFile and kTexturedRestoreAtlas into `dir`
/// (atomically); returns figures (faces observed / transferred / neutral, atlas size). When it
/// does not exist, removes stale copies of both files and returns nullopt.
std::optional<Json> WriteTexturedRestore(const RestoreResult& restored,
                                         const std::filesystem::path& textured_glb,
                                         const std::filesystem::path& dir);

}  // namespace muta::restore
