#pragma once
/// @file
/// @brief Running experiments from configs: one run, or a sweep of runs (Hydra's -m),
/// each into its own folder. What `specrouter run` does, callable from any program.
///
/// @code
/// specrouter::Registries registries;
/// specrouter::engine::load_plugins(registries, {}, std::cerr);
/// specrouter::engine::ExperimentRequest request{specrouter::engine::project_config_dir(), "config",
///                                              {"method=static", "workload.requests=4"}};
/// const std::filesystem::path folder = specrouter::engine::run_experiment_once(request, registries, std::cout);
/// // folder/results.h5 holds the run (docs/results-schema.md).
/// @endcode

#include <cstddef>
#include <filesystem>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "specrouter/config/compose.h"
#include "specrouter/engine/sweep_folder.h"
#include "specrouter/engine/sweep_progress.h"
#include "specrouter/plugin/registries.h"

namespace specrouter::engine {

/// Which experiment: a config folder, its primary config and the overrides on it.
struct ExperimentRequest {
  std::filesystem::path config_dir;  ///< e.g. project_config_dir()
  std::string config_name = "config";  ///< primary config, without .yaml
  std::vector<std::string> overrides;  ///< `group=option`, `a.b=value`, `+a.b=v`, `~a.b`; sweeps with -m
  /// Config folders searched after `config_dir` for group options, e.g. the loaded
  /// plugins' (plugin_config_folders()).
  std::vector<std::filesystem::path> search_path;

  /// The compose request of one job with `overrides` (sweep-free) at time `now`.
  ComposeRequest compose_request(std::vector<std::string> job_overrides,
                                 std::optional<SweepClock::time_point> now) const {
    return ComposeRequest{config_dir, config_name, std::move(job_overrides), now, search_path};
  }
};

/// Composes `request` (no sweep syntax), checks every component against its plugin's
/// declared parameters before anything is written, creates the run folder (job `job`
/// of a sweep when set) and runs the experiment into it, logging to `log`. `now` is the
/// time `${now:...}` resolves to. Returns the run folder. Throws ConfigError (naming the
/// key, file and line) or the error that ended the run; what was written stays.
std::filesystem::path run_experiment_once(const ExperimentRequest& request, const Registries& registries,
                                          std::ostream& log, SweepClock::time_point now = SweepClock::now(),
                                          std::optional<std::size_t> job = std::nullopt);

/// Adds the sweeps the config declares (`hydra.sweeper.params`: key -> "a,b,c") to the
/// overrides, before the command line's so that they vary slowest; a key the overrides
/// already set keeps their value.
void add_declared_sweeps(ExperimentRequest& request);

/// How a sweep reports.
struct SweepOptions {
  ProgressStyle progress = ProgressStyle::kLines;  ///< a bar or plain lines
  bool print_leaderboard = true;  ///< end with the sweep's leaderboard (one process only)
};

/// What a sweep did in this process.
struct SweepOutcome {
  std::filesystem::path folder;      ///< the sweep folder (its jobs are numbered subfolders)
  std::size_t jobs = 0;              ///< jobs in the whole sweep
  std::size_t jobs_here = 0;         ///< jobs this process (MPI rank) owns
  std::vector<std::size_t> failed;   ///< numbers (0-based) of this process's jobs that failed
};

/// Runs every job of the sweep `request` describes (comma lists and range() in the
/// overrides, plus the declared sweeps), each with run_experiment_once() into
/// `<run.sweep_dir>/<job>`. The same request again resumes an interrupted sweep,
/// skipping finished jobs. Under an MPI launcher job j runs on rank j mod ranks. Set-up
/// work (training the model zoo a pool needs) is done before the first job, so it is not
/// counted as a job's time. A failing job is reported on `errors` and the others go on.
SweepOutcome run_sweep(ExperimentRequest request, const Registries& registries, const SweepOptions& options,
                       std::ostream& log, std::ostream& errors);

}  // namespace specrouter::engine
