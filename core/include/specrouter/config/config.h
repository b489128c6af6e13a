#pragma once

/// @file
/// @brief The config system in one include: compose, sweep, output folders, validation.
///
/// Typical use by a command-line tool (see docs/config.md for the user guide):
/// @code
/// #include "specrouter/config/config.h"
///
/// std::vector<std::string> overrides = {"drafter=ngram", "drafter.max_ngram=3,4", "seed=range(0,2)"};
/// const auto now = std::chrono::system_clock::now();   // one time for every job
/// for (const specrouter::Job& job : specrouter::expand_multirun(overrides)) {
///   specrouter::ComposedConfig config = specrouter::compose(
///       {.config_dir = source_dir / "configs", .config_name = "config", .overrides = job.overrides, .now = now});
///   std::filesystem::path out = specrouter::prepare_output_dir(
///       config, {.base_dir = std::filesystem::current_path(), .job_number = job.number});
///   // Look up the registered component named by `drafter.plugin`, then check its parameters.
///   const specrouter::ComponentInfo& info =
///       registries.drafters.at(specrouter::component_name(config, "drafter")).info;
///   specrouter::Params params = specrouter::validate_component(config, "drafter", info);
///   int64_t seed = config.at("seed").as<int64_t>();   // plain yaml-cpp access
/// }
/// @endcode
/// A single run (no sweep) passes `.job_number = std::nullopt` and gets `run.output_dir`.
/// Every failure is a specrouter::ConfigError whose message names the file and line,
/// the defaults entry, the override or the key path at fault.

#include "specrouter/config/compose.h"      // IWYU pragma: export
#include "specrouter/config/multirun.h"     // IWYU pragma: export
#include "specrouter/config/output_dir.h"   // IWYU pragma: export
#include "specrouter/config/override.h"     // IWYU pragma: export
#include "specrouter/config/provenance.h"   // IWYU pragma: export
#include "specrouter/config/validate.h"     // IWYU pragma: export
#include "specrouter/config/yaml_value.h"   // IWYU pragma: export
