#pragma once
// Shared by the glTF-Validator and CesiumJS tests: a site with per-tile texture atlases at every
// level, meshopt-compressed – the cheapest real texture chain: a small two-storey synthetic
// pagoda photographed 8 times, textured by `muta texture` (its real atlas), exported with small
// tiles. Built once per test process.
//
// The 8 photographs see the pagoda from its back and left (the "back" and "left" viewpoints of
// site.json); faces no photograph sees carry the texture stage's neutral grey.

#include <filesystem>
#include <memory>

#include <catch2/catch.hpp>

#include "core/json.h"
#include "core/workspace.h"
#include "tests/test_util.h"

namespace muta::test {

struct ExportedAtlas {
  std::unique_ptr<TempDir> dir;
  std::filesystem::path textured;  ///< `muta texture`'s dense/textured.glb
  std::filesystem::path site;      ///< the exported bundle
  Json summary;                    ///< `muta export --json`
};

/// A workspace `ws` holding what the mesh stage leaves for the synthetic scene `synth` (its
/// photographs, ground-truth cameras and mesh), textured by `muta texture` (the real atlas);
/// returns its dense/textured.glb.
inline std::filesystem::path TexturedWorkspace(const std::filesystem::path& synth,
                                               const std::filesystem::path& ws) {
  namespace fs = std::filesystem;
  Workspace::Open(ws, /*create=*/true).Save();
  fs::create_directories(ws / "dense");
  fs::copy(synth / "images", ws / "dense/images", fs::copy_options::recursive);
  fs::copy(synth / "gt/sparse", ws / "dense/sparse", fs::copy_options::recursive);
  fs::copy_file(synth / "gt/mesh.ply", ws / "dense/mesh.ply");
  const CommandResult r = RunMuta({"texture", "-w", ws.string(), "--progress", "none"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  return ws / "dense/textured.glb";
}

inline const ExportedAtlas& ExportedAtlasSite() {
  static const ExportedAtlas exported = [] {
    namespace fs = std::filesystem;
    ExportedAtlas e;
    e.dir = std::make_unique<TempDir>("export-atlas");
    const fs::path synth = e.dir->path() / "synth";
    CommandResult r = RunMuta({"synth", "--scene", "pagoda", "--storeys", "2", "--images", "8",
                               "--size", "400x300", "--seed", "2", "--texture-size", "128", "-o",
                               synth.string(), "--progress", "none"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    e.textured = TexturedWorkspace(synth, e.dir->path() / "ws");
    e.site = e.dir->path() / "site";
    r = RunMuta({"export", "--mesh", e.textured.string(), "-o", e.site.string(), "--tile-triangles",
                 "4000", "--compress", "meshopt", "--json", "--progress", "none"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    e.summary = ParseJson(r.out, "muta export --json");
    return e;
  }();
  return exported;
}

}  // namespace muta::test
