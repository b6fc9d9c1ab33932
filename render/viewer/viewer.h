#pragma once
// The desktop viewer (`muta view`): a GLFW window with Dear ImGui panels over a ViewScene –
// orbit/fly/walk cameras, provenance layers, section planes, measuring, annotations,
// screenshots and a stats overlay; or, with a script, the same driven without user input.
// Controls and the script format: docs/viewer.md.

#include <filesystem>
#include <string>

#include "render/viewer/navigation.h"
#include "render/viewer/script.h"
#include "render/viewer/view_scene.h"

namespace muta::render::viewer {

struct ViewerOptions {
  int width = 1280;  ///< window size, pixels (a script's "size" wins)
  int height = 800;
  NavMode mode = NavMode::kOrbit;
  std::string viewpoint;  ///< start at this saved viewpoint of site.json (empty = framed)
  double fov_deg = 50;    ///< vertical field of view
  double snap_m = 0.01;   ///< measuring: snap to a triangle corner this close (metres; 0 = off)
  void Check() const;
};

/// Opens the window (throws muta::Error when there is no display: use `muta render` or
/// xvfb-run), shows `model` and returns when the window is closed or the script has run.
/// Script results (measurements, annotation ids, screenshots) are printed to stdout as one
/// JSON object per line.
void RunViewer(LoadedModel model, const ViewerOptions& options, const Script* script);

}  // namespace muta::render::viewer
