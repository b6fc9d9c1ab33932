// muta restore: detect damage in a building mesh and complete it, labelling every inferred
// triangle (docs/restore.md).
//   muta restore --mesh FILE.ply -o DIR [--method auto|symmetry|smooth|learned] [--json]
//   muta restore -w WORKSPACE [--method ...] [--force]   (dense/mesh.ply -> WORKSPACE/restore/;
//       resumable stage "restore"; with dense/textured.glb also restored_textured.ply + atlas)
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>

#include <CLI/CLI.hpp>

#include "core/error.h"
#include "core/ply_io.h"
#include "core/progress.h"
#include "core/workspace.h"
#include "reconstruct/restore/completion.h"
#include "reconstruct/restore/restore.h"
#include "reconstruct/restore/restore_texture.h"
#include "tools/muta/command.h"

namespace muta::cli {
namespace {

namespace fs = std::filesystem;

constexpr const char* kWorkspaceInput = "dense/mesh.ply";
constexpr const char* kWorkspaceTextured = "dense/textured.glb";
constexpr const char* kWorkspaceOutput = "restore";

struct RestoreArgs {
  std::string mesh;
  std::string output;
  std::string workspace;
  restore::RestoreOptions options;
  RunOptions run;
  std::string highlight;
  bool json = false;
};

Json Summary(const restore::RestoreResult& r, const fs::path& dir) {
  const restore::Symmetry& s = r.damage.symmetry;
  return {{"output", dir.string()},
          {"damage_found", !r.damage.Empty()},
          {"rotation_order", s.found ? s.order : 1},
          {"symmetry_inlier_fraction", s.inlier_fraction},
          {"missing_regions", r.damage.regions.size()},
          {"holes", r.damage.NumHolesToFill()},
          {"rings", std::count_if(r.damage.holes.begin(), r.damage.holes.end(),
                                  [](const restore::Hole& h) { return !h.regular && h.ring; })},
          {"not_completed", r.report["not_completed"].size()},
          {"observed_faces", r.observed_faces},
          {"inferred_faces", r.inferred_faces},
          {"weak_support", r.damage.weak.known ? Json(r.damage.weak.weak_fraction) : Json(nullptr)},
          {"weak_regions", r.damage.weak.regions.size()},
          {"seconds", r.report["seconds"]["total"]}};
}

void Print(const Json& j, bool json) {
  if (json) {
    std::printf("%s\n", j.dump(2).c_str());
    return;
  }
  if (!j.value("damage_found", false)) {
    std::printf("muta restore – no damage found: nothing inferred (%s)\n",
                j["output"].get<std::string>().c_str());
    return;
  }
  std::printf("muta restore – %s\n", j["output"].get<std::string>().c_str());
  std::printf("  symmetry        order %d (inliers %.1f %%)\n", j["rotation_order"].get<int>(),
              100.0 * j["symmetry_inlier_fraction"].get<double>());
  std::printf("  damage          %zu missing regions, %zu holes",
              j["missing_regions"].get<std::size_t>(), j["holes"].get<std::size_t>());
  if (j.value("rings", std::size_t(0)) > 0) {
    std::printf(", %zu round the axis (only repetition completes them)",
                j["rings"].get<std::size_t>());
  }
  std::printf("\n");
  if (j.contains("weak_support") && !j["weak_support"].is_null()) {
    std::printf("  weak support    %.1f %% of the surface (%zu regions, damage.json)\n",
                100.0 * j["weak_support"].get<double>(), j["weak_regions"].get<std::size_t>());
  }
  std::printf("  faces           %zu observed (unchanged), %zu inferred\n",
              j["observed_faces"].get<std::size_t>(), j["inferred_faces"].get<std::size_t>());
  if (j.value("not_completed", std::size_t(0)) > 0) {
    std::printf(
        "  left open       %zu damaged place(s) no method completed (why: report.json, "
        "not_completed)\n",
        j["not_completed"].get<std::size_t>());
  }
  if (j.contains("texture")) {
    const Json& t = j["texture"];
    std::printf(
        "  texture         %s: %zu inferred faces textured from their counterpart, %zu "
        "neutral (untextured)\n",
        t["file"].get<std::string>().c_str(), t["transferred_faces"].get<std::size_t>(),
        t["neutral_faces"].get<std::size_t>());
  }
  std::printf("  time            %.1f s\n", j["seconds"].get<double>());
}

restore::RestoreResult RestoreFile(const fs::path& input, const restore::RestoreOptions& options,
                                   Progress& progress) {
  MUTA_CHECK(fs::is_regular_file(input))
      << input.string() << ": no such mesh file; give a PLY mesh (e.g. a synthetic scene's "
      << "gt/mesh.ply or a workspace's dense/mesh.ply)";
  const Mesh mesh = ReadPlyMesh(input);
  MUTA_CHECK(mesh.NumFaces() > 0) << input.string()
                                  << ": has no faces (a point cloud?); restore needs a mesh – "
                                     "run the mesh stage (muta reconstruct) first";
  return restore::RestoreMesh(mesh, input.string(), options, progress);
}

int RestoreMeshFile(RestoreArgs& a) {
  MUTA_CHECK(!a.output.empty()) << "--mesh needs -o DIR (the folder for restored.ply, "
                                   "damage.json and report.json)";
  Progress progress;
  const restore::RestoreResult result = RestoreFile(a.mesh, a.options, progress);
  restore::WriteRestoreOutputs(result, a.output);
  if (!a.highlight.empty()) WritePly(a.highlight, restore::HighlightProvenance(result.mesh));
  Print(Summary(result, a.output), a.json);
  return kExitOk;
}

int RestoreWorkspace(RestoreArgs& a) {
  const fs::path root(a.workspace);
  MUTA_CHECK(fs::is_directory(root)) << a.workspace << ": no such workspace folder; check the -w "
                                     << "path (or use --mesh FILE -o DIR for a single mesh)";
  MUTA_CHECK(fs::is_regular_file(root / kWorkspaceInput))
      << a.workspace << ": no mesh to restore (" << kWorkspaceInput
      << " is missing); run the mesh stage first: `muta reconstruct PHOTOS -w " << a.workspace
      << "` (it ends with the mesh stage; `--from mesh` if the earlier stages are done)";
  Workspace ws = Workspace::Open(root, /*create=*/false);
  StageDef stage;
  stage.name = "restore";
  stage.options = {{"method", a.options.method}};
  // The texture stage's output, when there is one, is carried into the restored mesh.
  stage.inputs = {kWorkspaceInput, kWorkspaceTextured};
  stage.outputs = {std::string(kWorkspaceOutput) + "/restored.ply",
                   std::string(kWorkspaceOutput) + "/damage.json",
                   std::string(kWorkspaceOutput) + "/report.json"};
  std::optional<Json> summary;
  stage.run = [&](Workspace& w, Progress& progress) {
    // The fused cloud the mesh came from tells where few photographs back the surface.
    const std::optional<restore::FusedSupport> fused = restore::ReadFusedSupport(w.Path("dense"));
    restore::RestoreOptions options = a.options;
    if (fused) options.damage.fused = &*fused;
    const restore::RestoreResult result = RestoreFile(w.Path(kWorkspaceInput), options, progress);
    restore::WriteRestoreOutputs(result, w.Path(kWorkspaceOutput));
    const std::optional<Json> textured =
        restore::WriteTexturedRestore(result, w.Path(kWorkspaceTextured), w.Path(kWorkspaceOutput));
    if (!a.highlight.empty()) WritePly(a.highlight, restore::HighlightProvenance(result.mesh));
    summary = Summary(result, w.Path(kWorkspaceOutput));
    if (textured) (*summary)["texture"] = *textured;
    return *summary;
  };
  Progress progress;
  const std::vector<StageDef> stages = {stage};
  RunStages(ws, stages, a.run, progress);
  if (summary) {
    Print(*summary, a.json);
  } else {
    const StageRecord* record = ws.job().Find("restore");
    Json j = record ? record->figures : Json::object();
    j["skipped"] = true;
    if (a.json) {
      std::printf("%s\n", j.dump(2).c_str());
    } else {
      std::printf("muta restore – %s is up to date (use --force to restore again)\n",
                  ws.Path(kWorkspaceOutput).c_str());
    }
  }
  return kExitOk;
}

}  // namespace

CommandSpec RestoreCommand() {
  return {"restore",
          "Detect damage in a building mesh and complete it (symmetry, learned, smooth), labelling "
          "every inferred triangle",
          [](CLI::App& sub, const GlobalOptions&) -> RunFunction {
            auto a = std::make_shared<RestoreArgs>();
            auto* mesh = sub.add_option("--mesh", a->mesh,
                                        "Mesh to restore (PLY, metres), e.g. a synthetic scene's "
                                        "gt/mesh.ply");
            auto* ws = sub.add_option("-w,--workspace", a->workspace,
                                      "Job workspace: restores dense/mesh.ply into "
                                      "WORKSPACE/restore/");
            mesh->excludes(ws);
            sub.add_option("-o,--output", a->output,
                           "With --mesh: output folder (restored.ply, damage.json, report.json)");
            sub.add_option("--method", a->options.method,
                           "auto (symmetry where a confident counterpart exists, else learned, "
                           "else smooth), symmetry, smooth, or learned (3D U-Net; weights from "
                           "$MUTA_COMPLETION_WEIGHTS or the shipped assets/completion/unet.pt)")
                ->check(CLI::IsMember({"auto", "symmetry", "smooth", "learned"}))
                ->capture_default_str();
            sub.add_option("--highlight", a->highlight,
                           "Also write a copy of the restored mesh with vertex colours by "
                           "provenance (observed clay, symmetry orange, smooth blue) to this "
                           "PLY, for `muta render`");
            sub.add_flag("--force", a->run.force, "With -w: restore even when up to date");
            sub.add_flag("--json", a->json, "Print the figures as JSON on stdout");
            return [a] {
              MUTA_CHECK(!a->mesh.empty() || !a->workspace.empty())
                  << "give --mesh FILE -o DIR or -w WORKSPACE";
              // An unavailable method is refused before any file is read.
              if (a->options.method != "auto") restore::MakeCompletionMethod(a->options.method);
              return a->mesh.empty() ? RestoreWorkspace(*a) : RestoreMeshFile(*a);
            };
          }};
}

}  // namespace muta::cli
