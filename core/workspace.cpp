#include "core/workspace.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <ctime>
#include <fstream>

#include "core/error.h"
#include "core/file_io.h"
#include "core/log.h"
#include "core/progress.h"
#include "core/version.h"

namespace muta {
namespace fs = std::filesystem;

namespace {

constexpr std::array<std::string_view, 5> kStatusNames = {"pending", "running", "done", "failed",
                                                          "interrupted"};
constexpr int kJobFormatVersion = 1;

// User + system time of this process (all threads) and of the child processes it has waited
// for (COLMAP), in seconds.
double ProcessCpuSeconds() {
  double total = 0;
  for (int who : {RUSAGE_SELF, RUSAGE_CHILDREN}) {
    rusage usage{};
    if (getrusage(who, &usage) != 0) continue;
    total += double(usage.ru_utime.tv_sec) + 1e-6 * double(usage.ru_utime.tv_usec) +
             double(usage.ru_stime.tv_sec) + 1e-6 * double(usage.ru_stime.tv_usec);
  }
  return total;
}

bool IsTempName(const std::string& name) {
  return name.find(".tmp-") != std::string::npos;
}

std::string FileFingerprint(const fs::path& path) {
  // Streamed in blocks so a large input never sits in memory whole.
  std::ifstream in(path, std::ios::binary);
  MUTA_CHECK(in.good()) << path.string() << ": cannot read input to fingerprint it";
  std::vector<std::uint8_t> block(1 << 20);
  std::uint64_t hash = 0;
  std::uint64_t size = 0;
  while (in) {
    in.read(reinterpret_cast<char*>(block.data()), static_cast<std::streamsize>(block.size()));
    const auto n = static_cast<std::size_t>(in.gcount());
    if (n == 0) break;
    hash = Hash64(std::span<const std::uint8_t>(block.data(), n), hash);
    size += n;
  }
  return std::to_string(size) + ":" + HexString(hash);
}

std::string RelativeName(const Workspace& ws, const std::string& input) {
  return fs::path(input).is_absolute() ? input : ws.Path(input).string();
}

}  // namespace

std::string_view StageStatusName(StageStatus status) {
  return kStatusNames[static_cast<std::size_t>(status)];
}

std::optional<StageStatus> ParseStageStatus(std::string_view name) {
  for (std::size_t i = 0; i < kStatusNames.size(); ++i) {
    if (kStatusNames[i] == name) return static_cast<StageStatus>(i);
  }
  return std::nullopt;
}

StageRecord* Job::Find(std::string_view name) {
  for (auto& s : stages) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

const StageRecord* Job::Find(std::string_view name) const {
  return const_cast<Job*>(this)->Find(name);
}

StageRecord& Job::Get(std::string_view name) {
  if (StageRecord* s = Find(name)) return *s;
  stages.push_back(StageRecord{.name = std::string(name)});
  return stages.back();
}

Json JobToJson(const Job& job) {
  Json stages = Json::array();
  for (const auto& s : job.stages) {
    Json j = {{"name", s.name},
              {"status", StageStatusName(s.status)},
              {"options_hash", s.options_hash},
              {"inputs", s.inputs},
              {"outputs", s.outputs},
              {"started", s.started},
              {"finished", s.finished},
              {"seconds", s.seconds},
              {"cpu_seconds", s.cpu_seconds},
              {"figures", s.figures}};
    if (!s.error.empty()) j["error"] = s.error;
    stages.push_back(std::move(j));
  }
  return {
      {"format", "muta.job"},   {"version", kJobFormatVersion}, {"muta_version", job.muta_version},
      {"created", job.created}, {"updated", job.updated},       {"properties", job.properties},
      {"stages", stages}};
}

Job JobFromJson(const Json& json, const std::string& name) {
  const std::string fix = "; fix it by hand, or delete it to start the job afresh";
  MUTA_CHECK(json.is_object() && json.value("format", "") == "muta.job")
      << name << ": not a Muta job file (no \"format\": \"muta.job\")" << fix;
  MUTA_CHECK(json.contains("version") && json["version"].is_number_integer())
      << name << ": missing integer \"version\"" << fix;
  const int version = json["version"].get<int>();
  MUTA_CHECK(version <= kJobFormatVersion)
      << name << ": written by a newer Muta (job format " << version << ", this Muta reads up to "
      << kJobFormatVersion << "); upgrade Muta";
  Job job;
  try {
    job.muta_version = json.value("muta_version", "");
    job.created = json.value("created", "");
    job.updated = json.value("updated", "");
    job.properties = json.value("properties", Json::object());
    MUTA_CHECK(job.properties.is_object()) << name << ": \"properties\" must be an object" << fix;
    for (const Json& s : json.value("stages", Json::array())) {
      StageRecord r;
      r.name = s.at("name").get<std::string>();
      const auto status = ParseStageStatus(s.at("status").get<std::string>());
      MUTA_CHECK(status.has_value())
          << name << ": stage " << r.name << " has unknown status " << s.at("status").dump() << fix;
      r.status = *status;
      r.options_hash = s.value("options_hash", "");
      r.inputs = s.value("inputs", std::map<std::string, std::string>{});
      r.outputs = s.value("outputs", std::vector<std::string>{});
      r.started = s.value("started", "");
      r.finished = s.value("finished", "");
      r.seconds = s.value("seconds", 0.0);
      r.cpu_seconds = s.value("cpu_seconds", 0.0);
      r.figures = s.value("figures", Json::object());
      r.error = s.value("error", "");
      MUTA_CHECK(job.Find(r.name) == nullptr)
          << name << ": stage " << r.name << " is listed twice" << fix;
      job.stages.push_back(std::move(r));
    }
  } catch (const Json::exception& e) {
    MUTA_FAIL << name << ": malformed job file (" << e.what() << ")" << fix;
  }
  return job;
}

std::string NowIso8601() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

Workspace Workspace::Open(const fs::path& root, bool create) {
  std::error_code ec;
  if (!fs::exists(root, ec)) {
    MUTA_CHECK(create) << root.string() << ": no such workspace; check the -w path";
    fs::create_directories(root, ec);
    MUTA_CHECK(!ec) << root.string() << ": cannot create the workspace folder (" << ec.message()
                    << ")";
  }
  MUTA_CHECK(fs::is_directory(root))
      << root.string() << ": exists but is not a folder; choose another -w path";
  Workspace ws;
  ws.root_ = root;
  const fs::path lock_path = root / ".muta.lock";
  ws.lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  MUTA_CHECK(ws.lock_fd_ >= 0) << lock_path.string() << ": cannot create the lock file; is "
                               << root.string() << " writable?";
  if (::flock(ws.lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    ::close(ws.lock_fd_);
    ws.lock_fd_ = -1;
    MUTA_FAIL << root.string()
              << ": the workspace is in use by another muta process; wait for it to finish "
                 "(or stop it) and run again";
  }
  const fs::path job_file = ws.JobFile();
  if (fs::exists(job_file)) {
    ws.job_ = JobFromJson(ReadJsonFile(job_file), job_file.string());
    // We hold the lock, so a `running` stage belongs to a process that died.
    for (auto& s : ws.job_.stages) {
      if (s.status == StageStatus::kRunning) s.status = StageStatus::kInterrupted;
    }
  } else {
    MUTA_CHECK(create) << root.string() << ": not a Muta workspace (no muta.job.json)";
    ws.job_.created = NowIso8601();
  }
  ws.job_.muta_version = MUTA_VERSION_STRING;
  AddLogFile(ws.LogFile());
  spdlog::debug("workspace {} opened", root.string());
  return ws;
}

Workspace::Workspace(Workspace&& other) noexcept
    : root_(std::move(other.root_)), job_(std::move(other.job_)), lock_fd_(other.lock_fd_) {
  other.lock_fd_ = -1;
}

Workspace::~Workspace() {
  if (lock_fd_ >= 0) {
    RemoveLogFile();
    ::flock(lock_fd_, LOCK_UN);
    ::close(lock_fd_);
  }
}

void Workspace::Save() {
  job_.updated = NowIso8601();
  WriteJsonFile(JobFile(), JobToJson(job_));
}

std::string Fingerprint(const fs::path& path) {
  std::error_code ec;
  const auto status = fs::status(path, ec);
  if (ec || !fs::exists(status)) return "missing";
  if (fs::is_regular_file(status)) return FileFingerprint(path);
  MUTA_CHECK(fs::is_directory(status)) << path.string() << ": not a file or folder";
  std::vector<std::pair<std::string, std::string>> entries;
  for (auto it = fs::recursive_directory_iterator(path, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (!it->is_regular_file()) continue;
    const std::string name = it->path().lexically_relative(path).generic_string();
    if (IsTempName(name)) continue;
    entries.emplace_back(name, FileFingerprint(it->path()));
  }
  MUTA_CHECK(!ec) << path.string() << ": cannot list the folder (" << ec.message() << ")";
  std::sort(entries.begin(), entries.end());
  std::uint64_t hash = 0;
  for (const auto& [name, fp] : entries) hash = Hash64(name + "=" + fp + "\n", hash);
  return "dir" + std::to_string(entries.size()) + ":" + HexString(hash);
}

void RunOptions::Check(std::span<const StageDef> stages) const {
  auto known = [&](const std::optional<std::string>& name, const char* flag) {
    if (!name) return;
    std::string list;
    for (const auto& s : stages) {
      if (s.name == *name) return;
      list += (list.empty() ? "" : ", ") + s.name;
    }
    MUTA_FAIL << flag << " " << *name << ": no such stage; stages are: " << list;
  };
  known(from, "--from");
  known(to, "--to");
}

std::vector<StageOutcome> RunStages(Workspace& ws, std::span<const StageDef> stages,
                                    const RunOptions& options, Progress& progress) {
  options.Check(stages);
  std::vector<StageOutcome> outcomes;
  bool selected = !options.from.has_value();
  for (const StageDef& stage : stages) {
    if (options.from && stage.name == *options.from) selected = true;
    if (!selected) continue;

    const std::string options_hash = HexString(Hash64(stage.options.dump()));
    std::map<std::string, std::string> inputs;
    for (const auto& input : stage.inputs) {
      const std::string fp = Fingerprint(RelativeName(ws, input));
      MUTA_CHECK(fp != "missing") << stage.name << ": input " << RelativeName(ws, input)
                                  << " is missing; run the stage that makes it first";
      inputs[input] = fp;
    }
    StageRecord& record = ws.job().Get(stage.name);
    const bool outputs_present =
        std::all_of(stage.outputs.begin(), stage.outputs.end(),
                    [&](const std::string& out) { return fs::exists(ws.Path(out)); });
    const bool up_to_date = record.status == StageStatus::kDone &&
                            record.options_hash == options_hash && record.inputs == inputs &&
                            outputs_present;
    if (up_to_date && !options.force) {
      spdlog::info("{}: up to date, skipped", stage.name);
      outcomes.push_back({stage.name, true, 0.0});
    } else {
      if (record.status == StageStatus::kInterrupted) {
        spdlog::info("{}: resuming after an interruption", stage.name);
      }
      spdlog::info("{}: running", stage.name);
      record.status = StageStatus::kRunning;
      record.options_hash = options_hash;
      record.inputs = inputs;
      record.outputs = stage.outputs;
      record.started = NowIso8601();
      record.finished.clear();
      record.error.clear();
      ws.Save();
      const auto t0 = std::chrono::steady_clock::now();
      auto elapsed = [&] {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      };
      const double cpu0 = ProcessCpuSeconds();
      // `record` may move if the stage adds records; look it up again afterwards.
      try {
        Json figures = stage.run(ws, progress);
        progress.End();
        StageRecord& done = ws.job().Get(stage.name);
        done.figures = figures.is_null() ? Json::object() : std::move(figures);
        done.status = StageStatus::kDone;
        done.seconds = elapsed();
        done.cpu_seconds = ProcessCpuSeconds() - cpu0;
        done.finished = NowIso8601();
        ws.Save();
        spdlog::info("{}: done in {:.1f} s ({:.1f} CPU s)", stage.name, done.seconds,
                     done.cpu_seconds);
        outcomes.push_back({stage.name, false, done.seconds});
      } catch (const Cancelled&) {
        progress.End();
        StageRecord& r = ws.job().Get(stage.name);
        r.status = StageStatus::kInterrupted;
        r.seconds = elapsed();
        r.cpu_seconds = ProcessCpuSeconds() - cpu0;
        ws.Save();
        throw;
      } catch (const std::exception& e) {
        progress.End();
        StageRecord& r = ws.job().Get(stage.name);
        r.status = StageStatus::kFailed;
        r.error = e.what();
        r.seconds = elapsed();
        r.cpu_seconds = ProcessCpuSeconds() - cpu0;
        r.finished = NowIso8601();
        ws.Save();
        throw;
      }
    }
    if (options.to && stage.name == *options.to) break;
  }
  return outcomes;
}

}  // namespace muta
