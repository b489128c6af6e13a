// Flags to a config section, then the config path's validation (component_flags.h).
#include "specrouter/engine/component_flags.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <chrono>

#include "specrouter/config/compose.h"
#include "specrouter/config/validate.h"

namespace specrouter::engine {
namespace {

// A flag's value as a config value: a YAML scalar or flow list, or the text itself
// when it does not parse (an override reads it the same way).
YAML::Node value_node(const std::string& text, const ComponentInfo& info, const std::string& key) {
  const auto spec = std::find_if(info.params.begin(), info.params.end(), [&](const ParamSpec& s) { return s.name == key; });
  if (spec != info.params.end() && spec->type == ParamType::kString) return YAML::Node(text);
  try {
    return YAML::Load(text);
  } catch (const YAML::Exception&) {
    return YAML::Node(text);
  }
}

}  // namespace

Params validate_component_flags(const ComponentFlags& flags, const ComponentInfo& info) {
  YAML::Node section(YAML::NodeType::Map);
  section["plugin"] = flags.plugin;
  Provenance provenance;
  Origin named;
  named.override_text = flags.name_flag + " " + flags.plugin;
  provenance.set(flags.section, named);
  for (const auto& [key, text] : flags.params) {
    section[key] = value_node(text, info, key);
    Origin given;
    given.override_text = flags.param_flag + " " + flags.param_prefix + key + "=" + text;
    provenance.set(flags.section + "." + key, given);
  }
  YAML::Node root(YAML::NodeType::Map);
  root[flags.section] = section;
  const ComposedConfig config(root, provenance, {}, {}, {}, std::chrono::system_clock::now());
  return validate_component(config, flags.section, info,
                            [&](const std::string& key) { return flags.param_flag + " " + flags.param_prefix + key + "=<value>"; });
}

}  // namespace specrouter::engine
