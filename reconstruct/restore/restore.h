#pragma once
// Restoration of a building mesh: detect damage (damage.h), complete it with a method chosen by
// name (completion.h), and label every inferred triangle (DESIGN.md "Provenance").
//
// Output files (written atomically into one folder, formats in docs/restore.md):
//   restored.ply  – the observed mesh unchanged (same vertices and faces, in the same order,
//                   first), then the inferred vertices and faces; per face: provenance,
//                   confidence, source (counterpart transform id, -1 none), region (-1 none);
//   damage.json   – the symmetry found, the holes and the missing regions;
//   report.json   – per region/hole: size, method, confidence, why.

#include <filesystem>
#include <string>

#include "core/json.h"
#include "core/mesh.h"
#include "reconstruct/restore/damage.h"

namespace muta {
class Progress;
}

namespace muta::restore {

struct RestoreOptions {
  /// "auto" (symmetry for regions with a confident counterpart, learned elsewhere, smooth
  /// where learned adds nothing), "symmetry", "smooth" or "learned" (3D U-Net; its weights
  /// from DefaultLearnedWeights(), completion.h).
  std::string method = "auto";
  DamageOptions damage;
  /// Meshes with fewer faces are refused as too small to be a building.
  std::size_t min_faces = 200;
  void Check() const;
};

struct RestoreResult {
  Mesh mesh;  ///< observed + inferred
  Damage damage;
  Json damage_json;
  Json report;
  std::size_t observed_faces = 0;
  std::size_t inferred_faces = 0;
};

/// Restores `mesh` (metres, any frame; `input_name` appears in messages and the JSON). Throws
/// muta::Error for an invalid or too small mesh or an unavailable method.
RestoreResult RestoreMesh(const Mesh& mesh, const std::string& input_name,
                          const RestoreOptions& options, Progress& progress);

/// A copy of a restored mesh with vertex colours by provenance, for pictures (e.g. `muta render`):
/// observed faces in a neutral clay, inferred:symmetry orange, inferred:repetition yellow,
/// inferred:learned violet, inferred:smooth blue. Inferred faces have vertices of their own
/// (RestoredMeshBuilder), so the colours do not bleed.
Mesh HighlightProvenance(const Mesh& restored);

/// Writes restored.ply, damage.json and report.json into `dir` (created), each atomically.
void WriteRestoreOutputs(const RestoreResult& result, const std::filesystem::path& dir);

}  // namespace muta::restore
