#pragma once

/// @file
/// @brief The config system in one include: compose, overrides, provenance, validation.
///
/// Typical use (see docs/config.md for the user guide; sweeps and run folders are the
/// engine's: specrouter/engine/multirun.h, specrouter/engine/output_dir.h):
/// @code
/// #include "specrouter/config/config.h"
///
/// // specrouter run drafter=ngram drafter.max_ngram=3
/// specrouter::ComposedConfig config = specrouter::compose(
///     {.config_dir = source_dir / "configs", .config_name = "config",
///      .overrides = {"drafter=ngram", "drafter.max_ngram=3"}, .now = std::nullopt});
/// // The component named by `drafter.plugin`, checked against what it declared.
/// const specrouter::ComponentInfo& info =
///     registries.drafters.at(specrouter::component_name(config, "drafter")).info;
/// specrouter::Params params = specrouter::validate_component(config, "drafter", info);
/// std::int64_t seed = config.at("seed").as<std::int64_t>();   // plain yaml-cpp access
/// @endcode
/// compose() refuses sweep syntax (`a=1,2`) with a message saying so: sweeps are
/// expanded first (specrouter::expand_multirun). Every failure is a
/// specrouter::ConfigError whose message names the file and line, the defaults entry,
/// the override or the key path at fault.

#include "specrouter/config/compose.h"     // IWYU pragma: export
#include "specrouter/config/override.h"    // IWYU pragma: export
#include "specrouter/config/provenance.h"  // IWYU pragma: export
#include "specrouter/config/validate.h"    // IWYU pragma: export
#include "specrouter/config/yaml_value.h"  // IWYU pragma: export
