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
    // A workspace holding what the mesh stage leaves.
    const fs::path ws = e.dir->path() / "ws";
    Workspace::Open(ws, /*create=*/true).Save();
    fs::create_directories(ws / "dense");
    fs::copy(synth / "images", ws / "dense/images", fs::copy_options::recursive);
    fs::copy(synth / "gt/sparse", ws / "dense/sparse", fs::copy_options::recursive);
    fs::copy_file(synth / "gt/mesh.ply", ws / "dense/mesh.ply");
    r = RunMuta({"texture", "-w", ws.string(), "--progress", "none"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    e.textured = ws / "dense/textured.glb";
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
