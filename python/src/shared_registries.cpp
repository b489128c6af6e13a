#include "shared_registries.h"

namespace specrouter::python {
namespace {

struct SharedState {
  Registries registries;
  PluginLoader loader{registries};  // one loader, so a library reached twice loads once
  PluginLoadReport report;
};

void append(PluginLoadReport& into, const PluginLoadReport& more) {
  into.loaded.insert(into.loaded.end(), more.loaded.begin(), more.loaded.end());
  into.errors.insert(into.errors.end(), more.errors.begin(), more.errors.end());
}

SharedState& shared_state() {
  // Leaked on purpose (see shared_registries()); the first call loads the default plugins.
  static SharedState* state = [] {
    auto* fresh = new SharedState;
    append(fresh->report, fresh->loader.load_directories(PluginLoader::default_search_path()));
    return fresh;
  }();
  return *state;
}

}  // namespace

Registries& shared_registries() { return shared_state().registries; }

PluginLoadReport load_plugin_folders(const std::vector<std::filesystem::path>& folders) {
  SharedState& state = shared_state();
  PluginLoadReport report = state.loader.load_directories(folders);
  append(state.report, report);
  return report;
}

const PluginLoadReport& plugin_load_report() { return shared_state().report; }

}  // namespace specrouter::python
