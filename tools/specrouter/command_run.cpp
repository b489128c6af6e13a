// `specrouter run` (also `specrouter [OVERRIDES...]`): compose the config, load and
// validate the plugins it names, create the output folder, and run the experiment; with
// -m, once per job of the sweep: resuming an interrupted sweep of the same command,
// showing progress, sharing the jobs among MPI ranks, and going on past failed jobs.
#include <unistd.h>

#include <exception>
#include <filesystem>
#include <iostream>
#include <limits>
#include <set>

#include "command.h"
#include "config_dir.h"
#include "experiment.h"
#include "leaderboard.h"
#include "plugin_setup.h"
#include "process_group.h"
#include "specrouter/config/compose.h"
#include "specrouter/config/multirun.h"
#include "specrouter/config/output_dir.h"
#include "specrouter/error.h"
#include "sweep_folder.h"
#include "sweep_progress.h"

namespace specrouter::cli {
namespace {
namespace fs = std::filesystem;

constexpr const char* kHelp =
    "usage: specrouter [run] [OPTIONS] [OVERRIDES...]\n\n"
    "Composes configs/config.yaml with the overrides, loads the plugins it names, checks\n"
    "every component's parameters, and runs the experiment into its own output folder\n"
    "(run.output_dir; the composed config and overrides are saved in <folder>/.specrouter/).\n\n"
    "overrides (docs/config.md):\n"
    "  group=option       choose a config group option     (pool=tiny, scheduler=static)\n"
    "  a.b=value          change an existing value         (run.seed=3)\n"
    "  +a.b=value         add a new key                    (+workload.tag=x)\n"
    "  ++a.b=value        set or add                       (++run.threads=2)\n"
    "  ~a.b               delete a key                     (~drafter)\n\n"
    "options:\n"
    "  -m, --multirun         sweep comma lists and range(start,stop,step): one job per combination,\n"
    "                         each into <run.sweep_dir>/<job>; the same command again resumes an\n"
    "                         interrupted sweep, skipping jobs whose folder holds results.h5; a\n"
    "                         failed job is reported and the others go on (exit 1 at the end);\n"
    "                         under `mpirun -n N` job j runs on rank j mod N\n"
    "  --progress MODE        sweep progress: auto (a bar on a terminal, plain lines otherwise),\n"
    "                         bar, or lines\n"
    "  --cfg job              print the composed config and exit\n"
    "  --config-dir DIR       config folder (default: ./configs, else the source tree's)\n"
    "  --config-name NAME     primary config without .yaml (default: config)\n"
    "  --plugin-path DIR      also load the plugins in DIR (repeatable)\n";

struct RunOptions {
  fs::path config_dir;
  std::string config_name = "config";
  bool multirun = false;
  bool print_config = false;
  std::string progress = "auto";
  std::vector<fs::path> plugin_paths;
  std::vector<std::string> overrides;
};

// Returns false (after printing why) when the command line is malformed.
bool parse_options(std::span<const std::string> args, RunOptions& options) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    auto value = [&](const char* flag) -> const std::string* {
      if (i + 1 < args.size()) return &args[++i];
      std::cerr << "specrouter run: " << flag << " needs a value\n";
      return nullptr;
    };
    if (arg == "-m" || arg == "--multirun") {
      options.multirun = true;
    } else if (arg == "--cfg") {
      const std::string* what = value("--cfg");
      if (!what) return false;
      if (*what != "job") {
        std::cerr << "specrouter run: --cfg supports 'job', not '" << *what << "'\n";
        return false;
      }
      options.print_config = true;
    } else if (arg == "--progress") {
      const std::string* mode = value("--progress");
      if (!mode) return false;
      if (*mode != "auto" && *mode != "bar" && *mode != "lines") {
        std::cerr << "specrouter run: --progress is auto, bar or lines, not '" << *mode << "'\n";
        return false;
      }
      options.progress = *mode;
    } else if (arg == "--config-dir") {
      const std::string* dir = value("--config-dir");
      if (!dir) return false;
      options.config_dir = *dir;
    } else if (arg == "--config-name") {
      const std::string* name = value("--config-name");
      if (!name) return false;
      options.config_name = *name;
    } else if (arg == "--plugin-path") {
      const std::string* dir = value("--plugin-path");
      if (!dir) return false;
      options.plugin_paths.emplace_back(*dir);
    } else if (arg.rfind("--", 0) == 0 && arg.find('=') == std::string::npos) {
      std::cerr << "specrouter run: unknown option '" << arg << "'\n";
      return false;
    } else {
      options.overrides.push_back(arg);
    }
  }
  if (options.config_dir.empty()) options.config_dir = project_config_dir();
  return true;
}

// Rank 0 picks the sweep folder (resuming an unfinished one of the same command) and
// writes its manifest; every rank gets the time the folder is named after, so all agree
// on it. Returns the time every job composes with.
SweepClock::time_point agree_on_sweep(const RunOptions& options, const std::vector<Job>& jobs,
                                      const ProcessGroup& group, std::ostream& log) {
  constexpr std::int64_t kRootFailed = std::numeric_limits<std::int64_t>::min();
  std::int64_t now_ns = kRootFailed;
  std::exception_ptr failure;
  if (group.is_root()) {
    try {
      const SweepCommand command{fs::absolute(options.config_dir).lexically_normal(), options.config_name,
                                 options.overrides};
      const auto folder_at = [&](SweepClock::time_point now) {
        const ComposedConfig first = compose(ComposeRequest{options.config_dir, options.config_name, jobs.front().overrides, now});
        return output_dir_of(first, OutputDirOptions{{}, std::size_t{0}}).parent_path();
      };
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

// Hydra's `hydra.sweeper.params`: the sweeps a config declares for -m (a key -> a sweep
// value such as "a,b,c"), placed before the command line's so that they vary slowest.
// A key the command line also sets keeps the command line's value.
void add_declared_sweeps(RunOptions& options) {
  const std::string kKey = "hydra.sweeper.params";
  const ComposedConfig config =
      compose(ComposeRequest{options.config_dir, options.config_name, expand_multirun(options.overrides).front().overrides,
                             std::nullopt});
  const YAML::Node params = config.find(kKey);
  if (!params.IsDefined() || params.IsNull()) return;
  if (!params.IsMap()) throw ConfigError(config.describe_key(kKey) + ": expected a map of key: sweep (e.g. method: a,b)");
  std::set<std::string> given;
  for (const std::string& override : options.overrides) given.insert(override_key(override));
  std::vector<std::string> declared;
  for (const auto& param : params) {
    const std::string key = param.first.as<std::string>();
    if (given.count(key) != 0) continue;
    if (!param.second.IsScalar()) {
      throw ConfigError(config.describe_key(kKey + "." + key) + ": expected a sweep as text, e.g. a,b,c or range(0,3)");
    }
    declared.push_back(key + "=" + param.second.Scalar());
  }
  options.overrides.insert(options.overrides.begin(), declared.begin(), declared.end());
}

// Composes job `job` and runs it into its folder.
void run_job(const RunOptions& options, const Registries& registries, const Job& job,
             SweepClock::time_point now, bool multirun) {
  ComposeRequest request{options.config_dir, options.config_name, job.overrides, now};
  ComposedConfig config = compose(request);
  // Every component is checked before the folder exists: a typo costs nothing.
  ExperimentComponents components = build_components(config, registries);
  OutputDirOptions where;
  if (multirun) where.job_number = job.number;
  const fs::path output_dir = prepare_output_dir(config, where);
  std::cout << "output: " << output_dir.string() << "\n";
  run_experiment(config, components, output_dir, std::cout);
}

// The leaderboard of the finished sweep's folder, so that a comparison ends with its table.
void print_sweep_leaderboard(const RunOptions& options, const std::vector<Job>& jobs, SweepClock::time_point now) {
  const ComposedConfig first = compose(ComposeRequest{options.config_dir, options.config_name, jobs.front().overrides, now});
  const fs::path folder = output_dir_of(first, OutputDirOptions{{}, std::size_t{0}}).parent_path();
  try {
    const Leaderboard board = read_leaderboard(folder);
    if (board.pools.empty()) return;  // no run wrote a summary the leaderboard reads
    std::cout << "\n";
    render_markdown(board, folder, std::cout);
  } catch (const Error& e) {
    // The jobs succeeded and their files are written; only the table is missing.
    std::cerr << "leaderboard: " << e.what() << " (`specrouter leaderboard " << folder.string() << "` retries)\n";
  }
}

int run_sweep(const RunOptions& options, const std::vector<Job>& jobs) {
  ProcessGroup group;
  const SweepClock::time_point now = agree_on_sweep(options, jobs, group, std::cout);
  Registries registries;
  load_plugins(registries, options.plugin_paths, std::cerr);

  std::vector<const Job*> mine;  // job j runs on rank j mod size
  for (const Job& job : jobs) {
    if (job.number % static_cast<std::size_t>(group.size()) == static_cast<std::size_t>(group.rank())) mine.push_back(&job);
  }
  const ProgressStyle style = options.progress == "bar"     ? ProgressStyle::kBar
                              : options.progress == "lines" ? ProgressStyle::kLines
                                                            : progress_style_for(STDOUT_FILENO);
  const std::string label =
      group.size() > 1 ? "sweep rank " + std::to_string(group.rank()) + "/" + std::to_string(group.size()) : "sweep";
  SweepProgress progress(std::cout, style, mine.size(), label);
  std::vector<std::size_t> failed;
  for (const Job* job : mine) {
    const auto started = std::chrono::steady_clock::now();
    bool succeeded = false;
    try {
      const ComposedConfig config = compose(ComposeRequest{options.config_dir, options.config_name, job->overrides, now});
      if (job_finished(output_dir_of(config, OutputDirOptions{{}, job->number}))) {
        progress.skipped(job->number, jobs.size());
        continue;
      }
      std::cout << "[" << label << "] job " << job->number + 1 << "/" << jobs.size() << " starts\n";
      run_job(options, registries, *job, now, true);
      succeeded = true;
    } catch (const std::exception& e) {
      // One bad job (a value only it uses, a model that does not fit) must not cost the others.
      std::cerr << "[" << label << "] job " << job->number + 1 << "/" << jobs.size() << " failed: " << e.what() << "\n";
      failed.push_back(job->number);
    }
    progress.finished(job->number, jobs.size(), succeeded,
                      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  }
  if (!failed.empty()) {
    std::string numbers;
    for (std::size_t number : failed) numbers += (numbers.empty() ? "" : ", ") + std::to_string(number + 1);
    std::cerr << "[" << label << "] " << failed.size() << " of " << mine.size() << " jobs failed (jobs " << numbers
              << "); rerun the same command to retry them\n";
    return kExitFailure;
  }
  // With several ranks, others may still be running: `specrouter leaderboard` then.
  if (group.size() == 1) print_sweep_leaderboard(options, jobs, now);
  return kExitSuccess;
}

int run_command(std::span<const std::string> args) {
  if (wants_help(args)) {
    std::cout << kHelp;
    return kExitSuccess;
  }
  RunOptions options;
  if (!parse_options(args, options)) {
    std::cerr << "(see `specrouter run --help`)\n";
    return kExitUsage;
  }

  if (options.multirun) add_declared_sweeps(options);
  // Expanding first means a malformed sweep fails before anything is loaded or written.
  std::vector<Job> jobs = options.multirun ? expand_multirun(options.overrides)
                                           : std::vector<Job>{Job{0, options.overrides}};
  const auto now = std::chrono::system_clock::now();

  if (options.print_config) {
    for (const Job& job : jobs) {
      ComposedConfig config = compose(ComposeRequest{options.config_dir, options.config_name, job.overrides, now});
      if (options.multirun) std::cout << "# job " << job.number << "\n";
      std::cout << config.to_yaml() << "\n";
    }
    return kExitSuccess;
  }
  if (options.multirun) return run_sweep(options, jobs);

  Registries registries;
  load_plugins(registries, options.plugin_paths, std::cerr);
  run_job(options, registries, jobs.front(), now, false);
  return kExitSuccess;
}

const CommandRegistration kRegistration{
    {"run", "run the configured experiment (the default command)", &run_command}};

}  // namespace
}  // namespace specrouter::cli
