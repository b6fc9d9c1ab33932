#pragma once
// WORKSPACE/report.html: what a job did, with its figures and pictures, readable offline.
//
// One HTML file (inline CSS, no scripts, nothing fetched from the network) plus PNG images in
// WORKSPACE/report/: a job summary, a table per stage (status, timings, figures, error), a
// sparse view (points and camera frusta from WORKSPACE/sparse, rendered headless from above and
// from three-quarters), depth- and normal-map thumbnails (dense/stereo), a mesh preview
// (dense/mesh.ply) and the accuracy figures of WORKSPACE/accuracy.json. What is missing is left
// out, so a report after `ingest` alone, or after a failed stage, works. Every file is written
// atomically (temp + rename); PNGs of an earlier report that this one does not use are removed.
// Format notes for users: docs/report.md.

#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "core/workspace.h"
#include "tools/muta/command.h"

namespace muta {
class Progress;
}

namespace muta::cli {

struct ReportOptions {
  /// Render the sparse view and the mesh preview (needs headless OpenGL). Off, the report has
  /// tables and thumbnails only and takes milliseconds.
  bool render = true;
  /// Size of the rendered views, pixels.
  int render_width = 640;
  int render_height = 480;
  /// At most this many depth maps (with their normal maps) are shown, evenly spread.
  int max_depth_maps = 6;
  /// Width of a depth-/normal-map thumbnail, pixels (never wider than the map itself).
  int thumbnail_width = 320;
  /// Throws muta::Error naming the field when a value is out of range.
  void Check() const;
};

struct ReportSummary {
  std::filesystem::path html;                 ///< WORKSPACE/report.html
  std::vector<std::filesystem::path> images;  ///< PNGs written (all under WORKSPACE/report/)
  std::vector<std::string> notes;             ///< parts left out because they failed (warned)
  double seconds = 0;                         ///< wall time of writing the report
};

/// Writes `root`/report.html and `root`/report/*.png for `job` (the job of the workspace at
/// `root`). A part that cannot be made (e.g. no OpenGL, a corrupt depth map) is replaced by a
/// note in the report and in the summary; throws muta::Error only when the report itself
/// cannot be written (e.g. a read-only workspace).
ReportSummary WriteReport(const std::filesystem::path& root, const Job& job,
                          const ReportOptions& options = {});

/// RunStages (core/workspace.h) followed by WriteReport – also when a stage fails (the report
/// then shows what finished and the error; the stage's error is rethrown afterwards) and, with
/// renders left out so that Ctrl-C stays quick, when the run is interrupted. A report that
/// cannot be written is a warning, never the job's error.
std::vector<StageOutcome> RunStagesWithReport(Workspace& workspace,
                                              std::span<const StageDef> stages,
                                              const RunOptions& options, Progress& progress);

/// `muta report -w WORKSPACE` (cmd_report.cpp).
CommandSpec ReportCommand();

}  // namespace muta::cli
