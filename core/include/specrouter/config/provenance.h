#pragma once

/// @file
/// @brief Where each value of a composed config came from: a file position or a
/// command-line override.

#include <map>
#include <optional>
#include <string>

namespace specrouter {

/// The source that last set one key of a composed config.
struct Origin {
  std::string file;           ///< config file that set the key; empty for a command-line override
  int line = 0;               ///< 1-based line in `file`; 0 when unknown
  int column = 0;             ///< 1-based column in `file`; 0 when unknown
  std::string override_text;  ///< the command-line override that set the key; empty for a file

  /// True when a command-line override set the key.
  bool from_command_line() const { return !override_text.empty(); }

  /// One-line description: `configs/db/mysql.yaml:3:5` or `command-line override 'db.port=1'`.
  std::string describe() const;
};

/// Origin of every key path of a composed config.
///
/// Key paths are written `a.b.c`, with sequence elements as `a.list[2]`. A path without
/// its own entry (a key created by a `@package` placement, an element of a list set as a
/// whole) reports the origin of its nearest recorded ancestor.
class Provenance {
 public:
  /// Records that `origin` set `path`.
  void set(const std::string& path, Origin origin);

  /// Records `origin` for `path` and forgets every recorded path below it (the value was
  /// replaced as a whole).
  void replace(const std::string& path, Origin origin);

  /// Forgets `path` and every recorded path below it (the key was deleted).
  void erase(const std::string& path);

  /// Origin of `path` or of its nearest recorded ancestor; std::nullopt when none.
  std::optional<Origin> find(const std::string& path) const;

  /// Every recorded path and its origin, sorted by path.
  const std::map<std::string, Origin>& entries() const { return entries_; }

 private:
  std::map<std::string, Origin> entries_;
};

}  // namespace specrouter
