// Config files on disk: loading (with file:line:col errors), their defaults lists and
// package headers, and the group folders. Private to the config module.
#pragma once

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "specrouter/config/provenance.h"

namespace specrouter::detail {

/// One entry of a defaults list.
struct DefaultsEntry {
  /// What the entry names.
  enum class Kind {
    kSelf,    ///< `- _self_`
    kGroup,   ///< `- group: option` (with optional/override flags and `@package`)
    kConfig,  ///< `- path/to/config` (loaded unconditionally)
  };
  Kind kind = Kind::kSelf;
  std::string group;                   ///< kGroup: group as written (`/db` is absolute); kConfig: path
  std::optional<std::string> option;   ///< kGroup: chosen option; std::nullopt for `null`
  std::optional<std::string> package;  ///< the `@package` part; `_here_` is stored as ""
  bool is_override = false;            ///< `override group: option`
  bool is_optional = false;            ///< `optional group: option`
  bool external_append = false;        ///< added by `+group=option` on the command line
  Origin origin;                       ///< where the entry is written
  std::string text;                    ///< the entry as written, for messages: `- db: mysql`
};

/// A loaded config file.
struct ConfigFile {
  std::string name;                           ///< `db/mysql`: path below the config folder
  std::filesystem::path path;                 ///< `config_dir / db/mysql.yaml`
  YAML::Node content;                         ///< its mapping, without `defaults`
  std::vector<DefaultsEntry> defaults;        ///< its defaults list, in order
  std::optional<std::string> package_header;  ///< from a `# @package <path>` line
};

/// The config folder and the search path behind it: files by name, group folders and
/// their options. A name is read from the first folder that has it (the config folder
/// first), so a plugin's folder can add options to a group but not replace the
/// project's; a group's options are those of every folder.
class ConfigRepository {
 public:
  explicit ConfigRepository(std::filesystem::path config_dir, std::vector<std::filesystem::path> search_path = {});

  /// The config folder (the first of the search).
  const std::filesystem::path& dir() const { return dir_; }

  /// The file `name` (`db/mysql`), loaded once; nullptr when no such file exists.
  /// Throws ConfigError for a YAML syntax error, a non-mapping file or a malformed
  /// defaults list, naming the file, line and column.
  const ConfigFile* load(const std::string& name);

  /// The file path `name` would be read from: in the first folder that has it, else in
  /// the config folder.
  std::filesystem::path file_of(const std::string& name) const;

  /// True when `group` (`db`, `server/db`) is a folder of the config folder or of a
  /// folder of the search path.
  bool is_group(const std::string& group) const;

  /// Options of `group` in every folder: its `.yaml` files without extension, sorted and
  /// unique ("": the folder itself).
  std::vector<std::string> options(const std::string& group) const;

  /// Every group folder, as `a` and `a/b`, sorted.
  std::vector<std::string> groups() const;

 private:
  std::filesystem::path dir_;
  std::vector<std::filesystem::path> folders_;  // dir_, then the search path
  std::map<std::string, std::unique_ptr<ConfigFile>> cache_;
};

/// Origin of a node read from `file` (line and column from yaml-cpp's mark).
Origin origin_in(const std::filesystem::path& file, const YAML::Node& node);

}  // namespace specrouter::detail
