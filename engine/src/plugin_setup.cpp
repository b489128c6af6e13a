#include "specrouter/engine/plugin_setup.h"

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

}  // namespace specrouter::engine
