// `specrouter run` (also `specrouter [OVERRIDES...]`): compose the config, load and
// validate the plugins it names, create the output folder, and run the experiment; with
// -m, once per job of the sweep: resuming an interrupted sweep of the same command,
// showing progress, sharing the jobs among MPI ranks, and going on past failed jobs.
#include <unistd.h>

#include <filesystem>
#include <iostream>

#include "command.h"
#include "specrouter/config/compose.h"
#include "specrouter/engine/config_dir.h"
#include "specrouter/engine/experiment_runs.h"
#include "specrouter/engine/multirun.h"
#include "specrouter/engine/plugin_setup.h"

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
    "  --plugin-path DIR      also load the plugins in DIR (repeatable); a plugin's configs/ folder\n"
    "                         beside its library adds options to the config groups (drafter=NAME)\n";

struct RunOptions {
  ExperimentRequest request;  // config folder, primary config, overrides
  bool multirun = false;
  bool print_config = false;
  std::string progress = "auto";
  std::vector<fs::path> plugin_paths;
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
      options.request.config_dir = *dir;
    } else if (arg == "--config-name") {
      const std::string* name = value("--config-name");
      if (!name) return false;
      options.request.config_name = *name;
    } else if (arg == "--plugin-path") {
      const std::string* dir = value("--plugin-path");
      if (!dir) return false;
      options.plugin_paths.emplace_back(*dir);
    } else if (arg.rfind("--", 0) == 0 && arg.find('=') == std::string::npos) {
      std::cerr << "specrouter run: unknown option '" << arg << "'\n";
      return false;
    } else {
      options.request.overrides.push_back(arg);
    }
  }
  if (options.request.config_dir.empty()) options.request.config_dir = project_config_dir();
  return true;
}

int run_sweep_command(const RunOptions& options, const Registries& registries) {
  const ProgressStyle style = options.progress == "bar"     ? ProgressStyle::kBar
                              : options.progress == "lines" ? ProgressStyle::kLines
                                                            : progress_style_for(STDOUT_FILENO);
  const SweepOutcome outcome = run_sweep(options.request, registries, SweepOptions{style, true}, std::cout, std::cerr);
  return outcome.failed.empty() ? kExitSuccess : kExitFailure;
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

  Registries registries;
  const PluginLoadReport plugins = load_plugins(registries, options.plugin_paths, std::cerr);
  options.request.search_path = plugin_config_folders(plugins);
  if (options.print_config) {
    ExperimentRequest request = options.request;
    if (options.multirun) add_declared_sweeps(request);
    const std::vector<Job> jobs =
        options.multirun ? expand_multirun(request.overrides) : std::vector<Job>{Job{0, request.overrides}};
    const auto now = std::chrono::system_clock::now();
    for (const Job& job : jobs) {
      const ComposedConfig config = compose(request.compose_request(job.overrides, now));
      if (options.multirun) std::cout << "# job " << job.number << "\n";
      std::cout << config.to_yaml() << "\n";
    }
    return kExitSuccess;
  }
  if (options.multirun) return run_sweep_command(options, registries);
  run_experiment_once(options.request, registries, std::cout);
  return kExitSuccess;
}

const CommandRegistration kRegistration{
    {"run", "run the configured experiment (the default command)", &run_command}};

}  // namespace
}  // namespace specrouter::cli
