#include "specrouter/engine/plugin_setup.h"

#include <algorithm>

namespace specrouter::engine {

PluginLoadReport load_plugins(Registries& registries, const std::vector<std::filesystem::path>& extra_folders,
                              std::ostream& warnings) {
  std::vector<std::filesystem::path> folders = extra_folders;
  for (auto& folder : PluginLoader::default_search_path()) folders.push_back(folder);
  PluginLoader loader(registries);
  PluginLoadReport report = loader.load_directories(folders);
  for (const std::string& error : report.errors) warnings << "specrouter: warning: " << error << "\n";
  return report;
}

std::vector<std::filesystem::path> plugin_config_folders(const PluginLoadReport& report) {
  std::vector<std::filesystem::path> folders;
  for (const std::filesystem::path& library : report.loaded) {
    std::error_code error;
    const std::filesystem::path configs = library.parent_path() / "configs";
    if (!std::filesystem::is_directory(configs, error)) continue;
    if (std::find(folders.begin(), folders.end(), configs) == folders.end()) folders.push_back(configs);
  }
  return folders;
}

}  // namespace specrouter::engine
