// muta export: a mesh or a workspace's best mesh -> site bundle (3D Tiles 1.1 + glTF with
// per-triangle provenance; reconstruct/tiles/site_export.h, docs/formats.md "Site bundle").
//   muta export --mesh FILE -o SITE [options]
//   muta export -w WORKSPACE [-o SITE] [options]   (restore/restored_textured.ply, else
//       restore/restored.ply, else dense/textured.glb, else dense/mesh.ply -> WORKSPACE/site;
//       resumable stage "export")
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "core/error.h"
#include "core/gltf_io.h"
#include "core/json.h"
#include "core/ply_io.h"
#include "core/progress.h"
#include "core/site_io.h"
#include "core/workspace.h"
#include "reconstruct/tiles/site_export.h"
#include "tools/muta/command.h"
#include "tools/muta/site_input.h"

namespace muta::cli {
namespace {

namespace fs = std::filesystem;

struct ExportArgs {
  std::string mesh;
  std::string workspace;
  std::string output;
  bool json = false;
  bool no_model = false;
  RunOptions run;
  reconstruct::SiteExportOptions options;
};

void PrintSummary(const reconstruct::SiteExportSummary& s, const fs::path& site, bool json) {
  if (json) {
    Json j = s.ToJson();
    j["site"] = site.string();
    std::printf("%s\n", j.dump(2).c_str());
    return;
  }
  std::printf(
      "muta export – %s: %zu triangles (%zu inferred, %zu provenance groups), %zu tiles in %zu "
      "levels, %.1f MB; LOD %.2f s, writing %.2f s, %.2f s in all\n",
      site.c_str(), s.triangles, s.inferred_triangles, s.groups, s.tiles, s.levels.size(),
      double(s.bytes) / 1e6, s.lod_seconds, s.write_seconds, s.total_seconds);
  for (const auto& l : s.levels) {
    std::printf("  depth %2d: %5zu tiles, %9zu triangles, geometric error %.4f m\n", l.depth,
                l.tiles, l.triangles, l.geometric_error_m);
  }
}

Json OptionsJson(const reconstruct::SiteExportOptions& o) {
  return {{"name", o.name},
          {"max_leaf_triangles", o.lod.max_leaf_triangles},
          {"lod_error_m", o.lod.lod_error_m},
          {"reduction", o.lod.reduction},
          {"confidence_steps", o.lod.confidence_steps},
          {"write_model", o.write_model},
          {"texture_format", o.texture_format},
          {"compression", o.compression}};
}

int ExportMesh(ExportArgs& a) {
  MUTA_CHECK(!a.output.empty()) << "--mesh needs -o SITE (the bundle folder to write)";
  SiteInput loaded = LoadSiteInput(a.mesh);
  a.options.source = a.mesh;
  Progress progress;
  const auto summary =
      reconstruct::ExportSite(loaded.mesh, loaded.texture, a.output, a.options, progress);
  PrintSummary(summary, a.output, a.json);
  return kExitOk;
}

int ExportWorkspace(ExportArgs& a) {
  const fs::path root(a.workspace);
  MUTA_CHECK(fs::is_directory(root)) << a.workspace << ": no such workspace folder; check the -w "
                                     << "path (or use --mesh FILE -o SITE for a single mesh)";
  const std::string input = FindSiteInput(root);
  MUTA_CHECK(!input.empty()) << a.workspace << ": nothing to export – none of " << kSiteInputs[0]
                             << ", " << kSiteInputs[1] << ", " << kSiteInputs[2] << ", "
                             << kSiteInputs[3]
                             << " exists; run `muta reconstruct` (and `muta restore`) first, "
                                "or export a mesh with --mesh FILE -o SITE";
  Workspace ws = Workspace::Open(root, /*create=*/false);
  a.options.unscaled = ws.job().properties.value("unscaled", false);
  a.options.source = input;
  const std::string output = a.output.empty() ? std::string("site") : a.output;

  StageDef stage;
  stage.name = "export";
  stage.options = OptionsJson(a.options);
  stage.options["unscaled"] = a.options.unscaled;
  stage.inputs = {input};
  stage.outputs = {output};
  std::optional<reconstruct::SiteExportSummary> summary;
  stage.run = [&](Workspace& w, Progress& progress) {
    SiteInput loaded = LoadSiteInput(w.Path(input));
    summary =
        reconstruct::ExportSite(loaded.mesh, loaded.texture, w.Path(output), a.options, progress);
    return summary->ToJson();
  };
  Progress progress;
  const std::vector<StageDef> stages = {stage};
  const auto outcomes = RunStages(ws, stages, a.run, progress);
  const fs::path site = ws.Path(output);
  if (summary) {
    PrintSummary(*summary, site, a.json);
  } else if (a.json) {
    const StageRecord* record = ws.job().Find("export");
    Json j = record ? record->figures : Json::object();
    j["site"] = site.string();
    j["skipped"] = true;
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::printf("muta export – %s is up to date (use --force to export again)\n", site.c_str());
  }
  return kExitOk;
}

}  // namespace

CommandSpec ExportCommand() {
  return {
      "export", "Export a mesh or a workspace as a site bundle (3D Tiles 1.1 + glTF, provenance)",
      [](CLI::App& sub, const GlobalOptions&) -> RunFunction {
        auto a = std::make_shared<ExportArgs>();
        reconstruct::SiteExportOptions& o = a->options;
        auto* mesh =
            sub.add_option("--mesh", a->mesh,
                           "Mesh to export (.ply or .glb, z-up metres; a .ply with UVs takes its "
                           "texture from STEM_atlas.jpg/.png beside it)");
        auto* ws = sub.add_option("-w,--workspace", a->workspace,
                                  "Job workspace: exports restore/restored_textured.ply, else "
                                  "restore/restored.ply, else dense/textured.glb, else "
                                  "dense/mesh.ply into WORKSPACE/site");
        mesh->excludes(ws);
        sub.add_option("-o,--output", a->output,
                       "Site bundle folder (with -w: relative to the workspace; default site)");
        sub.add_option("--name", o.name, "Site name (default: the bundle folder's name)");
        sub.add_option("--tile-triangles", o.lod.max_leaf_triangles,
                       "Most triangles in a full-resolution tile")
            ->check(CLI::Range(std::size_t{64}, std::size_t{1} << 24))
            ->capture_default_str();
        sub.add_option("--lod-error", o.lod.lod_error_m,
                       "Simplification error bound (metres) of the first level above the full "
                       "resolution; doubles per level")
            ->check(CLI::PositiveNumber)
            ->capture_default_str();
        sub.add_option("--confidence-steps", o.lod.confidence_steps,
                       "Confidence is stored in steps of 1/N")
            ->check(CLI::Range(1, 1000))
            ->capture_default_str();
        sub.add_option("--texture-format", o.texture_format, "Texture encoding: jpeg or png")
            ->check(CLI::IsMember({"jpeg", "png"}))
            ->capture_default_str();
        sub.add_option("--compress", o.compression,
                       "Geometry compression of the tiles: meshopt (EXT_meshopt_compression) or "
                       "none; model.glb stays uncompressed for Blender and Sketchfab")
            ->check(CLI::IsMember({"meshopt", "none"}))
            ->capture_default_str();
        sub.add_flag("--no-model", a->no_model, "Do not write the single-file model.glb");
        sub.add_flag("--force", a->run.force, "With -w: export even when the bundle is up to date");
        sub.add_flag("--json", a->json, "Print the figures as JSON on stdout");
        return [a] {
          a->options.write_model = !a->no_model;
          MUTA_CHECK(!a->mesh.empty() || !a->workspace.empty())
              << "give --mesh FILE -o SITE or -w WORKSPACE";
          return a->mesh.empty() ? ExportWorkspace(*a) : ExportMesh(*a);
        };
      }};
}

}  // namespace muta::cli
