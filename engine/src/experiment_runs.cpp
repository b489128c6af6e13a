// One run or a sweep of runs from configs (experiment_runs.h): compose, check the
// components, create the folder, run; for sweeps also resume, share jobs among MPI
// ranks, report progress and go on past failed jobs.
#include "specrouter/engine/experiment_runs.h"

#include <chrono>
#include <exception>
#include <limits>
#include <set>

#include "specrouter/config/compose.h"
#include "specrouter/engine/experiment.h"
#include "specrouter/engine/leaderboard.h"
#include "specrouter/engine/multirun.h"
#include "specrouter/engine/output_dir.h"
#include "specrouter/engine/pool.h"
#include "specrouter/engine/process_group.h"
#include "specrouter/error.h"

namespace specrouter::engine {
namespace {
namespace fs = std::filesystem;

ComposedConfig compose_job(const ExperimentRequest& request, const std::vector<std::string>& overrides,
                           SweepClock::time_point now) {
  return compose(request.compose_request(overrides, now));
}

// The sweep folder: job 0's folder's parent.
fs::path sweep_folder_of(const ExperimentRequest& request, const std::vector<Job>& jobs, SweepClock::time_point now) {
  return output_dir_of(compose_job(request, jobs.front().overrides, now), OutputDirOptions{{}, std::size_t{0}})
      .parent_path();
}

// Rank 0 picks the sweep folder (resuming an unfinished one of the same command) and
// writes its manifest; every rank gets the time the folder is named after, so all agree
// on it. Returns the time every job composes with.
SweepClock::time_point agree_on_sweep(const ExperimentRequest& request, const std::vector<Job>& jobs,
                                      const ProcessGroup& group, std::ostream& log) {
  constexpr std::int64_t kRootFailed = std::numeric_limits<std::int64_t>::min();
  std::int64_t now_ns = kRootFailed;
  std::exception_ptr failure;
  if (group.is_root()) {
    try {
      const SweepCommand command{fs::absolute(request.config_dir).lexically_normal(), request.config_name,
                                 request.overrides};
      const auto folder_at = [&](SweepClock::time_point now) { return sweep_folder_of(request, jobs, now); };
      const SweepLocation location = locate_sweep(command, jobs.size(), SweepClock::now(), folder_at);
      write_sweep_manifest(location, command, jobs.size());
      log << "sweep: " << location.folder.string() << " (" << jobs.size() << " jobs"
          << (location.resumed ? ", resuming an unfinished sweep of the same command" : "")
          << (group.size() > 1 ? ", over " + std::to_string(group.size()) + " MPI ranks" : "") << ")\n";
      now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(location.now.time_since_epoch()).count();
    } catch (...) {
      failure = std::current_exception();
    }
  }
  now_ns = group.broadcast_from_root(now_ns);
  if (failure) std::rethrow_exception(failure);
  if (now_ns == kRootFailed) throw Error("rank 0 could not prepare the sweep folder (its message says why)");
  return SweepClock::time_point(std::chrono::duration_cast<SweepClock::duration>(std::chrono::nanoseconds(now_ns)));
}

// The key an override sets: `+a.b=1` and `~a.b` -> `a.b`.
std::string override_key(const std::string& override) {
  std::size_t begin = 0;
  while (begin < override.size() && (override[begin] == '+' || override[begin] == '~')) ++begin;
  return override.substr(begin, override.find('=') - begin);
}

// The leaderboard of the finished sweep's folder, so that a comparison ends with its table.
void print_sweep_leaderboard(const fs::path& folder, std::ostream& log, std::ostream& errors) {
  try {
    const Leaderboard board = read_leaderboard(folder);
    if (board.pools.empty()) return;  // no run wrote a summary the leaderboard reads
    log << "\n";
    render_markdown(board, folder, log);
  } catch (const Error& e) {
    // The jobs succeeded and their files are written; only the table is missing.
    errors << "leaderboard: " << e.what() << " (`specrouter leaderboard " << folder.string() << "` retries)\n";
  }
}

// Set-up work before the first job: the checkpoints every job's pool needs (the zoo is
// trained here, once, rather than inside job 1's time).
void prepare_checkpoints(const ExperimentRequest& request, const std::vector<const Job*>& jobs,
                         SweepClock::time_point now, std::ostream& log) {
  std::set<std::string> prepared;  // pools are often the same for every job
  for (const Job* job : jobs) {
    ComposedConfig config;
    try {
      config = compose_job(request, job->overrides, now);
    } catch (const ConfigError&) {
      continue;  // the job fails on its own, with this message, and the others go on
    }
    if (job_finished(output_dir_of(config, OutputDirOptions{{}, job->number}))) continue;
    const YAML::Node pool = config.find("pool");
    if (!pool.IsDefined() || pool.IsNull()) continue;
    if (!prepared.insert(YAML::Dump(pool)).second) continue;
    prepare_pool_checkpoints(config, log);
  }
}

}  // namespace

fs::path run_experiment_once(const ExperimentRequest& request, const Registries& registries, std::ostream& log,
                             SweepClock::time_point now, std::optional<std::size_t> job) {
  const ComposedConfig config = compose_job(request, request.overrides, now);
  // Every component is checked before the folder exists: a typo costs nothing.
  const ExperimentComponents components = build_components(config, registries);
  OutputDirOptions where;
  where.job_number = job;
  const fs::path output_dir = prepare_output_dir(config, where);
  log << "output: " << output_dir.string() << "\n";
  run_experiment(config, components, output_dir, log);
  return output_dir;
}

void add_declared_sweeps(ExperimentRequest& request) {
  const std::string kKey = "hydra.sweeper.params";
  const ComposedConfig config = compose(request.compose_request(expand_multirun(request.overrides).front().overrides, std::nullopt));
  const YAML::Node params = config.find(kKey);
  if (!params.IsDefined() || params.IsNull()) return;
  if (!params.IsMap()) throw ConfigError(config.describe_key(kKey) + ": expected a map of key: sweep (e.g. method: a,b)");
  std::set<std::string> given;
  for (const std::string& override : request.overrides) given.insert(override_key(override));
  std::vector<std::string> declared;
  for (const auto& param : params) {
    const std::string key = param.first.as<std::string>();
    if (given.count(key) != 0) continue;
    if (!param.second.IsScalar()) {
      throw ConfigError(config.describe_key(kKey + "." + key) + ": expected a sweep as text, e.g. a,b,c or range(0,3)");
    }
    declared.push_back(key + "=" + param.second.Scalar());
  }
  request.overrides.insert(request.overrides.begin(), declared.begin(), declared.end());
}

SweepOutcome run_sweep(ExperimentRequest request, const Registries& registries, const SweepOptions& options,
                       std::ostream& log, std::ostream& errors) {
  add_declared_sweeps(request);
  // Expanding first means a malformed sweep fails before anything is loaded or written.
  const std::vector<Job> jobs = expand_multirun(request.overrides);
  ProcessGroup group;
  const SweepClock::time_point now = agree_on_sweep(request, jobs, group, log);

  SweepOutcome outcome;
  outcome.folder = sweep_folder_of(request, jobs, now);
  outcome.jobs = jobs.size();
  std::vector<const Job*> mine;  // job j runs on rank j mod size
  for (const Job& job : jobs) {
    if (job.number % static_cast<std::size_t>(group.size()) == static_cast<std::size_t>(group.rank())) mine.push_back(&job);
  }
  outcome.jobs_here = mine.size();
  prepare_checkpoints(request, mine, now, log);

  const std::string label =
      group.size() > 1 ? "sweep rank " + std::to_string(group.rank()) + "/" + std::to_string(group.size()) : "sweep";
  SweepProgress progress(log, options.progress, mine.size(), label);
  for (const Job* job : mine) {
    const auto started = std::chrono::steady_clock::now();
    bool succeeded = false;
    try {
      const ComposedConfig config = compose_job(request, job->overrides, now);
      if (job_finished(output_dir_of(config, OutputDirOptions{{}, job->number}))) {
        progress.skipped(job->number, jobs.size());
        continue;
      }
      log << "[" << label << "] job " << job->number + 1 << "/" << jobs.size() << " starts\n";
      ExperimentRequest job_request = request;
      job_request.overrides = job->overrides;
      run_experiment_once(job_request, registries, log, now, job->number);
      clear_job_error(outcome.folder / std::to_string(job->number));
      succeeded = true;
    } catch (const std::exception& e) {
      // One bad job (a value only it uses, a model that does not fit) must not cost the others.
      errors << "[" << label << "] job " << job->number + 1 << "/" << jobs.size() << " failed: " << e.what() << "\n";
      record_job_error(outcome.folder / std::to_string(job->number), e.what());
      outcome.failed.push_back(job->number);
    }
    progress.finished(job->number, jobs.size(), succeeded,
                      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  }
  if (!outcome.failed.empty()) {
    std::string numbers;
    for (std::size_t number : outcome.failed) numbers += (numbers.empty() ? "" : ", ") + std::to_string(number + 1);
    errors << "[" << label << "] " << outcome.failed.size() << " of " << mine.size() << " jobs failed (jobs " << numbers
           << "); rerun the same command to retry them\n";
    return outcome;
  }
  // With several ranks, others may still be running: `specrouter leaderboard` then.
  if (group.size() == 1 && options.print_leaderboard) print_sweep_leaderboard(outcome.folder, log, errors);
  return outcome;
}

}  // namespace specrouter::engine
