#pragma once
// Components created from a registry exactly as the harness creates them: parameters
// checked against the declarations, the owner named as in every error message.

#include <memory>
#include <string>

#include "specrouter/conformance/component.h"
#include "specrouter/plugin/registry.h"

namespace specrouter::conformance::detail {

/// "drafter 'ngram'": how Params::owner() names a component in messages.
template <class Interface>
std::string owner_of(const Registry<Interface>& registry, const std::string& name) {
  return registry.kind() + " '" + name + "'";
}

/// `component` from `registry`, with its parameters for `models`.
template <class Interface>
std::shared_ptr<Interface> make_component(const Registry<Interface>& registry, const Component& component,
                                          const TestModels& models) {
  const auto& entry = registry.at(component.name);
  return registry.create(component.name, Params::from_specs(owner_of(registry, component.name), entry.info.params,
                                                            component.params_for(models)));
}

}  // namespace specrouter::conformance::detail
