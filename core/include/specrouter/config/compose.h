#pragma once

/// @file
/// @brief Composing one config from a config folder, a defaults list and command-line
/// overrides (Hydra's model). See docs/config.md for the user guide.

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "specrouter/config/provenance.h"

namespace specrouter {

/// What to compose.
struct ComposeRequest {
  /// Folder holding the primary config and one sub-folder per config group.
  std::filesystem::path config_dir;
  /// Primary config, relative to `config_dir`, without `.yaml`.
  std::string config_name = "config";
  /// Command-line overrides, in order (see override.h). No sweeps: expand those first
  /// with expand_multirun().
  std::vector<std::string> overrides;
  /// Time `${now:...}` formats; pass the same value to every job of a multirun so they
  /// share one sweep folder. Unset: the time compose() is called.
  std::optional<std::chrono::system_clock::time_point> now;
  /// More folders of config groups, searched after `config_dir` (Hydra's search path):
  /// a plugin ships `configs/<group>/<option>.yaml` beside its library, and
  /// `<group>=<option>` finds it (plugin_config_folders() in the engine lists them). An
  /// option in `config_dir` wins over one of the same name here.
  std::vector<std::filesystem::path> search_path;
};

/// One config file merged into the result, in merge order.
struct ConfigSource {
  std::filesystem::path file;  ///< the file, as `config_dir / name.yaml`
  std::string name;            ///< path below the config folder without `.yaml`: `db/mysql`
  std::string package;         ///< key path its content was placed at; empty: the root
};

/// The result of compose(): the resolved config, where each value came from, and the
/// group choices made.
///
/// Nodes returned by root(), find() and at() share the composed tree, and so do copies
/// of a ComposedConfig (yaml-cpp nodes are handles); clone them (`YAML::Clone`) before
/// changing them.
class ComposedConfig {
 public:
  /// An empty config.
  ComposedConfig() = default;
  /// Assembles a result (compose() does this; tests may too).
  ComposedConfig(YAML::Node root, Provenance provenance, std::map<std::string, std::optional<std::string>> choices,
                 std::vector<ConfigSource> sources, std::vector<std::string> overrides,
                 std::chrono::system_clock::time_point now);

  /// The whole config: a mapping, interpolations resolved.
  const YAML::Node& root() const { return root_; }

  /// The node at a key path (`a.b`, `a.list[0]`), or an undefined node when absent.
  YAML::Node find(const std::string& key_path) const;

  /// The node at a key path; throws ConfigError naming the path, the nearest existing
  /// keys and the origin of its parent when absent.
  YAML::Node at(const std::string& key_path) const;

  /// True when the key path exists.
  bool has(const std::string& key_path) const { return find(key_path).IsDefined(); }

  /// Where the value at `key_path` (or its nearest recorded ancestor) was set.
  std::optional<Origin> origin(const std::string& key_path) const { return provenance_.find(key_path); }

  /// `key 'a.b' (set at configs/x.yaml:3:5)`: how messages name a key.
  std::string describe_key(const std::string& key_path) const;

  /// Origins of every key path.
  const Provenance& provenance() const { return provenance_; }

  /// Final choice of each config group in the defaults tree, by override key (`db`,
  /// `db@backup`); std::nullopt for a group set to null.
  const std::map<std::string, std::optional<std::string>>& choices() const { return choices_; }

  /// The config files merged, in merge order.
  const std::vector<ConfigSource>& sources() const { return sources_; }

  /// The command-line overrides applied, as given.
  const std::vector<std::string>& overrides() const { return overrides_; }

  /// The time `${now:...}` used.
  std::chrono::system_clock::time_point now() const { return now_; }

  /// `text` with its interpolations (`${a.b}`, `${now:...}`, ...) resolved against this
  /// config as if it were the value of `key_path`: for a built-in default that may refer
  /// to the config, such as an output folder. Throws ConfigError as compose() does.
  YAML::Node resolve_text(const std::string& text, const std::string& key_path) const;

  /// The config as a YAML document (strings quoted where they would read back as
  /// another type).
  std::string to_yaml() const;

 private:
  YAML::Node root_{YAML::NodeType::Map};
  Provenance provenance_;
  std::map<std::string, std::optional<std::string>> choices_;
  std::vector<ConfigSource> sources_;
  std::vector<std::string> overrides_;
  std::chrono::system_clock::time_point now_{};
};

/// Composes a config: builds the defaults tree of the primary config (applying group
/// overrides), merges every selected file at its package, applies the value overrides
/// in order, then resolves interpolations. Throws ConfigError naming the file and line,
/// the defaults entry, the override or the key at fault.
ComposedConfig compose(const ComposeRequest& request);

}  // namespace specrouter
