// Key paths (`a.b`, `a.list[2]`) and the tree operations on them. Private to the config
// module.
#pragma once

#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>
#include <vector>

namespace specrouter::detail {

/// One step of a key path: a mapping key, or a sequence index written `[n]`.
struct PathSegment {
  std::string key;                   ///< mapping key (a number here also indexes a sequence)
  std::optional<std::size_t> index;  ///< set for `[n]`
};

/// A parsed key path; empty means the root.
using KeyPath = std::vector<PathSegment>;

/// Parses `a.b[2].c`; throws ConfigError naming `path` and `context` when malformed.
KeyPath parse_key_path(const std::string& path, const std::string& context);

/// The canonical text of a path: keys joined by '.', indices as `[n]`.
std::string format_key_path(const KeyPath& path);

/// `parent.key` (or `key` at the root).
std::string child_path(const std::string& parent, const std::string& key);

/// `parent[index]`.
std::string element_path(const std::string& parent, std::size_t index);

/// `path` without its last segment.
KeyPath parent_of(const KeyPath& path);

/// The node at `path`, or an undefined node. Never changes `root`.
YAML::Node lookup(const YAML::Node& root, const KeyPath& path);

/// Longest prefix of `path` that exists in `root`.
KeyPath existing_prefix(const YAML::Node& root, const KeyPath& path);

/// Keys of the mapping at `path` (empty when it is not a mapping).
std::vector<std::string> keys_at(const YAML::Node& root, const KeyPath& path);

/// Makes `root[path]` hold `value` (not copied: pass a node nothing else refers to). The
/// parent must exist; a sequence index must be in range.
void assign_at(YAML::Node root, const KeyPath& path, const YAML::Node& value);

/// Ensures every prefix of `path` is a mapping, replacing non-mappings, and returns the
/// mapping at `path`.
YAML::Node ensure_mapping(YAML::Node root, const KeyPath& path);

/// Removes the key or element at `path`; returns false when it did not exist.
bool erase_at(YAML::Node root, const KeyPath& path);

/// True when two values are equal under the core schema (`16` equals `0x10`, `1.0`
/// equals `1`, a quoted "1" does not equal 1).
bool yaml_equal(const YAML::Node& a, const YAML::Node& b);

}  // namespace specrouter::detail
