// `specrouter run` (also `specrouter [OVERRIDES...]`): compose the config, load and
// validate the plugins it names, create the output folder, and run the experiment; with
// -m, once per job of the sweep: resuming an interrupted sweep of the same command,
// showing progress, sharing the jobs among MPI ranks, and going on past failed jobs.
#include <unistd.h>

#include <filesystem>
#include <iostream>

#include "command.h"
#include "command_line.h"
#include "flag_values.h"
#include "shared_flags.h"
#include "specrouter/config/compose.h"
#include "specrouter/engine/config_dir.h"
#include "specrouter/engine/experiment_runs.h"
#include "specrouter/engine/multirun.h"
#include "specrouter/engine/plugin_setup.h"

namespace specrouter::cli {
namespace {
namespace fs = std::filesystem;

const CommandHelp kHelp{
    "specrouter [run] [OPTIONS] [OVERRIDES...]",
    "Composes configs/config.yaml with the overrides, loads the plugins it names, checks\n"
    "every component's parameters, and runs the experiment into its own output folder\n"
    "(run.output_dir; the composed config and overrides are saved in <folder>/.specrouter/).\n\n"
    "overrides (docs/config.md):\n"
    "  group=option       choose a config group option     (pool=tiny, scheduler=static)\n"
    "  a.b=value          change an existing value         (run.seed=3)\n"
    "  +a.b=value         add a new key                    (+workload.tag=x)\n"
    "  ++a.b=value        set or add                       (++run.threads=2)\n"
    "  ~a.b               delete a key                     (~drafter)"};

struct RunOptions {
  ExperimentRequest request;  // config folder, primary config, overrides
  bool multirun = false;
  bool print_config = false;
  std::string progress = "auto";
  std::vector<fs::path> plugin_paths;
};

void add_flags(CLI::App& app, RunOptions& options) {
  app.add_flag("-m,--multirun", options.multirun,
               "sweep comma lists and range(start,stop,step): one job per combination, each into "
               "<run.sweep_dir>/<job>; the same command again resumes an interrupted sweep, skipping jobs whose "
               "folder holds results.h5; a failed job is reported and the others go on (exit 1 at the end); under "
               "`mpirun -n N` job j runs on rank j mod N");
  app.add_option("--progress", options.progress,
                 "sweep progress: auto (a bar on a terminal, plain lines otherwise), bar, or lines")
      ->type_name("MODE")
      ->check(one_of({"auto", "bar", "lines"}));
  app.add_option_function<std::string>(
         "--cfg", [&](const std::string&) { options.print_config = true; }, "print the composed config and exit")
      ->type_name("job")
      ->check(one_of({"job"}));
  add_config_flags(app, options.request.config_dir, options.request.config_name, "./configs",
                   "primary config without .yaml");
  add_plugin_path_flag(app, options.plugin_paths,
                       "also load the plugins in DIR (repeatable); a plugin's configs/ folder beside its library adds "
                       "options to the config groups (drafter=NAME)");
}

int run_sweep_command(const RunOptions& options, const Registries& registries) {
  const ProgressStyle style = options.progress == "bar"     ? ProgressStyle::kBar
                              : options.progress == "lines" ? ProgressStyle::kLines
                                                            : progress_style_for(STDOUT_FILENO);
  const SweepOutcome outcome = run_sweep(options.request, registries, SweepOptions{style, true}, std::cout, std::cerr);
  return outcome.failed.empty() ? kExitSuccess : kExitFailure;
}

int run_command(std::span<const std::string> args) {
  RunOptions options;
  CommandLine line("run", kHelp);
  add_flags(line.app(), options);
  line.take_words();
  if (const auto exit_code = line.parse(args)) return *exit_code;
  options.request.overrides = line.words();
  if (options.request.config_dir.empty()) options.request.config_dir = project_config_dir();

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
