#pragma once

/// @file
/// @brief The config system in one include: compose, sweep, output folders, validation.
///
/// Typical use by a command-line tool (see docs/config.md for the user guide):
/// @code
/// #include "specrouter/config/config.h"
///
/// // specrouter run -m drafter=ngram drafter.max_ngram=3,4 seed=range(0,2)
/// std::vector<std::string> overrides = {"drafter=ngram", "drafter.max_ngram=3,4", "seed=range(0,2)"};
/// const bool multirun = true;                          // -m given
/// const auto now = std::chrono::system_clock::now();   // one time for every job: one sweep folder
/// std::vector<specrouter::Job> jobs = multirun ? specrouter::expand_multirun(overrides)
///                                              : std::vector<specrouter::Job>{{0, overrides}};
/// for (const specrouter::Job& job : jobs) {
///   specrouter::ComposedConfig config = specrouter::compose(
///       {.config_dir = source_dir / "configs", .config_name = "config", .overrides = job.overrides, .now = now});
///   std::filesystem::path out = specrouter::prepare_output_dir(
///       config, {.base_dir = std::filesystem::current_path(),
///                .job_number = multirun ? std::optional<std::size_t>(job.number) : std::nullopt});
///   // The component named by `drafter.plugin`, checked against what it declared.
///   const specrouter::ComponentInfo& info =
///       registries.drafters.at(specrouter::component_name(config, "drafter")).info;
///   specrouter::Params params = specrouter::validate_component(config, "drafter", info);
///   std::int64_t seed = config.at("seed").as<std::int64_t>();   // plain yaml-cpp access
/// }
/// @endcode
/// Without `-m`, compose() refuses sweep syntax (`a=1,2`) with a message saying so.
/// Every failure is a specrouter::ConfigError whose message names the file and line,
/// the defaults entry, the override or the key path at fault.

#include "specrouter/config/compose.h"     // IWYU pragma: export
#include "specrouter/config/multirun.h"    // IWYU pragma: export
#include "specrouter/config/output_dir.h"  // IWYU pragma: export
#include "specrouter/config/override.h"    // IWYU pragma: export
#include "specrouter/config/provenance.h"  // IWYU pragma: export
#include "specrouter/config/validate.h"    // IWYU pragma: export
#include "specrouter/config/yaml_value.h"  // IWYU pragma: export
