#include "config_dir.h"

#include <cstdlib>

namespace specrouter::cli {

std::filesystem::path project_config_dir() {
  if (const char* env = std::getenv("SPECROUTER_CONFIG_DIR")) return env;
  if (std::filesystem::is_regular_file("configs/config.yaml")) return "configs";
  return std::filesystem::path(SPECROUTER_SOURCE_DIR) / "configs";
}

}  // namespace specrouter::cli
