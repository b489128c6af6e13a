#pragma once
// Typed values of a composed config for the harness, with errors that name the key, the
// file and line (or override) that set it, and the value that could not be read.

#include <yaml-cpp/yaml.h>

#include <string>

#include "specrouter/config/compose.h"
#include "specrouter/error.h"

namespace specrouter::engine {

/// The value at `path` as a T; throws ConfigError naming the key when it is absent or
/// cannot be read as a T.
template <class T>
T config_value(const ComposedConfig& config, const std::string& path) {
  const YAML::Node node = config.at(path);
  try {
    return node.as<T>();
  } catch (const YAML::Exception&) {
    throw ConfigError(config.describe_key(path) + ": cannot read '" + YAML::Dump(node) + "' as the expected type");
  }
}

/// The value at `path` as a T, or `fallback` when the key is absent or null; throws
/// ConfigError naming the key when it is present but cannot be read as a T.
template <class T>
T config_value_or(const ComposedConfig& config, const std::string& path, T fallback) {
  const YAML::Node node = config.find(path);
  if (!node.IsDefined() || node.IsNull()) return fallback;
  return config_value<T>(config, path);
}

}  // namespace specrouter::engine
