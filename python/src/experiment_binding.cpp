// Experiments from the config groups plus overrides (what `specrouter run` and
// `specrouter run -m` do), and the leaderboard of a results folder.
#include <nanobind/nanobind.h>
#include <nanobind/stl/filesystem.h>
#include <nanobind/stl/pair.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <sstream>

#include "bindings.h"
#include "shared_registries.h"
#include "specrouter/engine/config_dir.h"
#include "specrouter/engine/experiment_runs.h"
#include "specrouter/engine/leaderboard.h"
#include "specrouter/engine/plugin_setup.h"

namespace nb = nanobind;

namespace specrouter::python {
namespace {

engine::ExperimentRequest experiment_request(const std::vector<std::string>& overrides,
                                             const std::string& config_dir, const std::string& config_name) {
  engine::ExperimentRequest request;
  request.config_dir = config_dir.empty() ? engine::project_config_dir() : std::filesystem::path(config_dir);
  request.config_name = config_name;
  request.overrides = overrides;
  request.search_path = engine::plugin_config_folders(plugin_load_report());
  return request;
}

}  // namespace

void bind_experiment(nb::module_& m) {
  m.def(
      "run_experiment",
      [](const std::vector<std::string>& overrides, const std::string& config_dir,
         const std::string& config_name) {
        const engine::ExperimentRequest request = experiment_request(overrides, config_dir, config_name);
        const Registries& registries = shared_registries();
        nb::gil_scoped_release released;
        std::ostringstream log;
        const std::filesystem::path folder = engine::run_experiment_once(request, registries, log);
        return std::make_pair(folder, log.str());
      },
      nb::arg("overrides"), nb::arg("config_dir") = "", nb::arg("config_name") = "config",
      "One run, composed as `specrouter run` composes it: (run folder, log text).");
  m.def(
      "run_sweep",
      [](const std::vector<std::string>& overrides, const std::string& config_dir,
         const std::string& config_name) {
        engine::ExperimentRequest request = experiment_request(overrides, config_dir, config_name);
        const Registries& registries = shared_registries();
        std::ostringstream log;
        std::ostringstream errors;
        engine::SweepOutcome outcome;
        {
          nb::gil_scoped_release released;
          engine::SweepOptions options;
          options.print_leaderboard = false;
          outcome = engine::run_sweep(std::move(request), registries, options, log, errors);
        }
        nb::dict out;
        out["folder"] = outcome.folder;
        out["jobs"] = outcome.jobs;
        out["failed"] = outcome.failed;
        out["log"] = log.str();
        out["errors"] = errors.str();
        return out;
      },
      nb::arg("overrides"), nb::arg("config_dir") = "", nb::arg("config_name") = "config",
      "A sweep (`specrouter run -m`): {'folder', 'jobs', 'failed', 'log', 'errors'}.");
  m.def(
      "leaderboard_csv",
      [](const std::filesystem::path& folder) {
        std::ostringstream out;
        engine::render_csv(engine::read_leaderboard(folder), out);
        return out.str();
      },
      nb::arg("folder"), "The leaderboard of every results.h5 below `folder`, as CSV text.");
  m.def(
      "leaderboard_markdown",
      [](const std::filesystem::path& folder) {
        std::ostringstream out;
        engine::render_markdown(engine::read_leaderboard(folder), folder, out);
        return out.str();
      },
      nb::arg("folder"), "The leaderboard as `specrouter leaderboard` prints it (Markdown).");
  m.def("project_data_dir", &engine::project_data_dir, "Where configs/ and experiments/ are read from.");
  m.def("project_config_dir", &engine::project_config_dir, "The default config folder.");
}

}  // namespace specrouter::python
