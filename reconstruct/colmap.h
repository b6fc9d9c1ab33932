#pragma once
// Driving the COLMAP 3.8 command-line tool (CPU build): finding it, running one of its
// commands with its output streamed into our log and progress, and turning a failure into a
// muta::Error that quotes COLMAP's own message.

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace muta {
class Progress;
}

namespace muta::reconstruct {

/// The COLMAP executable: `explicit_path` if given (it must exist and be executable), else
/// `colmap` on PATH. Throws muta::Error with install advice when there is none.
std::filesystem::path FindColmap(const std::optional<std::filesystem::path>& explicit_path);

/// Runs `colmap COMMAND ARGS...` and waits for it. Every output line goes to the log at debug
/// level; COLMAP's per-item progress lines ("Processed file [3/24]", "Matching block [1/2, 2/2]",
/// "Registering image #5 (4)", "Undistorting image [7/24]") advance `progress` when given,
/// whose task the caller has begun with the right total. Runs without a display (Qt offscreen).
/// Throws muta::Error quoting COLMAP's error lines when it exits non-zero or crashes, and
/// muta::Cancelled when the user interrupts.
void RunColmap(const std::filesystem::path& colmap, const std::string& command,
               const std::vector<std::string>& args, Progress* progress = nullptr);

/// COLMAP's error lines (glog E/F lines, "ERROR", "Check failed", exceptions) from its output,
/// or its last lines when there are none; for error messages.
std::string ColmapErrorText(const std::vector<std::string>& lines, std::size_t max_lines = 12);

}  // namespace muta::reconstruct
