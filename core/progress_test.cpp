#include "core/progress.h"

#include <catch2/catch.hpp>

#include <csignal>

#include <tbb/parallel_for.h>

#include "core/error.h"

TEST_CASE("Progress counts units from many threads", "[unit][progress]") {
  muta::Progress progress(muta::ProgressStyle::kQuiet);
  progress.Begin("work", 10000, "items");
  tbb::parallel_for(0, 10000, [&](int) { progress.Advance(); });
  CHECK(progress.done() == 10000);
  CHECK(progress.total() == 10000);
  progress.End();
}

TEST_CASE("Interrupts turn into muta::Cancelled at the next check", "[unit][progress]") {
  muta::ResetInterrupt();
  CHECK_NOTHROW(muta::CheckInterrupted());
  muta::RequestInterrupt();
  CHECK(muta::InterruptRequested());
  CHECK_THROWS_AS(muta::CheckInterrupted(), muta::Cancelled);
  muta::ResetInterrupt();
}

TEST_CASE("Progress styles parse", "[unit][progress]") {
  CHECK(muta::ParseProgressStyle("json") == muta::ProgressStyle::kJson);
  CHECK(muta::ParseProgressStyle("none") == muta::ProgressStyle::kQuiet);
  CHECK_THROWS_AS(muta::ParseProgressStyle("fancy"), muta::Error);
}

TEST_CASE("SIGINT sets the interrupt flag instead of killing the process", "[unit][progress]") {
  muta::ResetInterrupt();
  muta::InstallInterruptHandler();
  std::raise(SIGINT);
  CHECK(muta::InterruptRequested());
  CHECK_THROWS_AS(muta::CheckInterrupted(), muta::Cancelled);
  muta::ResetInterrupt();
  std::signal(SIGINT, SIG_DFL);
}
