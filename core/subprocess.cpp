#include "core/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>

#include "core/error.h"
#include "core/progress.h"

extern char** environ;

namespace muta {
namespace {

// Splits a byte stream into lines on '\n' and '\r'.
class LineSplitter {
 public:
  LineSplitter(const SubprocessOptions& options, std::deque<std::string>& tail)
      : options_(options), tail_(tail) {}

  void Feed(const char* data, std::size_t size) {
    for (std::size_t i = 0; i < size; ++i) {
      const char c = data[i];
      if (c == '\n' || c == '\r') {
        Flush();
      } else {
        current_.push_back(c);
      }
    }
  }

  void Flush() {
    if (current_.empty()) return;
    if (options_.on_line) options_.on_line(current_);
    tail_.push_back(current_);
    while (tail_.size() > options_.keep_tail_lines) tail_.pop_front();
    current_.clear();
  }

 private:
  const SubprocessOptions& options_;
  std::deque<std::string>& tail_;
  std::string current_;
};

std::vector<std::string> MakeEnvironment(const SubprocessOptions& options) {
  std::map<std::string, std::string> vars;
  for (char** e = environ; e && *e; ++e) {
    const std::string entry(*e);
    const auto eq = entry.find('=');
    if (eq == std::string::npos) continue;
    vars[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  for (const auto& [name, value] : options.env) vars[name] = value;
  std::vector<std::string> out;
  out.reserve(vars.size());
  for (const auto& [name, value] : vars) out.push_back(name + "=" + value);
  return out;
}

bool IsExecutableFile(const std::filesystem::path& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

}  // namespace

std::string SubprocessResult::TailText(std::size_t max_lines) const {
  std::string text;
  const std::size_t first = tail.size() > max_lines ? tail.size() - max_lines : 0;
  for (std::size_t i = first; i < tail.size(); ++i) {
    if (!text.empty()) text += '\n';
    text += tail[i];
  }
  return text;
}

std::optional<std::filesystem::path> FindExecutable(const std::string& program) {
  if (program.empty()) return std::nullopt;
  if (program.find('/') != std::string::npos) {
    if (IsExecutableFile(program)) return std::filesystem::path(program);
    return std::nullopt;
  }
  const char* path = std::getenv("PATH");
  const std::string dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
  std::size_t start = 0;
  while (start <= dirs.size()) {
    const std::size_t end = std::min(dirs.find(':', start), dirs.size());
    const std::string dir = dirs.substr(start, end - start);
    const std::filesystem::path candidate =
        std::filesystem::path(dir.empty() ? "." : dir) / program;
    if (IsExecutableFile(candidate)) return candidate;
    start = end + 1;
  }
  return std::nullopt;
}

SubprocessResult RunSubprocess(const std::string& program, const std::vector<std::string>& args,
                               const SubprocessOptions& options) {
  const auto exe = FindExecutable(program);
  MUTA_CHECK(exe.has_value()) << "cannot run '" << program
                              << "': no such executable (not found on PATH)";

  int fds[2] = {-1, -1};
  MUTA_INTERNAL_CHECK(::pipe2(fds, O_CLOEXEC) == 0) << "pipe: " << std::strerror(errno);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 2);
  if (!options.working_directory.empty()) {
    posix_spawn_file_actions_addchdir_np(&actions, options.working_directory.c_str());
  }
  // The child starts with default signal handling (our SIGINT handler must not be inherited
  // as "ignored").
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGINT);
  sigaddset(&defaults, SIGTERM);
  sigaddset(&defaults, SIGPIPE);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF);

  std::vector<std::string> env = MakeEnvironment(options);
  std::vector<char*> envp;
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::vector<std::string> argv_storage;
  argv_storage.push_back(exe->string());
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_storage) argv.push_back(a.data());
  argv.push_back(nullptr);

  pid_t pid = 0;
  const int rc = ::posix_spawn(&pid, exe->c_str(), &actions, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  ::close(fds[1]);
  if (rc != 0) {
    ::close(fds[0]);
    MUTA_CHECK(false) << "cannot run '" << exe->string() << "': " << std::strerror(rc);
  }

  std::deque<std::string> tail;
  LineSplitter splitter(options, tail);
  bool cancelled = false;
  int kill_stage = 0;  // 0 none, 1 SIGINT sent, 2 SIGTERM sent, 3 SIGKILL sent
  auto kill_time = std::chrono::steady_clock::now();
  char buffer[8192];
  for (;;) {
    if (InterruptRequested() && kill_stage < 3) {
      cancelled = true;
      const auto now = std::chrono::steady_clock::now();
      if (kill_stage == 0 || now - kill_time > std::chrono::seconds(2)) {
        const int sig = kill_stage == 0 ? SIGINT : kill_stage == 1 ? SIGTERM : SIGKILL;
        ::kill(pid, sig);
        ++kill_stage;
        kill_time = now;
      }
    }
    pollfd pfd{fds[0], POLLIN, 0};
    const int ready = ::poll(&pfd, 1, 100);
    if (ready < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (ready == 0) continue;
    const ssize_t n = ::read(fds[0], buffer, sizeof(buffer));
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      break;
    }
    if (n == 0) break;  // every writer closed: the child (and its children) are done
    splitter.Feed(buffer, static_cast<std::size_t>(n));
  }
  splitter.Flush();
  ::close(fds[0]);

  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  SubprocessResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.tail.assign(tail.begin(), tail.end());
  if (cancelled || InterruptRequested()) throw Cancelled();
  return result;
}

}  // namespace muta
