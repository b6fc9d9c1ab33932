#include "tests/test_util.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <sstream>

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

CommandResult RunMuta(const std::vector<std::string>& args) { return RunProgram(MUTA_BIN, args); }

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

}  // namespace muta::test
