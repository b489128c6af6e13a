#pragma once
// The one Registries object of a Python process: the loaded plugins plus the components
// registered from Python, shared by every call of the package.

#include <filesystem>
#include <string>
#include <vector>

#include "specrouter/plugin/plugin_loader.h"

namespace specrouter::python {

/// The process's registries. On first use, every plugin of the default search path
/// ($SPECROUTER_PLUGIN_PATH, then the folder beside libspecrouter.so: the package's own
/// plugins when installed, the build tree's otherwise) is loaded into it. Never
/// destroyed: entries registered from Python hold Python objects, which must not be
/// released after the interpreter has shut down.
Registries& shared_registries();

/// Loads every plugin library in `folders` into shared_registries(); a library already
/// loaded is skipped. Returns what was loaded and refused by this call.
PluginLoadReport load_plugin_folders(const std::vector<std::filesystem::path>& folders);

/// Every library loaded so far and every refusal, in load order.
const PluginLoadReport& plugin_load_report();

}  // namespace specrouter::python
