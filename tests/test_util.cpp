#include "tests/test_util.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <typeinfo>
#include <utility>

#include "core/error.h"
#include "core/file_io.h"

extern char** environ;

namespace muta::test {
namespace fs = std::filesystem;

TempDir::TempDir(const std::string& name) {
  static std::atomic<int> counter{0};
  path_ = fs::path(MUTA_BINARY_DIR) / "test-scratch" /
          (name + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  fs::remove_all(path_);
  fs::create_directories(path_);
}

TempDir::~TempDir() {
  if (std::getenv("MUTA_KEEP_TEST_DIRS") == nullptr) {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
}

std::vector<std::string> XvfbDisplayArgs(int attempt) {
  // Consecutive pids (tests started together) land 97 numbers apart, so that one stepping past a
  // taken number does not walk into the next one's; a number whose socket is left over is
  // skipped too (Xvfb cannot listen there).
  int n = 100 + int((std::int64_t(getpid()) * 97 + 31 * attempt) % 30000);
  auto taken = [](int k) {
    return fs::exists("/tmp/.X" + std::to_string(k) + "-lock") ||
           fs::exists("/tmp/.X11-unix/X" + std::to_string(k));
  };
  while (taken(n)) ++n;
  return {"-a", "-n", std::to_string(n)};
}

CommandResult RunProgram(const std::string& program, const std::vector<std::string>& args) {
  TempDir io("run");
  const fs::path out_path = io / "stdout", err_path = io / "stderr";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(program.c_str()));
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, program.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  MUTA_INTERNAL_CHECK(rc == 0) << "cannot start " << program;
  int status = 0;
  waitpid(pid, &status, 0);
  CommandResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.out = ReadFileText(out_path);
  result.err = ReadFileText(err_path);
  return result;
}

CommandResult RunMuta(const std::vector<std::string>& args) {
  return RunProgram(MUTA_BIN, args);
}

fs::path TestData(const std::string& relative) {
  return fs::path(MUTA_SOURCE_DIR) / "tests" / "data" / relative;
}

fs::path SharedDatasets() {
  const fs::path p = fs::path(MUTA_SOURCE_DIR) / ".." / "shared" / "datasets";
  return fs::is_directory(p) ? fs::canonical(p) : fs::path();
}

void WriteBytes(const fs::path& path, const std::string& bytes) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

void WriteTruncatedCopy(const fs::path& from, const fs::path& to, std::size_t size) {
  const auto bytes = ReadFileBytes(from);
  WriteBytes(to, std::string(bytes.begin(), bytes.begin() + std::min(size, bytes.size())));
}

bool EveryEdgeTwice(const Mesh& mesh) {
  std::map<std::pair<std::uint32_t, std::uint32_t>, int> edges;
  for (const Face& f : mesh.faces) {
    for (int k = 0; k < 3; ++k) {
      const std::uint32_t a = f[k], b = f[(k + 1) % 3];
      ++edges[{std::min(a, b), std::max(a, b)}];
    }
  }
  for (const auto& [edge, count] : edges) {
    if (count != 2) return false;
  }
  return !edges.empty();
}

Mesh ColouredBox() {
  Mesh mesh;
  for (int i = 0; i < 8; ++i) {
    mesh.vertices.push_back(Vec3f(i & 1 ? 1.f : -1.f, i & 2 ? 1.f : -1.f, i & 4 ? 3.f : 0.f));
    mesh.colors.push_back(i & 4 ? Color3u8(200, 60, 40) : Color3u8(40, 90, 200));
  }
  const int quads[6][4] = {{0, 2, 3, 1}, {4, 5, 7, 6}, {0, 1, 5, 4},
                           {2, 6, 7, 3}, {0, 4, 6, 2}, {1, 3, 7, 5}};
  for (const auto& q : quads) {
    mesh.faces.push_back(Face(q[0], q[1], q[2]));
    mesh.faces.push_back(Face(q[0], q[2], q[3]));
  }
  return mesh;
}

std::string ErrorOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  } catch (const std::exception& e) {
    FAIL("threw a " << typeid(e).name() << " instead of muta::Error: " << e.what());
  }
  FAIL("no error was thrown");
  return {};
}

}  // namespace muta::test
