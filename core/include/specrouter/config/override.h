#pragma once

/// @file
/// @brief The command-line override grammar (Hydra's), parsed but not yet applied.
///
/// | form            | meaning                                                        |
/// |-----------------|----------------------------------------------------------------|
/// | `key=value`     | change a config group choice, or set a key that must exist     |
/// | `+key=value`    | add a key that must not exist, or append a group to the defaults |
/// | `++key=value`   | set the key whether or not it exists (or choose/append a group) |
/// | `~key`          | delete a key, or remove a group from the defaults              |
/// | `~key=value`    | delete only if the current value (or choice) equals `value`    |
///
/// `key` is a dotted key path (`model.drafter.k`, `sizes[0]`) or a config group path
/// (`db`, `server/db`), optionally with a package: `db@backup=mysql`.

#include <optional>
#include <string>
#include <vector>

namespace specrouter {

/// One parsed command-line override.
struct Override {
  /// What the override does, from its prefix.
  enum class Kind {
    kSet,       ///< `key=value`
    kAdd,       ///< `+key=value`
    kForceAdd,  ///< `++key=value`
    kDelete,    ///< `~key` or `~key=value`
  };

  Kind kind = Kind::kSet;            ///< from the prefix
  std::string key;                   ///< key path or group path, without prefix and package
  std::string package;               ///< the part after `@` in the key; empty when absent
  std::optional<std::string> value;  ///< text after the first `=`, trimmed; absent only for `~key`
  std::string text;                  ///< the override as given, for messages

  /// `key` with `@package` when one was given: the key used to match defaults entries.
  std::string key_with_package() const { return package.empty() ? key : key + "@" + package; }

  /// The prefix as written: "", "+", "++" or "~".
  const char* prefix() const;

  /// True when the value is a sweep: a top-level comma list (`1,2`), `range(...)` or
  /// `choice(...)`. Commas inside quotes, brackets, braces and `${...}` do not count.
  bool is_sweep() const;
};

/// Parses one override; throws ConfigError quoting `text` and the expected forms when it
/// is malformed (no `=`, empty or invalid key, a value on a bare key, ...).
Override parse_override(const std::string& text);

/// Splits `text` at its top-level commas (outside quotes, `[]`, `{}`, `()` and `${}`),
/// trimming each part. Used for sweeps and resolver arguments.
std::vector<std::string> split_top_level(const std::string& text, char separator = ',');

}  // namespace specrouter
