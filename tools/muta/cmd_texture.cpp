// muta texture -w WORKSPACE [--texel-size MM]: the `texture` stage on its own (docs/texture.md):
// dense/mesh.ply + the undistorted images -> dense/textured.glb, textured.obj/.mtl and the atlas.
// Resumable like every stage: up to date -> skipped (--force to redo).
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>

#include <CLI/CLI.hpp>

#include "core/error.h"
#include "core/progress.h"
#include "core/workspace.h"
#include "reconstruct/texture/texture.h"
#include "tools/muta/command.h"

namespace muta::cli {
namespace {

namespace fs = std::filesystem;

struct TextureArgs {
  std::string workspace;
  double texel_size_mm = 0;
  bool no_leveling = false;
  bool no_blending = false;
  bool exclude_outliers = true;
  bool no_texel_visibility = false;
  bool no_consensus = false;
  bool align = false;
  double align_lattice = 32;
  int padding = 4;
  std::string format = "jpeg";
  RunOptions run;
  bool json = false;
};

void Print(const Json& f, bool json) {
  if (json) {
    std::printf("%s\n", f.dump(2).c_str());
    return;
  }
  auto num = [&](const char* key) { return f.contains(key) ? f[key].dump() : std::string("?"); };
  std::printf("muta texture – %s\n", f.value("output", std::string("?")).c_str());
  std::printf("  faces           %s (%s textured, %s neutral)\n", num("faces").c_str(),
              num("textured_faces").c_str(), num("untextured_faces").c_str());
  std::printf("  views           %s of %s used\n", num("views_used").c_str(), num("views").c_str());
  std::printf("  charts          %s\n", num("charts").c_str());
  std::printf("  atlas           %s x %s texels\n", num("atlas_width").c_str(),
              num("atlas_height").c_str());
  std::printf("  texel size      %.3f mm (%s; photos' ground sampling %.3f mm)\n",
              f.value("texel_size_mm", 0.0), f.value("texel_size_source", std::string()).c_str(),
              f.value("ground_sampling_distance_mm", 0.0));
  std::printf(
      "  seam step       %.2f -> %.2f levels levelled, %.2f in the atlas (mean colour step "
      "across chart borders)\n",
      f.value("seam_step_before", 0.0), f.value("seam_step_after", 0.0),
      f.value("seam_step_atlas", 0.0));
  if (f.contains("mip1_bleed_visible")) {
    std::printf(
        "  mipmaps         %.2f / %.2f / %.2f / %.2f %% of blocks bleed visibly at levels 1-4 "
        "(padding %d texels)\n",
        100 * f.value("mip1_bleed_visible", 0.0), 100 * f.value("mip2_bleed_visible", 0.0),
        100 * f.value("mip3_bleed_visible", 0.0), 100 * f.value("mip4_bleed_visible", 0.0),
        f.value("padding_texels", 0));
  }
  std::printf("  time            %.1f s (+ %.1f s reading, %.1f s writing), peak memory %.0f MB\n",
              f.value("seconds", 0.0), f.value("seconds_load", 0.0), f.value("seconds_write", 0.0),
              f.value("peak_memory_mb", 0.0));
}

int RunTextureCommand(TextureArgs& a) {
  const fs::path root(a.workspace);
  MUTA_CHECK(fs::is_directory(root))
      << a.workspace << ": no such workspace folder; check the -w path";
  MUTA_CHECK(fs::is_regular_file(root / "dense/mesh.ply"))
      << a.workspace << ": no mesh to texture (dense/mesh.ply is missing); run the mesh stage "
      << "first: `muta reconstruct PHOTOS -w " << a.workspace << "`";
  reconstruct::TextureOptions options;
  if (a.texel_size_mm > 0) options.texel_size_mm = a.texel_size_mm;
  options.seam_leveling = !a.no_leveling;
  options.seam_blending = !a.no_blending;
  options.exclude_outlier_views = a.exclude_outliers;
  options.texel_visibility = !a.no_texel_visibility;
  options.consensus = !a.no_consensus;
  options.align_views = a.align;
  options.align_lattice_pixels = a.align_lattice;
  options.atlas_format = a.format;
  options.padding = a.padding;
  options.Check();
  Workspace ws = Workspace::Open(root, /*create=*/false);
  const std::vector<StageDef> stages = {reconstruct::TextureStage(options)};
  Progress progress;
  const auto outcomes = RunStages(ws, stages, a.run, progress);
  const StageRecord* record = ws.job().Find("texture");
  Json figures = record ? record->figures : Json::object();
  if (!outcomes.empty() && outcomes[0].skipped) {
    figures["skipped"] = true;
    if (!a.json) {
      std::printf("muta texture – %s is up to date (use --force to texture again)\n",
                  ws.Path("dense/textured.glb").c_str());
      return kExitOk;
    }
  }
  Print(figures, a.json);
  return kExitOk;
}

}  // namespace

CommandSpec TextureCommand() {
  return {"texture",
          "Texture a workspace's mesh from its photographs (view selection, seam levelling, "
          "atlas at a chosen texel size)",
          [](CLI::App& sub, const GlobalOptions&) -> RunFunction {
            auto a = std::make_shared<TextureArgs>();
            sub.add_option("-w,--workspace", a->workspace,
                           "Job workspace with dense/mesh.ply and the undistorted images")
                ->required();
            sub.add_option("--texel-size", a->texel_size_mm,
                           "Atlas texel size on the surface, millimetres (default: the photos' "
                           "ground sampling distance, reported)")
                ->check(CLI::PositiveNumber);
            sub.add_flag("--no-seam-leveling", a->no_leveling,
                         "Skip the global colour adjustment across chart borders");
            sub.add_flag("--no-seam-blending", a->no_blending,
                         "Skip the local blending of the views in a band along chart borders");
            sub.add_flag("--exclude-outlier-views,!--keep-outlier-views", a->exclude_outliers,
                         "Per face, drop views whose colour is an outlier among the views' "
                         "(moving objects, people, a tree in front of the wall in some "
                         "photographs); on by default, --keep-outlier-views turns it off");
            sub.add_flag("--no-texel-visibility", a->no_texel_visibility,
                         "Bake each chart from its view without the per-texel depth test (a "
                         "texel hidden in that view keeps the occluder's colour)");
            sub.add_flag("--no-consensus", a->no_consensus,
                         "Bake each texel from its chart's view even where 3 or more views see "
                         "it (default: their per-channel median)");
            sub.add_flag("--align-views", a->align,
                         "First align the photographs to each other on the mesh by a smooth "
                         "displacement field each (Zhou & Koltun 2014; for cameras or a mesh "
                         "slightly off)");
            sub.add_option("--align-lattice", a->align_lattice,
                           "Control-point spacing of the alignment's displacement fields, "
                           "pixels of the photographs texturing reads")
                ->check(CLI::Range(8.0, 4096.0))
                ->capture_default_str();
            sub.add_option("--padding", a->padding,
                           "Texels of border around each chart, filled by dilation: each "
                           "doubling keeps one more mipmap level free of the neighbours' colours")
                ->check(CLI::Range(1, 64))
                ->capture_default_str();
            sub.add_option("--atlas-format", a->format, "Atlas image: jpeg or png")
                ->check(CLI::IsMember({"jpeg", "png"}))
                ->capture_default_str();
            sub.add_flag("--force", a->run.force, "Texture again even when up to date");
            sub.add_flag("--json", a->json, "Print the figures as JSON on stdout");
            return [a] { return RunTextureCommand(*a); };
          }};
}

}  // namespace muta::cli
