#include "core/progress.h"

#include <unistd.h>

#include <csignal>
#include <cstdio>

#include <fmt/format.h>

#include "core/error.h"
#include "core/json.h"

namespace muta {
namespace {

std::atomic<ProgressStyle> g_default_style{ProgressStyle::kAuto};
volatile std::sig_atomic_t g_interrupt = 0;
bool g_bar_on_screen = false;  // guarded by TerminalMutex()

void OnSigint(int) {
  if (g_interrupt) {
    // Second Ctrl-C: the user means it.
    std::signal(SIGINT, SIG_DFL);
    std::raise(SIGINT);
    return;
  }
  g_interrupt = 1;
  static const char kMsg[] =
      "\ninterrupt: stopping after the current unit of work (Ctrl-C again to kill)\n";
  [[maybe_unused]] auto n = ::write(STDERR_FILENO, kMsg, sizeof(kMsg) - 1);
}

std::string FormatDuration(double seconds) {
  if (!(seconds >= 0) || seconds > 1e7) return "?";
  const auto s = static_cast<long long>(seconds + 0.5);
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return fmt::format("{}m{:02}s", s / 60, s % 60);
  return fmt::format("{}h{:02}m", s / 3600, (s % 3600) / 60);
}

}  // namespace

ProgressStyle ParseProgressStyle(std::string_view text) {
  if (text == "auto") return ProgressStyle::kAuto;
  if (text == "bar") return ProgressStyle::kBar;
  if (text == "json") return ProgressStyle::kJson;
  if (text == "none" || text == "quiet") return ProgressStyle::kQuiet;
  MUTA_FAIL << "--progress " << text << ": expected auto, bar, json or none";
  return ProgressStyle::kQuiet;
}

void SetDefaultProgressStyle(ProgressStyle style) {
  g_default_style = style;
}

Progress::Progress(ProgressStyle style) : style_(style) {
  if (style_ == ProgressStyle::kAuto) style_ = g_default_style.load();
  if (style_ == ProgressStyle::kAuto) {
    style_ = ::isatty(STDERR_FILENO) ? ProgressStyle::kBar : ProgressStyle::kQuiet;
  }
}

Progress::~Progress() {
  if (active_) End();
}

void Progress::Begin(std::string_view task, std::uint64_t total, std::string_view unit) {
  if (active_) End();
  task_ = task;
  unit_ = unit;
  total_ = total;
  done_ = 0;
  active_ = true;
  start_ = std::chrono::steady_clock::now();
  last_report_ns_ = 0;
  Report(true, "begin");
}

void Progress::Advance(std::uint64_t n) {
  done_.fetch_add(n, std::memory_order_relaxed);
  Report(false, "progress");
}

void Progress::End() {
  if (!active_) return;
  Report(true, "end");
  active_ = false;
}

void Progress::Report(bool force, const char* event) {
  if (style_ == ProgressStyle::kQuiet) return;
  const auto now = std::chrono::steady_clock::now();
  const std::int64_t now_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(now - start_).count();
  const std::int64_t interval_ns = style_ == ProgressStyle::kBar ? 100'000'000 : 500'000'000;
  std::int64_t last = last_report_ns_.load(std::memory_order_relaxed);
  if (!force) {
    if (now_ns - last < interval_ns) return;
    if (!last_report_ns_.compare_exchange_strong(last, now_ns)) return;  // another thread does it
  } else {
    last_report_ns_ = now_ns;
  }
  const std::uint64_t done = done_.load(std::memory_order_relaxed);
  const double elapsed = now_ns * 1e-9;
  const double rate = elapsed > 0 ? done / elapsed : 0.0;
  const double eta = (total_ > done && rate > 0) ? (total_ - done) / rate : -1.0;

  std::lock_guard<std::mutex> lock(TerminalMutex());
  if (style_ == ProgressStyle::kJson) {
    Json line = {{"event", event},  {"task", task_},        {"done", done},
                 {"total", total_}, {"elapsed_s", elapsed}, {"rate", rate}};
    if (!unit_.empty()) line["unit"] = unit_;
    if (eta >= 0) line["eta_s"] = eta;
    std::fprintf(stderr, "%s\n", line.dump().c_str());
    std::fflush(stderr);
    return;
  }
  // Bar.
  constexpr int kWidth = 28;
  std::string bar;
  if (total_ > 0) {
    const int filled = static_cast<int>(kWidth * std::min<double>(1.0, double(done) / total_));
    bar = "[" + std::string(filled, '=') + std::string(kWidth - filled, ' ') + "] " +
          fmt::format("{}/{}", done, total_);
  } else {
    bar = fmt::format("{}", done);
  }
  const std::string unit = unit_.empty() ? "" : " " + unit_;
  std::string line = fmt::format("\r\033[K{} {}{}  {:.2f}{}/s", task_, bar, unit, rate, unit);
  if (std::string_view(event) == "end") {
    line += fmt::format("  done in {}\n", FormatDuration(elapsed));
    g_bar_on_screen = false;
  } else {
    if (eta >= 0) line += "  ETA " + FormatDuration(eta);
    g_bar_on_screen = true;
  }
  std::fputs(line.c_str(), stderr);
  std::fflush(stderr);
}

void InstallInterruptHandler() {
  struct sigaction action {};
  action.sa_handler = OnSigint;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  sigaction(SIGINT, &action, nullptr);
}

bool InterruptRequested() {
  return g_interrupt != 0;
}

void CheckInterrupted() {
  if (g_interrupt) throw Cancelled();
}

void RequestInterrupt() {
  g_interrupt = 1;
}
void ResetInterrupt() {
  g_interrupt = 0;
}

std::mutex& TerminalMutex() {
  static std::mutex mutex;
  return mutex;
}

void ClearProgressLineLocked() {
  if (g_bar_on_screen) {
    std::fputs("\r\033[K", stderr);
    g_bar_on_screen = false;
  }
}

}  // namespace muta
