#include "reconstruct/colmap.h"

#include <regex>
#include <string_view>

#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include "core/error.h"
#include "core/progress.h"
#include "core/subprocess.h"

namespace muta::reconstruct {
namespace {

// Sets `progress` to `value` finished units (COLMAP reports absolute counts).
void SetProgress(Progress& progress, std::uint64_t value) {
  const std::uint64_t done = progress.done();
  if (value > done) progress.Advance(value - done);
}

bool IsErrorLine(std::string_view line) {
  // glog: "E20261125 12:00:00.000 123 file.cc:10] message", "F..." fatal.
  if (line.size() > 1 && (line[0] == 'E' || line[0] == 'F') && line[1] >= '0' && line[1] <= '9') {
    return true;
  }
  for (std::string_view key :
       {"ERROR", "Error:", "Check failed", "terminate called", "what():", "Aborted"}) {
    if (line.find(key) != std::string_view::npos) return true;
  }
  return false;
}

}  // namespace

std::filesystem::path FindColmap(const std::optional<std::filesystem::path>& explicit_path) {
  if (explicit_path) {
    const auto found = FindExecutable(explicit_path->string());
    MUTA_CHECK(found.has_value()) << explicit_path->string()
                                  << ": not an executable COLMAP; fix --colmap, or leave it out "
                                     "to use `colmap` from PATH";
    return *found;
  }
  const auto found = FindExecutable("colmap");
  MUTA_CHECK(found.has_value())
      << "COLMAP was not found on PATH; install it (Debian/Ubuntu: `sudo apt-get install "
         "colmap`, or run scripts/install-deps.sh) or pass --colmap /path/to/colmap";
  return *found;
}

std::string ColmapErrorText(const std::vector<std::string>& lines, std::size_t max_lines) {
  std::vector<std::string_view> errors;
  for (const auto& line : lines) {
    if (IsErrorLine(line)) errors.push_back(line);
  }
  if (errors.empty()) {
    for (const auto& line : lines) errors.push_back(line);
  }
  const std::size_t first = errors.size() > max_lines ? errors.size() - max_lines : 0;
  std::string text;
  for (std::size_t i = first; i < errors.size(); ++i) {
    text += "\n  ";
    text += errors[i];
  }
  return text;
}

void RunColmap(const std::filesystem::path& colmap, const std::string& command,
               const std::vector<std::string>& args, Progress* progress) {
  static const std::regex kBracket(R"(\[(\d+)/(\d+)(?:,\s*(\d+)/(\d+))?\])");
  static const std::regex kRegistering(R"(Registering image #\d+ \((\d+)\))");
  static const std::regex kImportedPair(R"(^\S+ - \S+)");  // matches_importer: "a.jpg - b.jpg"
  const bool importer = command == "matches_importer";

  std::vector<std::string> full_args;
  full_args.push_back(command);
  full_args.insert(full_args.end(), args.begin(), args.end());
  spdlog::debug("running {} {}", colmap.string(), fmt::join(full_args, " "));

  SubprocessOptions options;
  options.env = {{"QT_QPA_PLATFORM", "offscreen"}, {"GLOG_logtostderr", "1"}};
  options.keep_tail_lines = 200;
  options.on_line = [&](std::string_view line) {
    spdlog::debug("colmap {}: {}", command, line);
    if (progress == nullptr) return;
    std::match_results<std::string_view::const_iterator> m;
    if (importer) {
      if (std::regex_search(line.begin(), line.end(), m, kImportedPair)) progress->Advance();
    } else if (std::regex_search(line.begin(), line.end(), m, kRegistering)) {
      SetProgress(*progress, std::stoull(m[1].str()));
    } else if (std::regex_search(line.begin(), line.end(), m, kBracket)) {
      if (m[3].matched) {
        // Matching block [i/n, j/n]: blocks done = (i-1)*n + j.
        const std::uint64_t i = std::stoull(m[1].str()), n = std::stoull(m[2].str());
        const std::uint64_t j = std::stoull(m[3].str()), nj = std::stoull(m[4].str());
        if (progress->total() > 0 && n * nj > 0) {
          SetProgress(*progress, progress->total() * ((i - 1) * nj + j) / (n * nj));
        }
      } else {
        SetProgress(*progress, std::stoull(m[1].str()));
      }
    }
  };
  const SubprocessResult result = RunSubprocess(colmap.string(), full_args, options);
  MUTA_CHECK(result.exit_code == 0)
      << "COLMAP " << command << " failed ("
      << (result.exit_code > 128 ? "killed by signal " + std::to_string(result.exit_code - 128)
                                 : "exit code " + std::to_string(result.exit_code))
      << "). COLMAP said:" << ColmapErrorText(result.tail)
      << "\nThe full output is in the job's log.txt.";
}

}  // namespace muta::reconstruct
