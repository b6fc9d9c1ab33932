#pragma once
// Shared by the export tests: a synthetic pagoda with parts labelled inferred by hand, exported
// once per test process with small tiles (several LOD levels).

#include <filesystem>
#include <map>
#include <memory>

#include <catch2/catch.hpp>

#include "core/gltf_io.h"
#include "core/image_io.h"
#include "core/mesh.h"
#include "core/ply_io.h"
#include "core/site_io.h"
#include "core/subprocess.h"
#include "tests/test_util.h"

namespace muta::test {

struct ExportedPagoda {
  std::unique_ptr<TempDir> dir;
  std::filesystem::path synth;          ///< muta synth output (gt/mesh.ply)
  std::filesystem::path labelled_path;  ///< the labelled mesh (PLY)
  Mesh labelled;
  std::filesystem::path site;  ///< the exported bundle
};

/// Node.js on PATH (`node`, or Debian's older `nodejs`), or an empty path.
inline std::filesystem::path FindNode() {
  for (const char* name : {"node", "nodejs"}) {
    if (auto path = FindExecutable(name)) return *path;
  }
  return {};
}

/// Per-class triangle counts.
inline std::map<Provenance, std::size_t> ClassCounts(const Mesh& mesh) {
  std::map<Provenance, std::size_t> counts;
  for (std::size_t f = 0; f < mesh.NumFaces(); ++f) {
    ++counts[mesh.provenance.empty() ? Provenance::kObserved : mesh.provenance[f]];
  }
  return counts;
}

/// Labels parts by hand, as restoration will: part % 5 == 1 inferred:symmetry (confidence 0.6,
/// source = the next part), part % 7 == 2 inferred:learned (0.3), part % 11 == 4
/// inferred:smooth (0.85); everything else observed.
inline void LabelParts(Mesh& mesh) {
  const std::size_t nf = mesh.NumFaces();
  mesh.provenance.assign(nf, Provenance::kObserved);
  mesh.confidence.assign(nf, 1.0f);
  ExtraProperty source{std::string(kSourceFaceExtra), "int", std::vector<double>(nf, kNoSource)};
  for (std::size_t f = 0; f < nf; ++f) {
    const int part = mesh.part_ids[f];
    if (part % 5 == 1) {
      mesh.provenance[f] = Provenance::kInferredSymmetry;
      mesh.confidence[f] = 0.6f;
      source.values[f] = part + 1;
    } else if (part % 7 == 2) {
      mesh.provenance[f] = Provenance::kInferredLearned;
      mesh.confidence[f] = 0.3f;
    } else if (part % 11 == 4) {
      mesh.provenance[f] = Provenance::kInferredSmooth;
      mesh.confidence[f] = 0.85f;
    }
  }
  mesh.face_extra.push_back(std::move(source));
}

/// Synthesises a two-storey pagoda, labels it and exports it with `muta export` (tiles of at
/// most 4000 triangles), once per process.
inline const ExportedPagoda& ExportedPagodaSite() {
  static const ExportedPagoda exported = [] {
    ExportedPagoda e;
    e.dir = std::make_unique<TempDir>("export-pagoda");
    e.synth = e.dir->path() / "synth";
    const CommandResult synth = RunMuta({"synth", "--scene", "pagoda", "--storeys", "2", "--seed",
                                         "3", "--gt-only", "-o", e.synth.string()});
    INFO(synth.err);
    REQUIRE(synth.exit_code == 0);
    e.labelled = ReadPlyMesh(e.synth / "gt" / "mesh.ply");
    REQUIRE(e.labelled.part_ids.size() == e.labelled.NumFaces());
    LabelParts(e.labelled);
    e.labelled_path = e.dir->path() / "labelled.ply";
    WritePly(e.labelled_path, e.labelled);
    e.labelled = ReadPlyMesh(e.labelled_path);  // exactly what the exporter reads
    e.site = e.dir->path() / "site";
    const CommandResult r = RunMuta({"export", "--mesh", e.labelled_path.string(), "-o",
                                     e.site.string(), "--tile-triangles", "4000"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    return e;
  }();
  return exported;
}

/// The same pagoda without labels as a textured .glb (a 64x64 checker, the synth UVs),
/// exported once per process: the texture path of the exporter.
struct ExportedTextured {
  std::unique_ptr<TempDir> dir;
  std::filesystem::path glb;   ///< the textured input
  std::filesystem::path site;  ///< the exported bundle
  Image texture;
};

inline const ExportedTextured& ExportedTexturedSite() {
  static const ExportedTextured exported = [] {
    const ExportedPagoda& pagoda = ExportedPagodaSite();
    ExportedTextured e;
    e.dir = std::make_unique<TempDir>("export-textured");
    Mesh mesh = ReadPlyMesh(pagoda.synth / "gt" / "mesh.ply");
    REQUIRE(!mesh.uvs.empty());
    e.texture = Image(64, 64, 3);
    for (int y = 0; y < 64; ++y) {
      for (int x = 0; x < 64; ++x) {
        const bool dark = ((x / 8) + (y / 8)) % 2 == 0;
        e.texture.at(x, y, 0) = dark ? 60 : 200;
        e.texture.at(x, y, 1) = dark ? 40 : 180;
        e.texture.at(x, y, 2) = dark ? 30 : 150;
      }
    }
    GlbWriteOptions options;
    options.base_color_texture = e.texture;
    options.texture_format = "png";
    e.glb = e.dir->path() / "textured.glb";
    WriteGlb(e.glb, mesh, options);
    e.site = e.dir->path() / "site";
    const CommandResult r = RunMuta({"export", "--mesh", e.glb.string(), "-o", e.site.string(),
                                     "--tile-triangles", "12000", "--texture-format", "png"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    return e;
  }();
  return exported;
}

}  // namespace muta::test
