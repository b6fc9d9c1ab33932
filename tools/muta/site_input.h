#pragma once
// The mesh a site bundle is made from (`muta export` and `muta demo`): in a workspace the
// textured restored mesh, else the restored mesh, else the textured mesh, else dense/mesh.ply;
// and reading any of them with its texture.

#include <filesystem>
#include <optional>
#include <string>

#include "core/image_io.h"
#include "core/mesh.h"

namespace muta::cli {

/// Workspace-relative inputs, best first.
inline constexpr const char* kSiteInputs[] = {"restore/restored_textured.ply",
                                              "restore/restored.ply", "dense/textured.glb",
                                              "dense/mesh.ply"};

/// The first of kSiteInputs present in `workspace`, "" when none is.
std::string FindSiteInput(const std::filesystem::path& workspace);

struct SiteInput {
  Mesh mesh;
  std::optional<Image> texture;
};

/// Reads a .ply or .glb mesh (Muta's own .glb files carry provenance; other files read as
/// observed). A .ply with UVs takes its texture from `<stem>_atlas.jpg` or `.png` beside it
/// (the texture and restore stages' convention); without one it is exported untextured, with a
/// warning. Throws muta::Error naming the file for a missing, unknown or faceless input.
SiteInput LoadSiteInput(const std::filesystem::path& path);

}  // namespace muta::cli
