#pragma once
/// @file
/// @brief Flags several commands define alike: the config folder and primary config of the
/// commands that compose configs (`run`, `train`, `corpus`, `zoo`), and the extra plugin
/// folders of the commands that load plugins. (The decoding flags of `generate` and
/// `speculate` are in decoding_flags.h.)

#include <CLI/CLI.hpp>
#include <filesystem>
#include <string>
#include <vector>

namespace specrouter::cli {

/// `--config-dir DIR` into `dir` and `--config-name NAME` into `name`. `name_meaning` says
/// what NAME is; the help gives `dir_default` and the value `name` holds now as defaults.
void add_config_flags(CLI::App& app, std::filesystem::path& dir, std::string& name, const std::string& dir_default,
                      const std::string& name_meaning);

/// The repeatable `--plugin-path DIR` into `folders`, explained by `description`.
CLI::Option* add_plugin_path_flag(CLI::App& app, std::vector<std::filesystem::path>& folders,
                                  const std::string& description = "also load plugins from DIR (repeatable)");

}  // namespace specrouter::cli
