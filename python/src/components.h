#pragma once
// Making a registered component from parameter values given in Python (a dict), checked
// against its declared parameters as a config section is.

#include <map>
#include <memory>
#include <string>

#include "specrouter/plugin/registries.h"

namespace specrouter::python {

/// Parameter values by name, as they come from a Python dict.
using ParamValues = std::map<std::string, ParamValue>;

/// An instance of `name` from `registry`, with `values` over its declared defaults.
/// Throws UnknownComponentError (listing the registered names) or ConfigError (an unknown
/// parameter, a value of the wrong type, a missing required one).
template <class Interface>
std::shared_ptr<Interface> create_component(const Registry<Interface>& registry, const std::string& name,
                                            const ParamValues& values) {
  const auto& entry = registry.at(name);
  return registry.create(name, Params::from_specs(registry.kind() + " '" + name + "'", entry.info.params, values));
}

}  // namespace specrouter::python
