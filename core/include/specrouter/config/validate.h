#pragma once

/// @file
/// @brief Checking a component's config mapping against its declared parameters.

#include <functional>
#include <string>

#include "specrouter/config/compose.h"
#include "specrouter/plugin/params.h"
#include "specrouter/plugin/registry.h"

namespace specrouter {

/// The `plugin` name of the component mapping at `key_path` (e.g. `drafter` holding
/// `plugin: ngram`). Throws ConfigError naming the path and its origin when the node is
/// missing, not a mapping, or has no string `plugin` key.
std::string component_name(const ComposedConfig& config, const std::string& key_path);

/// Validates the component mapping at `key_path` against `info.params` and returns one
/// value per declared parameter, defaults filled in.
///
/// The mapping holds `plugin: <name>` (when present it must equal `info.name`) and
/// parameter values. Throws ConfigError, naming the key path and the file/line or
/// override that set it, for: an unknown key (with the nearest declared names), a value
/// of the wrong type (expected and found types), and a required parameter that is
/// absent or `???`. `how_to_set(key)` is how the messages tell the user to give a
/// parameter `key` (default: the override `+<key_path>.<key>=<value>`); a front end
/// whose components come from flags names its flag instead.
Params validate_component(const ComposedConfig& config, const std::string& key_path, const ComponentInfo& info,
                          const std::function<std::string(const std::string& key)>& how_to_set = {});

/// Converts one YAML value to a parameter of `spec`'s type; `key_path` and `where` name
/// it in the ConfigError thrown on a type mismatch.
ParamValue param_value_from_yaml(const YAML::Node& node, const ParamSpec& spec, const std::string& key_path,
                                 const std::string& where);

}  // namespace specrouter
