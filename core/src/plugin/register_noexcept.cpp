// The exception barrier behind every plugin's C entry point.
#include <cstdio>
#include <exception>

#include "specrouter/plugin/plugin_api.h"

namespace specrouter {

int register_plugin_noexcept(void (*register_fn)(PluginRegistrar&), void* registrar, char* error,
                             std::size_t error_size) noexcept {
  auto report = [&](const char* message) {
    if (error && error_size > 0) std::snprintf(error, error_size, "%s", message);
    return 1;
  };
  if (!registrar) return report("null registrar");
  try {
    register_fn(*static_cast<PluginRegistrar*>(registrar));
    return 0;
  } catch (const std::exception& e) {
    return report(e.what());
  } catch (...) {
    return report("unknown exception during registration");
  }
}

}  // namespace specrouter
