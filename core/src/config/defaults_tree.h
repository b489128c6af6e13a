// Building the final defaults list: which files are merged, in which order, at which
// package, after group overrides and deletions. Private to the config module.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config_repository.h"

namespace specrouter::detail {

/// A change of a group choice: `db=x` on the command line or `- override db: x` in a file.
struct GroupOverride {
  std::optional<std::string> option;  ///< the new choice; std::nullopt for null
  Origin origin;                      ///< where it was written
  std::string text;                   ///< as written, for messages
  bool from_command_line = false;     ///< `db=x` rather than `- override db: x`
  bool force_add = false;             ///< `++db=x`: append the group when nothing chose it
  bool used = false;                  ///< set when an entry took the choice
};

/// A removal from the defaults list: `~db` or `~db=x` on the command line.
struct GroupDeletion {
  std::optional<std::string> option;  ///< only delete while this is the choice
  std::string text;                   ///< the override, for messages
  bool found = false;                 ///< an entry of the group was met
  std::optional<std::string> seen;    ///< the choice that entry had
  bool used = false;                  ///< set when an entry was removed
};

/// What the command line asks of the defaults list.
struct DefaultsRequest {
  std::string config_name;                         ///< the primary config
  std::vector<DefaultsEntry> appends;              ///< `+group=option`, appended to the primary's list
  std::map<std::string, GroupOverride> overrides;  ///< `group[@pkg]=option` and `++group=option`
  std::map<std::string, GroupDeletion> deletions;  ///< `~group[@pkg][=option]`
};

/// A file to merge, at a package.
struct MergeStep {
  const ConfigFile* file = nullptr;  ///< the file whose content is merged
  std::string package;               ///< where its content goes; empty: the root
};

/// The final defaults list.
struct DefaultsResult {
  std::vector<MergeStep> steps;                               ///< in merge order
  std::map<std::string, std::optional<std::string>> choices;  ///< override key -> final choice
};

/// Builds the defaults tree of `request.config_name` with Hydra's rules: the last
/// choice of a group wins, the first appearance fixes the merge order. Throws
/// ConfigError naming the file and entry (or override) at fault.
DefaultsResult build_defaults(ConfigRepository& repo, DefaultsRequest request);

}  // namespace specrouter::detail
