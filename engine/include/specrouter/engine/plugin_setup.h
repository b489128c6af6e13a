#pragma once
// Loading plugins for a CLI command: the default search path plus --plugin-path folders.

#include <filesystem>
#include <ostream>
#include <vector>

#include "specrouter/plugin/plugin_loader.h"

namespace specrouter::engine {

/// Loads every plugin from `extra_folders` (first) and the default search path into
/// `registries`; prints one warning line per refused library to `warnings`.
PluginLoadReport load_plugins(Registries& registries, const std::vector<std::filesystem::path>& extra_folders,
                              std::ostream& warnings);

}  // namespace specrouter::engine
