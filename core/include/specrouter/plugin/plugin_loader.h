#pragma once

/// @file
/// @brief Finds plugin libraries, checks their entry point, and registers them.

#include <filesystem>
#include <string>
#include <vector>

#include "specrouter/plugin/registries.h"

namespace specrouter {

/// Name of the environment variable holding extra plugin folders (':'-separated),
/// searched before the built-in ones.
inline constexpr const char* kPluginPathEnv = "SPECROUTER_PLUGIN_PATH";

/// The result of loading every plugin in a search path.
struct PluginLoadReport {
  std::vector<std::filesystem::path> loaded;  ///< libraries registered successfully
  std::vector<std::string> errors;            ///< one line per refused library
};

/// Loads plugin libraries into a Registries object.
///
/// Libraries are opened with `dlopen(RTLD_NOW | RTLD_LOCAL)`, so an undefined symbol is
/// reported at load time; the entry point's API version and build fingerprint must
/// match the core's. A refused library is never partly registered, never crashes the
/// process, and never replaces a registered name. The same file reached twice (through
/// two folders or a symlink) is loaded once.
class PluginLoader {
 public:
  /// Loads into `registries`, which must outlive the loader.
  explicit PluginLoader(Registries& registries);

  /// Loads one library; throws PluginError with a one-line message naming the file.
  void load_file(const std::filesystem::path& library);

  /// Loads every `*.so` in each folder, in order; errors are collected, not thrown.
  PluginLoadReport load_directories(const std::vector<std::filesystem::path>& folders);

  /// The default search path: $SPECROUTER_PLUGIN_PATH, then the build tree's plugin
  /// folder, then the installed plugin folder (those that exist).
  static std::vector<std::filesystem::path> default_search_path();

 private:
  Registries& registries_;
  std::vector<std::filesystem::path> loaded_files_;
};

}  // namespace specrouter
