#pragma once
// Progress reporting and cancellation.
//
// A long task reports units of work: Begin(task, total) ... Advance() ... End(). Advance is
// thread-safe (call it from tbb::parallel_for bodies). Output goes to stderr:
//   - kBar: a bar with count, rate and ETA, redrawn at most 10 times a second (TTY default);
//   - kJson: one JSON object per line (`--progress json`):
//       {"event":"begin"|"progress"|"end","task":..,"done":..,"total":..,"unit":..,
//        "elapsed_s":..,"rate":..,"eta_s":..}
//   - kQuiet: nothing (the default when stderr is not a terminal).
//
// Cancellation: InstallInterruptHandler() turns the first SIGINT into a flag; work loops call
// CheckInterrupted() between units, which throws muta::Cancelled. A second SIGINT kills the
// process at once.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

namespace muta {

enum class ProgressStyle { kAuto, kBar, kJson, kQuiet };

/// Parses "auto", "bar", "json" or "none"/"quiet"; throws muta::Error otherwise.
ProgressStyle ParseProgressStyle(std::string_view text);

/// The process-wide style used by Progress objects created with kAuto.
void SetDefaultProgressStyle(ProgressStyle style);

class Progress {
 public:
  explicit Progress(ProgressStyle style = ProgressStyle::kAuto);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  /// Starts a task of `total` units (0: unknown). Ends the previous task, if any.
  void Begin(std::string_view task, std::uint64_t total, std::string_view unit = "");
  /// Adds `n` finished units. Thread-safe.
  void Advance(std::uint64_t n = 1);
  /// Finishes the current task (prints its final line).
  void End();

  std::uint64_t done() const { return done_.load(std::memory_order_relaxed); }
  std::uint64_t total() const { return total_; }
  const std::string& task() const { return task_; }
  ProgressStyle style() const { return style_; }

 private:
  void Report(bool force, const char* event);

  ProgressStyle style_;
  std::string task_;
  std::string unit_;
  std::uint64_t total_ = 0;
  std::atomic<std::uint64_t> done_{0};
  bool active_ = false;
  std::chrono::steady_clock::time_point start_;
  std::atomic<std::int64_t> last_report_ns_{0};
};

/// Installs the SIGINT handler (idempotent).
void InstallInterruptHandler();
/// True once SIGINT was received (or RequestInterrupt() called).
bool InterruptRequested();
/// Throws muta::Cancelled if an interrupt was requested.
void CheckInterrupted();
/// For tests and for programmatic cancellation.
void RequestInterrupt();
void ResetInterrupt();

/// Serialises writes to the terminal between the logger and the progress bar.
std::mutex& TerminalMutex();
/// Erases the progress bar line on a TTY; call with TerminalMutex() held.
void ClearProgressLineLocked();

}  // namespace muta
