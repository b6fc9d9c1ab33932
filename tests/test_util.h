#pragma once
// Helpers for tests: scratch directories and running the `muta` binary.

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "core/mesh.h"

namespace muta::test {

/// A fresh empty directory under the build tree's test scratch area, removed on destruction
/// unless MUTA_KEEP_TEST_DIRS is set.
class TempDir {
 public:
  explicit TempDir(const std::string& name = "t");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

struct CommandResult {
  int exit_code = -1;
  std::string out;  ///< stdout
  std::string err;  ///< stderr
};

/// Runs the built `muta` binary with `args` (no shell; stdin from /dev/null).
CommandResult RunMuta(const std::vector<std::string>& args);
/// Runs any program with `args`.
CommandResult RunProgram(const std::string& program, const std::vector<std::string>& args);

/// The `xvfb-run` arguments that choose its X display: `-a -n N`, a free display searched from
/// N, where N differs between processes (from the pid). Plain `-a` starts at 99 in every
/// process, and two tests starting at once under `ctest -j` can both take 99: one Xvfb fails
/// and its client cannot open the display (seen in a CI rehearsal, 2026-11-26). Consecutive pids
/// are spread 97 numbers apart (with N from the pid alone, two tests started together stepped
/// into each other's numbers: seen again under load, 2026-11-27). `attempt` > 0 moves to
/// another number for a retry.
std::vector<std::string> XvfbDisplayArgs(int attempt = 0);

/// Path of a file in the source tree's test data (tests/data/...).
std::filesystem::path TestData(const std::string& relative);
/// The shared datasets folder (../shared/datasets from the source root) or empty if absent.
std::filesystem::path SharedDatasets();

/// Writes bytes to a file (non-atomically: tests build broken inputs on purpose).
void WriteBytes(const std::filesystem::path& path, const std::string& bytes);
/// A copy of `path`'s bytes cut to `size`.
void WriteTruncatedCopy(const std::filesystem::path& from, const std::filesystem::path& to,
                        std::size_t size);

/// A 2 x 2 x 3 m box standing on the ground (z-up), 12 triangles, lower vertices blue and upper
/// ones red.
Mesh ColouredBox();

/// Every edge of the mesh is shared by exactly two triangles (and there is at least one).
bool EveryEdgeTwice(const Mesh& mesh);

/// Runs `f` and returns the message of the muta::Error it throws; fails the test when it throws
/// nothing or another exception.
std::string ErrorOf(const std::function<void()>& f);

}  // namespace muta::test
