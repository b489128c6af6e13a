// `specrouter run` (also `specrouter [OVERRIDES...]`): compose the config, load and
// validate the plugins it names, create the output folder, and run the experiment; with
// -m, once per job of the sweep.
#include <filesystem>
#include <iostream>

#include "command.h"
#include "experiment.h"
#include "plugin_setup.h"
#include "specrouter/config/compose.h"
#include "specrouter/config/multirun.h"
#include "specrouter/config/output_dir.h"

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
    "  -m, --multirun         sweep comma lists and range(start,stop,step): one job per combination\n"
    "  --cfg job              print the composed config and exit\n"
    "  --config-dir DIR       config folder (default: ./configs, else the source tree's)\n"
    "  --config-name NAME     primary config without .yaml (default: config)\n"
    "  --plugin-path DIR      also load the plugins in DIR (repeatable)\n";

struct RunOptions {
  fs::path config_dir;
  std::string config_name = "config";
  bool multirun = false;
  bool print_config = false;
  std::vector<fs::path> plugin_paths;
  std::vector<std::string> overrides;
};

fs::path default_config_dir() {
  if (const char* env = std::getenv("SPECROUTER_CONFIG_DIR")) return env;
  if (fs::is_regular_file("configs/config.yaml")) return "configs";
  return fs::path(SPECROUTER_SOURCE_DIR) / "configs";
}

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
  if (options.config_dir.empty()) options.config_dir = default_config_dir();
  return true;
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

  // Expanding first means a malformed sweep fails before anything is loaded or written.
  std::vector<Job> jobs = options.multirun ? expand_multirun(options.overrides)
                                           : std::vector<Job>{Job{0, options.overrides}};
  const auto now = std::chrono::system_clock::now();  // one sweep folder for all jobs

  Registries registries;
  if (!options.print_config) load_plugins(registries, options.plugin_paths, std::cerr);

  for (const Job& job : jobs) {
    ComposeRequest request{options.config_dir, options.config_name, job.overrides, now};
    ComposedConfig config = compose(request);
    if (options.print_config) {
      if (options.multirun) std::cout << "# job " << job.number << "\n";
      std::cout << config.to_yaml() << "\n";
      continue;
    }
    // Every component is checked before the folder exists: a typo costs nothing.
    ExperimentComponents components = build_components(config, registries);
    OutputDirOptions where;
    if (options.multirun) where.job_number = job.number;
    const fs::path output_dir = prepare_output_dir(config, where);
    if (options.multirun) std::cout << "[job " << job.number + 1 << "/" << jobs.size() << "] ";
    std::cout << "output: " << output_dir.string() << "\n";
    run_experiment(config, components, output_dir, std::cout);
  }
  return kExitSuccess;
}

const CommandRegistration kRegistration{
    {"run", "run the configured experiment (the default command)", &run_command}};

}  // namespace
}  // namespace specrouter::cli
