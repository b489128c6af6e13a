#include "specrouter/engine/config_dir.h"

#include <cstdlib>
#include <system_error>

namespace specrouter::engine {
namespace fs = std::filesystem;

fs::path project_data_dir() {
  if (const char* env = std::getenv("SPECROUTER_DATA_DIR")) return env;
  std::error_code ec;
  if (fs::is_regular_file("configs/config.yaml", ec)) return ".";
  const fs::path executable = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const fs::path installed = executable.parent_path().parent_path() / "share" / "specrouter";
    if (fs::is_regular_file(installed / "configs" / "config.yaml", ec)) return installed;
  }
  return SPECROUTER_SOURCE_DIR;
}

fs::path project_config_dir() {
  if (const char* env = std::getenv("SPECROUTER_CONFIG_DIR")) return env;
  return project_data_dir() / "configs";
}

}  // namespace specrouter::engine
