#pragma once
// Where a sweep (`specrouter -m`) writes, and how a rerun of the same command finds the
// sweep it interrupted: a manifest (`<sweep>/.specrouter/sweep.yaml`) records the
// command and the time its folder was named after; a new invocation of the same command
// whose earlier sweep is unfinished composes with that time again, so every job lands in
// its old folder. Decision and alternatives: docs/design/sweeps.md.

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace specrouter::engine {

using SweepClock = std::chrono::system_clock;

/// What makes two sweeps "the same command".
struct SweepCommand {
  std::filesystem::path config_dir;    ///< absolute
  std::string config_name;
  std::vector<std::string> overrides;  ///< as given, sweeps unexpanded, in order

  bool operator==(const SweepCommand&) const = default;
};

/// The sweep folder chosen for an invocation.
struct SweepLocation {
  std::filesystem::path folder;  ///< the sweep folder (jobs go to `<folder>/<n>`)
  SweepClock::time_point now;    ///< the time every job composes `${now:...}` with
  bool resumed = false;          ///< an earlier unfinished sweep of the same command
};

/// A job is finished when its folder holds its results file.
bool job_finished(const std::filesystem::path& job_folder);

/// The name of the file that marks a finished job (`results.h5`).
inline constexpr const char* kJobResultsFile = "results.h5";

/// The file a failed job's folder keeps its error message in (`error.txt`), so that the
/// folder says why it has no results; a later successful run of the job removes it.
inline constexpr const char* kJobErrorFile = "error.txt";

/// Writes `message` (one line) to `<job_folder>/error.txt`, creating the folder. Best
/// effort: a folder that cannot be written (a full disk) leaves only the console's
/// message, which the caller has printed already.
void record_job_error(const std::filesystem::path& job_folder, const std::string& message);

/// Removes `<job_folder>/error.txt`, if any (the job has now succeeded).
void clear_job_error(const std::filesystem::path& job_folder);

/// Chooses the sweep folder of `command` with `jobs` jobs, started at `now`.
/// `folder_at(t)` is the sweep folder the config gives when composed at time t.
///
/// A folder that does not depend on the time (run.sweep_dir set to a fixed path) is
/// reused when its manifest records the same command, and refused (ConfigError naming
/// the folder) when it records another; a time-named folder is looked for among the
/// sibling sweeps (the folders at the same depth below the part of the path that does
/// not change with the time), and the most recent unfinished one of the same command is
/// reused. Otherwise the sweep is new, at `folder_at(now)`.
SweepLocation locate_sweep(const SweepCommand& command, std::size_t jobs, SweepClock::time_point now,
                           const std::function<std::filesystem::path(SweepClock::time_point)>& folder_at);

/// Writes `<location.folder>/.specrouter/sweep.yaml` (through a temporary name).
void write_sweep_manifest(const SweepLocation& location, const SweepCommand& command, std::size_t jobs);

}  // namespace specrouter::engine
