#pragma once
// Running external programs (COLMAP, node) with their output streamed line by line.
//
// The child's stdout and stderr are merged into one pipe (so their order is kept) and handed to
// `on_line` as complete lines ('\n' or '\r' ends a line; progress bars that redraw with '\r'
// arrive as separate lines). The last `keep_tail_lines` lines are kept for error messages.
// When the user interrupts (InterruptRequested()), the child gets SIGINT, then SIGTERM after
// two seconds, then SIGKILL, and RunSubprocess throws muta::Cancelled.

#include <cstddef>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace muta {

struct SubprocessOptions {
  /// Extra environment variables (NAME, value), added to or replacing the parent's.
  std::vector<std::pair<std::string, std::string>> env;
  /// Called for every output line, from the calling thread.
  std::function<void(std::string_view line)> on_line;
  /// How many trailing output lines the result keeps.
  std::size_t keep_tail_lines = 40;
  /// Working directory of the child (empty: the parent's).
  std::filesystem::path working_directory;
};

struct SubprocessResult {
  int exit_code = 0;              ///< the child's exit status; 128 + signal if killed
  std::vector<std::string> tail;  ///< its last output lines
  /// The tail joined with newlines (for error messages).
  std::string TailText(std::size_t max_lines = 40) const;
};

/// Runs `program` (a path, or a name looked up on PATH) with `args` and waits for it. Throws
/// muta::Error if it cannot be started, muta::Cancelled if interrupted.
SubprocessResult RunSubprocess(const std::string& program, const std::vector<std::string>& args,
                               const SubprocessOptions& options = {});

/// The full path of an executable named `program` on PATH (or `program` itself if it contains
/// a '/' and is executable); nullopt if none.
std::optional<std::filesystem::path> FindExecutable(const std::string& program);

}  // namespace muta
