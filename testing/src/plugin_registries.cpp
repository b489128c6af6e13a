#include "specrouter/conformance/plugin_registries.h"

namespace specrouter::conformance {

Registries registries_of(std::initializer_list<RegisterFunction> plugins) {
  PluginRegistrar registrar;
  for (const RegisterFunction register_plugin : plugins) register_plugin(registrar);
  Registries registries;
  registrar.commit(registries);
  return registries;
}

}  // namespace specrouter::conformance
