// Helpers shared by the config tests: fixture paths, composing a fixture tree, and
// capturing a ConfigError's message.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "specrouter/config/config.h"
#include "specrouter/engine/multirun.h"
#include "specrouter/engine/output_dir.h"
#include "specrouter/error.h"

namespace specrouter::testing {

/// A fixture config tree under tests/config/data/.
inline std::filesystem::path data_dir(const std::string& tree) {
  return std::filesystem::path(SPECROUTER_SOURCE_DIR) / "tests" / "config" / "data" / tree;
}

/// Deletes a folder tree. std::filesystem::remove_all is avoided on purpose: the PyTorch
/// wheel's libtorch.so exports its own copy of it (built against a newer libstdc++), which
/// binaries linking libtorch pick up and which crashes against Debian 12's libstdc++.
inline void remove_tree(const std::filesystem::path& path) {
  std::error_code error;
  if (std::filesystem::is_directory(std::filesystem::symlink_status(path, error))) {
    std::vector<std::filesystem::path> children;
    for (const auto& entry : std::filesystem::directory_iterator(path, error)) children.push_back(entry.path());
    for (const auto& child : children) remove_tree(child);
  }
  std::filesystem::remove(path, error);
}

/// Composes `config_name` from fixture tree `tree` with `overrides`.
inline ComposedConfig compose_tree(const std::string& tree, std::vector<std::string> overrides = {},
                                   const std::string& config_name = "config") {
  ComposeRequest request;
  request.config_dir = data_dir(tree);
  request.config_name = config_name;
  request.overrides = std::move(overrides);
  return compose(request);
}

/// Runs `action`, expects it to throw ConfigError, and returns the message (checked to be
/// one line, as every error of the project must be).
template <class Action>
std::string config_error(Action&& action) {
  try {
    action();
  } catch (const ConfigError& e) {
    const std::string message = e.what();
    EXPECT_EQ(message.find('\n'), std::string::npos) << "message spans several lines: " << message;
    return message;
  }
  ADD_FAILURE() << "expected a ConfigError";
  return "";
}

/// The scalar text at `key_path` (fails the test when absent).
inline std::string text_at(const ComposedConfig& config, const std::string& key_path) {
  const YAML::Node node = config.find(key_path);
  EXPECT_TRUE(node.IsDefined()) << key_path << " missing in\n" << config.to_yaml();
  return node.IsDefined() && node.IsScalar() ? node.Scalar() : "<not a scalar>";
}

}  // namespace specrouter::testing
