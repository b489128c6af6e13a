#pragma once
// Where the commands find the project's configs when no --config-dir is given.

#include <filesystem>

namespace specrouter::cli {

/// $SPECROUTER_CONFIG_DIR if set, else ./configs when it holds config.yaml (a checkout's
/// root), else the source tree's configs/.
std::filesystem::path project_config_dir();

}  // namespace specrouter::cli
