#pragma once
// Stills of the demo's site bundle, rendered headless (EGL; llvmpipe needs no GPU) through the
// streaming renderer: render::SiteStream selects and loads the tiles each view asks for by
// screen-space error, exactly as `muta render SITE --view NAME` and the viewer do.
//
// Frames: the site's world frame (z-up; metres, or model units for an unscaled site).

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/json.h"

namespace muta {
class Progress;
}

namespace muta::cli {

struct DemoStillsOptions {
  int width = 960;  ///< pixels
  int height = 720;
  double max_sse_px = 1.5;  ///< finest tiles a view asks for (screen-space error, pixels)
  int samples = 4;          ///< MSAA
  void Check() const;
};

struct DemoStill {
  std::string name;         ///< file stem, e.g. "overview", "closeup", "view_front"
  std::string description;  ///< one line for the demo's summary
  std::filesystem::path path;
  int tiles = 0;  ///< tiles drawn
  long long triangles = 0;
};

/// Renders into `out_dir` (created):
///   overview.png           the site's default three-quarter viewpoint, inferred triangles
///                          highlighted (when the site has any);
///   overview_observed.png  the same with the inferred layer hidden: the evidence alone (only
///                          when the site has inferred triangles);
///   closeup.png            the largest missing region of `damage` (damage.json of `muta restore`,
///                          the site's frame) up close, highlighted; without one, the site's
///                          "close-up" viewpoint; closeup_observed.png as above;
///   view_NAME.png          every saved viewpoint of site.json.
/// Throws muta::Error naming the file for a missing or corrupt bundle.
std::vector<DemoStill> RenderSiteStills(const std::filesystem::path& site_dir,
                                        const std::optional<Json>& damage,
                                        const std::filesystem::path& out_dir,
                                        const DemoStillsOptions& options, Progress& progress);

}  // namespace muta::cli
