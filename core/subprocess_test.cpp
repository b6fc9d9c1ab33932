#include "core/subprocess.h"

#include <catch2/catch.hpp>

#include <signal.h>

#include <chrono>
#include <thread>

#include "core/error.h"
#include "core/progress.h"

TEST_CASE("RunSubprocess streams merged output lines and returns the exit code",
          "[unit][subprocess]") {
  std::vector<std::string> lines;
  muta::SubprocessOptions options;
  options.on_line = [&](std::string_view line) { lines.emplace_back(line); };
  options.env = {{"MUTA_TEST_VALUE", "42"}};
  const auto result = muta::RunSubprocess(
      "sh", {"-c", "echo one; echo two >&2; printf 'a\\rb\\n'; echo $MUTA_TEST_VALUE; exit 3"},
      options);
  CHECK(result.exit_code == 3);
  REQUIRE(lines.size() == 5);
  CHECK(lines[0] == "one");
  CHECK(lines[1] == "two");
  CHECK(lines[2] == "a");
  CHECK(lines[3] == "b");
  CHECK(lines[4] == "42");
  CHECK(result.TailText(2) == "b\n42");
}

TEST_CASE("RunSubprocess keeps only the last lines", "[unit][subprocess]") {
  muta::SubprocessOptions options;
  options.keep_tail_lines = 3;
  const auto result =
      muta::RunSubprocess("sh", {"-c", "for i in 1 2 3 4 5 6; do echo $i; done"}, options);
  CHECK(result.exit_code == 0);
  CHECK(result.tail == std::vector<std::string>{"4", "5", "6"});
}

TEST_CASE("RunSubprocess reports a missing program clearly", "[unit][subprocess]") {
  CHECK_FALSE(muta::FindExecutable("muta-no-such-program-xyz").has_value());
  CHECK(muta::FindExecutable("sh").has_value());
  try {
    muta::RunSubprocess("muta-no-such-program-xyz", {});
    FAIL("expected an error");
  } catch (const muta::Error& e) {
    CHECK(e.kind() == muta::ErrorKind::kUser);
    CHECK_THAT(e.what(), Catch::Contains("muta-no-such-program-xyz"));
  }
}

TEST_CASE("RunSubprocess stops the child when the user interrupts", "[unit][subprocess]") {
  muta::ResetInterrupt();
  std::thread interrupter([] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    muta::RequestInterrupt();
  });
  long child_pid = 0;
  muta::SubprocessOptions options;
  options.on_line = [&](std::string_view line) { child_pid = std::stol(std::string(line)); };
  CHECK_THROWS_AS(muta::RunSubprocess("sh", {"-c", "echo $$; exec sleep 30"}, options),
                  muta::Cancelled);
  interrupter.join();
  muta::ResetInterrupt();
  // The child was killed and reaped, not left running.
  REQUIRE(child_pid > 0);
  CHECK(::kill(static_cast<pid_t>(child_pid), 0) != 0);
}
