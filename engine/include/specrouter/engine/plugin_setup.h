#pragma once
// Loading plugins for a front end: the default search path plus extra folders, and the
// config folders the loaded plugins ship.

#include <filesystem>
#include <ostream>
#include <vector>

#include "specrouter/plugin/plugin_loader.h"

namespace specrouter::engine {

/// Loads every plugin from `extra_folders` (first) and the default search path into
/// `registries`; prints one warning line per refused library to `warnings`.
PluginLoadReport load_plugins(Registries& registries, const std::vector<std::filesystem::path>& extra_folders,
                              std::ostream& warnings);

/// The config folders the loaded plugins ship: `configs/` beside each loaded library,
/// where one exists, in load order and once each. Given as ComposeRequest::search_path
/// (ExperimentRequest::search_path), a plugin's `configs/drafter/mine.yaml` makes
/// `drafter=mine` work without touching the project's configs.
std::vector<std::filesystem::path> plugin_config_folders(const PluginLoadReport& report);

}  // namespace specrouter::engine
