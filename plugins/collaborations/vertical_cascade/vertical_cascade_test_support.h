#pragma once
// The vertical cascade as its tests build it: from its plugin's registration, linked
// statically, exactly as the harness creates it from a registry.

#include <memory>

#include "specrouter/collaboration.h"
#include "specrouter/plugin/registries.h"

// Defined by SPECROUTER_PLUGIN in vertical_cascade.cpp.
void specrouter_register_vertical_cascade_collaboration(specrouter::PluginRegistrar& registrar);

namespace specrouter::testing {

/// A new vertical cascade with its default parameters.
inline std::shared_ptr<Collaboration> make_vertical_cascade() {
  static Registries registries = [] {
    PluginRegistrar registrar;
    specrouter_register_vertical_cascade_collaboration(registrar);
    Registries made;
    registrar.commit(made);
    return made;
  }();
  const auto& info = registries.collaborations.at("vertical_cascade").info;
  return registries.collaborations.create("vertical_cascade",
                                          Params::from_specs("collaboration 'vertical_cascade'", info.params));
}

}  // namespace specrouter::testing
