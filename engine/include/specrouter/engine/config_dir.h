#pragma once
// Where the commands find the project's configs and data (experiments/, prompt sets)
// when no --config-dir is given: a checkout, or an installed prefix.

#include <filesystem>

namespace specrouter::engine {

/// The folder holding `configs/` and `experiments/`: $SPECROUTER_DATA_DIR if set, else the
/// working directory when it holds configs/config.yaml (a checkout's root), else
/// `<prefix>/share/specrouter` beside an installed executable (`<prefix>/bin`), else the
/// source tree the executable was built from.
std::filesystem::path project_data_dir();

/// $SPECROUTER_CONFIG_DIR if set, else `project_data_dir() / "configs"`.
std::filesystem::path project_config_dir();

}  // namespace specrouter::engine
