// Config sections -> validated, constructed components.
#include "specrouter/engine/experiment.h"
#include "specrouter/config/validate.h"

namespace specrouter::engine {
namespace {

// Creates the component in `section` from `registry`, or returns null when the config
// has no such section (or sets it to null).
template <class Interface>
std::shared_ptr<Interface> build(const ComposedConfig& config, const std::string& section,
                                 const Registry<Interface>& registry) {
  const YAML::Node node = config.find(section);
  if (!node.IsDefined() || node.IsNull()) return nullptr;
  const std::string name = component_name(config, section);
  const auto* entry = registry.find(name);
  if (!entry) {
    try {
      registry.at(name);  // builds the message with suggestions and the registered names
    } catch (const UnknownComponentError& e) {
      throw ConfigError(config.describe_key(section + ".plugin") + ": " + e.what());
    }
  }
  const Params params = validate_component(config, section, entry->info);
  return registry.create(name, params);
}

// The `kernels` section: a mapping from operation to implementation.
KernelChoices kernel_choices(const ComposedConfig& config) {
  KernelChoices choices;
  const YAML::Node node = config.find("kernels");
  if (!node.IsDefined() || node.IsNull()) return choices;
  if (!node.IsMap()) throw ConfigError(config.describe_key("kernels") + ": expected a mapping from operation to implementation");
  for (const auto& item : node) {
    const std::string op = item.first.as<std::string>();
    if (!item.second.IsScalar()) {
      throw ConfigError(config.describe_key("kernels." + op) + ": expected an implementation name");
    }
    choices[op] = item.second.as<std::string>();
  }
  return choices;
}

}  // namespace

ExperimentComponents build_components(const ComposedConfig& config, const Registries& registries) {
  ExperimentComponents components;
  components.scheduler = build(config, "scheduler", registries.schedulers);
  components.verifier = build(config, "verifier", registries.verifiers);
  components.drafter = build(config, "drafter", registries.drafters);
  components.collaboration = build(config, "collaboration", registries.collaborations);
  components.kernels = make_model_kernels(registries, kernel_choices(config),
                                          [&](const std::string& op) { return config.describe_key("kernels." + op); });
  return components;
}

}  // namespace specrouter::engine
