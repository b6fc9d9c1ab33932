#pragma once
// Logging: spdlog to stderr (and, once a job workspace is open, to its log.txt).
// stdout is reserved for a command's result, so `--json` output stays pure JSON.
//
// Use spdlog's free functions (spdlog::info, spdlog::warn, ...) anywhere; InitLogging()
// installs Muta's default logger.

#include <filesystem>
#include <string>

#include <spdlog/spdlog.h>

namespace muta {

/// Sets up the default logger on stderr. `level`: trace|debug|info|warn|error|off.
void InitLogging(const std::string& level = "info");

/// Also appends every message (at debug level and above) to `path`, e.g. WORKSPACE/log.txt.
void AddLogFile(const std::filesystem::path& path);

/// Stops writing to the log file added by AddLogFile (if any).
void RemoveLogFile();

}  // namespace muta
