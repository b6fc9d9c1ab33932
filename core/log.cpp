#include "core/log.h"

#include <unistd.h>

#include <mutex>

#include <spdlog/sinks/ansicolor_sink.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/dist_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

#include "core/error.h"
#include "core/progress.h"

namespace muta {
namespace {

// Clears the progress bar line before a message and lets the bar redraw after it.
class StderrSink : public spdlog::sinks::base_sink<std::mutex> {
 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t formatted;
    formatter_->format(msg, formatted);
    std::lock_guard<std::mutex> lock(TerminalMutex());
    ClearProgressLineLocked();
    std::fwrite(formatted.data(), 1, formatted.size(), stderr);
    std::fflush(stderr);
  }
  void flush_() override { std::fflush(stderr); }
};

std::shared_ptr<spdlog::sinks::dist_sink_mt> g_dist;
std::shared_ptr<spdlog::sinks::sink> g_file_sink;

}  // namespace

void InitLogging(const std::string& level) {
  g_dist = std::make_shared<spdlog::sinks::dist_sink_mt>();
  auto console = std::make_shared<StderrSink>();
  console->set_pattern("%^%l%$: %v");
  console->set_level(spdlog::level::from_str(level));
  g_dist->add_sink(console);
  auto logger = std::make_shared<spdlog::logger>("muta", g_dist);
  logger->set_level(spdlog::level::trace);
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(logger);
}

void AddLogFile(const std::filesystem::path& path) {
  if (!g_dist) InitLogging();
  RemoveLogFile();
  try {
    auto sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(path.string(), false);
    sink->set_pattern("[%Y-%m-%d %H:%M:%S.%e] [%l] %v");
    sink->set_level(spdlog::level::debug);
    g_dist->add_sink(sink);
    g_file_sink = sink;
  } catch (const spdlog::spdlog_ex& e) {
    MUTA_FAIL << path.string() << ": cannot open the log file (" << e.what() << ")";
  }
}

void RemoveLogFile() {
  if (g_dist && g_file_sink) {
    g_file_sink->flush();
    g_dist->remove_sink(g_file_sink);
  }
  g_file_sink.reset();
}

}  // namespace muta
