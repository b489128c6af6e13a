#pragma once
// Turning a composed config into components and running the experiment it describes.

#include <filesystem>
#include <memory>
#include <ostream>

#include "specrouter/config/compose.h"
#include "specrouter/engine/model_kernels.h"
#include "specrouter/plugin/registries.h"

namespace specrouter::engine {

/// The components a config selects; a pointer is null when its section is absent or null.
struct ExperimentComponents {
  std::shared_ptr<Scheduler> scheduler;  ///< section `scheduler`
  std::shared_ptr<Verifier> verifier;    ///< section `verifier`
  std::shared_ptr<Drafter> drafter;      ///< section `drafter`
  std::shared_ptr<Collaboration> collaboration;  ///< section `collaboration` (null: the executor's reference)
  ModelKernels kernels;                  ///< section `kernels` (absent: the core's references)
};

/// Validates each component section against its plugin's declared parameters and
/// creates it. Throws ConfigError naming the key, its file and line, and the reason.
ExperimentComponents build_components(const ComposedConfig& config, const Registries& registries);

/// Runs the experiment described by `config` with `components`, writing its results
/// into `output_dir` and progress to `log`.
void run_experiment(const ComposedConfig& config, const ExperimentComponents& components,
                    const std::filesystem::path& output_dir, std::ostream& log);

}  // namespace specrouter::engine
