// Runs an experiment through the engine API, as `specrouter run` does, and prints what
// its results file says: a program of its own that links specrouter::engine.
//
//   run_experiment [OVERRIDES...]     e.g. run_experiment pool=tiny_random method=prompt_lookup
//
// Without overrides it runs the tiny random pool (created on first use) with prompt
// lookup below the target on four requests, into a folder under the current directory.
#include <iostream>
#include <string>
#include <variant>
#include <vector>

#include "specrouter/engine/config_dir.h"
#include "specrouter/engine/experiment_runs.h"
#include "specrouter/engine/plugin_setup.h"
#include "specrouter/error.h"
#include "specrouter/results/results_reader.h"

int main(int argc, char** argv) {
  namespace engine = specrouter::engine;
  std::vector<std::string> overrides(argv + 1, argv + argc);
  if (overrides.empty()) {
    overrides = {"pool=tiny_random", "method=prompt_lookup", "workload.requests=4", "workload.max_new_tokens=8",
                 "run.output_dir=run_experiment_example"};
  }
  try {
    specrouter::Registries registries;
    engine::load_plugins(registries, {}, std::cerr);
    const engine::ExperimentRequest request{engine::project_config_dir(), "config", overrides};
    const auto folder = engine::run_experiment_once(request, registries, std::cout);

    const specrouter::ResultsReader results(folder / "results.h5");
    std::cout << "steps recorded: " << results.rows("steps") << "\n";
    for (const auto& [name, value] : results.summary()) {
      std::cout << "summary " << name << " = ";
      std::visit([](const auto& v) { std::cout << v; }, value);
      std::cout << "\n";
    }
  } catch (const specrouter::Error& e) {
    std::cerr << "run_experiment: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
