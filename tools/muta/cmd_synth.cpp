// muta synth: a procedural heritage building photographed from known cameras, with exact
// ground truth (tools/synth; output layout in docs/formats.md).
//   muta synth --scene pagoda|hall|gate [--seed N] [--images N] [--size WxH] [--focal PX |
//              --fov DEG] [--radial K] [--damage none|default|SPEC] [--storeys N]
//              [--holdout N] [--holdout-close N] ... -o DIR
#include <cstdio>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "core/error.h"
#include "core/progress.h"
#include "tools/muta/command.h"
#include "tools/synth/synth.h"

namespace muta::cli {
namespace {

struct SynthArgs {
  std::string scene;
  std::string output;
  std::string size = "1024x768";
  std::string contact_sheet;
  std::string overview;
  synth::SynthOptions options;
  // CLI11 fills plain values; optionals are set only when the flag was given.
  int storeys = 0, columns_per_side = 0, bracket_layers = 0;
  double radius = 0, roof_curve = 0, focal = 0, fov = 0, radial = 0;
};

void ParseSize(const std::string& text, int& width, int& height) {
  const auto x = text.find('x');
  MUTA_CHECK(x != std::string::npos && x > 0 && x + 1 < text.size())
      << "--size '" << text << "': expected WIDTHxHEIGHT in pixels, e.g. 1024x768";
  try {
    std::size_t used_w = 0, used_h = 0;
    width = std::stoi(text.substr(0, x), &used_w);
    height = std::stoi(text.substr(x + 1), &used_h);
    MUTA_CHECK(used_w == x && used_h == text.size() - x - 1) << "";
  } catch (const std::exception&) {
    MUTA_FAIL << "--size '" << text << "': expected WIDTHxHEIGHT in pixels, e.g. 1024x768";
  }
}

}  // namespace

CommandSpec SynthCommand() {
  return {
      "synth", "Synthesize a heritage building with photographs and exact ground truth",
      [](CLI::App& sub, const GlobalOptions&) -> RunFunction {
        auto a = std::make_shared<SynthArgs>();
        synth::SynthOptions& o = a->options;
        sub.add_option("--scene", a->scene, "Building type: pagoda, hall or gate")
            ->required()
            ->check(CLI::IsMember({"pagoda", "hall", "gate"}));
        sub.add_option("-o,--output", a->output, "Output folder")->required();
        sub.add_option("--seed", o.building.seed,
                       "Seed: the building's parameters, textures, cameras and damage")
            ->capture_default_str();
        sub.add_option("--images", o.rig.images, "Number of photographs")->capture_default_str();
        sub.add_option("--size", a->size, "Image size WIDTHxHEIGHT")->capture_default_str();
        auto* focal = sub.add_option("--focal", a->focal,
                                     "Focal length in pixels "
                                     "(default 0.9 * width)");
        auto* fov = sub.add_option("--fov", a->fov, "Horizontal field of view, degrees");
        focal->excludes(fov);
        auto* radial =
            sub.add_option("--radial", a->radial, "SIMPLE_RADIAL distortion k (default: PINHOLE)");
        sub.add_option("--damage", o.damage,
                       "none, default (a mix placed by the seed) or a SPEC such as "
                       "missing:column:s1:side3,lost:finial:partial (docs/formats.md)")
            ->capture_default_str();
        auto* storeys = sub.add_option("--storeys", a->storeys, "Pagoda storeys (1..12)");
        auto* radius = sub.add_option("--radius", a->radius, "Pagoda column ring radius, metres");
        auto* columns = sub.add_option("--columns-per-side", a->columns_per_side,
                                       "Pagoda columns per side (1..5)");
        auto* layers =
            sub.add_option("--bracket-layers", a->bracket_layers, "Bracket set layers (1..5)");
        auto* curve = sub.add_option("--roof-curve", a->roof_curve, "Roof profile exponent (1..3)");
        sub.add_option("--texture-size", o.texture_size,
                       "Pixels per texture tile (each material gets a weathered atlas of 4x4 "
                       "tiles)")
            ->capture_default_str();
        sub.add_option("--jpeg-quality", o.jpeg_quality, "JPEG quality (1..100)")
            ->capture_default_str();
        sub.add_option("--visible-density", o.visible_density,
                       "Surface samples per m^2 tested for gt/visible.ply")
            ->capture_default_str();
        sub.add_option("--contact-sheet", a->contact_sheet,
                       "Also write a contact sheet of the images (.png or .jpg)");
        sub.add_option("--overview", a->overview,
                       "Also render a three-quarter overview of the building (.png or .jpg)");
        sub.add_option("--contact-sheet-width", o.contact_sheet_width,
                       "Contact sheet width in pixels")
            ->capture_default_str();
        sub.add_option("--holdout", o.holdout,
                       "Also render N held-out views between the main ring's photographs into "
                       "holdout/images/ and holdout/sparse/ (never into images/), for muta eval "
                       "texture")
            ->capture_default_str();
        sub.add_option("--holdout-close", o.holdout_close,
                       "Also render N held-out close-ups (half the main ring's distance, at "
                       "several heights) into holdout/, named holdout_close_NNN.jpg")
            ->capture_default_str();
        sub.add_flag("--gt-only", o.gt_only,
                     "Write the ground truth only (no images, no gt/visible.ply)");
        return [a, focal, fov, radial, storeys, radius, columns, layers, curve] {
          synth::SynthOptions& opts = a->options;
          opts.building.scene = *synth::ParseSceneType(a->scene);
          ParseSize(a->size, opts.rig.width, opts.rig.height);
          if (*focal) opts.rig.focal_px = a->focal;
          if (*fov) opts.rig.fov_deg = a->fov;
          if (*radial) opts.rig.radial = a->radial;
          if (*storeys) opts.building.storeys = a->storeys;
          if (*radius) opts.building.radius = a->radius;
          if (*columns) opts.building.columns_per_side = a->columns_per_side;
          if (*layers) opts.building.bracket_layers = a->bracket_layers;
          if (*curve) opts.building.roof_curve = a->roof_curve;
          if (!a->contact_sheet.empty()) opts.contact_sheet = a->contact_sheet;
          if (!a->overview.empty()) opts.overview = a->overview;
          Progress progress;
          const synth::SynthSummary s = synth::WriteSynthDataset(opts, a->output, progress);
          const std::string held_out =
              s.holdout_images ? " + " + std::to_string(s.holdout_images) + " held out" : "";
          std::printf(
              "muta synth – %s (seed %llu) in %s: %zu parts, %zu faces (%zu removed by "
              "damage), %zu images%s (%.1f s rendering), %zu visible points, %.1f s in all\n",
              a->scene.c_str(), static_cast<unsigned long long>(opts.building.seed),
              a->output.c_str(), s.parts, s.faces, s.removed_faces, s.images, held_out.c_str(),
              s.render_seconds, s.visible_points, s.total_seconds);
          return kExitOk;
        };
      }};
}

}  // namespace muta::cli
