#pragma once
// The job workspace: one folder per job, with muta.job.json recording each stage's status.
//
// Resume rule (DESIGN.md): a stage whose status is `done`, whose options hash and input
// fingerprints are unchanged and whose declared outputs still exist is skipped. A stage that
// was `running` when its process died is found as `interrupted` and runs again; stages resume
// their own units of work (each unit written atomically) as they see fit. `--from`/`--to`
// select a range; `force` reruns every selected stage.
//
// Concurrency: Open() takes an exclusive lock (flock on WORKSPACE/.muta.lock); a second
// process on the same workspace gets a clear error instead of corrupting it.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"

namespace muta {

class Progress;

enum class StageStatus { kPending, kRunning, kDone, kFailed, kInterrupted };
std::string_view StageStatusName(StageStatus status);
std::optional<StageStatus> ParseStageStatus(std::string_view name);

/// One stage's entry in muta.job.json.
struct StageRecord {
  std::string name;
  StageStatus status = StageStatus::kPending;
  std::string options_hash;                   ///< Hash64 of the options JSON, hex
  std::map<std::string, std::string> inputs;  ///< workspace-relative path -> fingerprint
  std::vector<std::string> outputs;           ///< workspace-relative paths
  std::string started;                        ///< ISO 8601 UTC, empty if never run
  std::string finished;
  double seconds = 0;             ///< wall time of the last run
  double cpu_seconds = 0;         ///< CPU time (all threads, incl. programs it ran) of the last run
  Json figures = Json::object();  ///< counts, errors, ... (stage-specific)
  std::string error;              ///< message of the last failure
};

/// The whole of muta.job.json (schema in docs/formats.md).
struct Job {
  std::string muta_version;
  std::string created;
  std::string updated;
  Json properties = Json::object();  ///< job-wide facts, e.g. {"unscaled": true}
  std::vector<StageRecord> stages;

  StageRecord* Find(std::string_view name);
  const StageRecord* Find(std::string_view name) const;
  /// The record for `name`, appended (pending) if missing.
  StageRecord& Get(std::string_view name);
};

Json JobToJson(const Job& job);
/// Throws muta::Error naming `name` if the JSON does not follow the schema.
Job JobFromJson(const Json& json, const std::string& name);

class Workspace {
 public:
  /// Opens the workspace at `root`, creating the folder and a fresh job when `create` is set
  /// (else a missing workspace is an error). Loads muta.job.json, marks stale `running`
  /// stages `interrupted`, takes the lock and starts appending to log.txt.
  static Workspace Open(const std::filesystem::path& root, bool create = true);

  Workspace(Workspace&& other) noexcept;
  Workspace& operator=(Workspace&&) = delete;
  Workspace(const Workspace&) = delete;
  ~Workspace();

  const std::filesystem::path& root() const { return root_; }
  /// root / relative.
  std::filesystem::path Path(std::string_view relative) const { return root_ / relative; }
  std::filesystem::path JobFile() const { return root_ / "muta.job.json"; }
  std::filesystem::path LogFile() const { return root_ / "log.txt"; }

  Job& job() { return job_; }
  const Job& job() const { return job_; }
  /// Writes muta.job.json atomically.
  void Save();

 private:
  Workspace() = default;
  std::filesystem::path root_;
  Job job_;
  int lock_fd_ = -1;
};

/// A fingerprint of a file (size + content hash) or a folder (names and fingerprints of its
/// files, recursively, temp files excluded); "missing" if the path does not exist.
std::string Fingerprint(const std::filesystem::path& path);

/// A pipeline stage: what it reads, what it writes, and how to run it.
struct StageDef {
  std::string name;
  /// Options that change the result; hashed into the job record.
  Json options = Json::object();
  /// Workspace-relative (or absolute) paths read by the stage; fingerprinted.
  std::vector<std::string> inputs;
  /// Workspace-relative paths the stage produces; a `done` stage whose output vanished reruns.
  std::vector<std::string> outputs;
  /// Does the work; returns the stage's figures. Throws on failure; should call
  /// CheckInterrupted() between units of work.
  std::function<Json(Workspace&, Progress&)> run;
};

struct RunOptions {
  std::optional<std::string> from;  ///< first stage to consider (by name)
  std::optional<std::string> to;    ///< last stage to consider
  bool force = false;               ///< rerun selected stages even when up to date
  void Check(std::span<const StageDef> stages) const;
};

/// What happened to one stage in RunStages.
struct StageOutcome {
  std::string name;
  bool skipped = false;  ///< up to date
  double seconds = 0;
};

/// Runs `stages` in order under the resume rule, recording status, timing, fingerprints and
/// figures in the job after each stage (saved atomically). A failing stage is marked `failed`
/// (its error stored) and the error rethrown; muta::Cancelled marks it `interrupted`.
std::vector<StageOutcome> RunStages(Workspace& workspace, std::span<const StageDef> stages,
                                    const RunOptions& options, Progress& progress);

/// Current UTC time as ISO 8601 ("2026-11-25T15:46:22Z").
std::string NowIso8601();

}  // namespace muta
