#include "tools/muta/site_input.h"

#include <cctype>

#include <spdlog/spdlog.h>

#include "core/error.h"
#include "core/ply_io.h"
#include "core/site_io.h"

namespace fs = std::filesystem;

namespace muta::cli {

std::string FindSiteInput(const fs::path& workspace) {
  for (const char* candidate : kSiteInputs) {
    if (fs::is_regular_file(workspace / candidate)) return candidate;
  }
  return {};
}

SiteInput LoadSiteInput(const fs::path& path) {
  MUTA_CHECK(fs::exists(path)) << path.string() << ": no such file; give a .ply or .glb mesh";
  MUTA_CHECK(fs::is_regular_file(path)) << path.string() << " is not a file";
  std::string ext = path.extension().string();
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  SiteInput loaded;
  if (ext == ".ply") {
    loaded.mesh = ReadPlyMesh(path);
    if (!loaded.mesh.uvs.empty()) {
      for (const char* suffix : {"_atlas.jpg", "_atlas.png"}) {
        const fs::path atlas = path.parent_path() / (path.stem().string() + suffix);
        if (fs::is_regular_file(atlas)) {
          loaded.texture = ReadImage(atlas);
          break;
        }
      }
      if (!loaded.texture) {
        spdlog::warn(
            "{} has texture coordinates but no {}_atlas.jpg or .png beside it: exported "
            "without a texture",
            path.string(), path.stem().string());
        loaded.mesh.uvs.clear();
      }
    }
  } else if (ext == ".glb") {
    TileContent content = ReadTileGlb(path, {.require_provenance = false});
    loaded.mesh = std::move(content.mesh);
    if (!loaded.mesh.uvs.empty()) loaded.texture = std::move(content.base_color_texture);
  } else {
    MUTA_FAIL << path.string() << ": unknown mesh format '" << ext << "'; use .ply or .glb";
  }
  MUTA_CHECK(loaded.mesh.NumFaces() > 0)
      << path.string() << " has no triangles (a point cloud?); export needs a triangle mesh";
  return loaded;
}

}  // namespace muta::cli
