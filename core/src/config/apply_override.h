// Applying value overrides (`a.b=1`, `+a=1`, `++a=1`, `~a`) to the composed tree.
// Private to the config module.
#pragma once

#include <yaml-cpp/yaml.h>

#include "specrouter/config/override.h"
#include "specrouter/config/provenance.h"

namespace specrouter::detail {

/// Applies one value override to `root`, recording the command line as the origin of
/// what it sets. Throws ConfigError quoting the override: setting a missing key (with
/// the `+key=` hint and nearest existing keys), adding an existing one, deleting a
/// missing one or one whose value differs.
void apply_value_override(YAML::Node root, const Override& override, Provenance& provenance);

}  // namespace specrouter::detail
