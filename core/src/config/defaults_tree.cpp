// The defaults tree, built as Hydra builds it: each defaults list is walked from its
// last entry to its first, so an `override` written in a later entry (typically an
// experiment appended with `+experiment=x`) is registered before the earlier entry it
// changes is expanded. The first registration of an override wins, and command-line
// overrides are registered before anything else.
#include "defaults_tree.h"

#include <algorithm>
#include <set>

#include "specrouter/error.h"
#include "specrouter/plugin/registry.h"

namespace specrouter::detail {
namespace {

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

std::string dotted(const std::string& group) { return replace_all(group, "/", "."); }

std::string dirname(const std::string& name) {
  const std::size_t slash = name.rfind('/');
  return slash == std::string::npos ? std::string() : name.substr(0, slash);
}

std::string basename(const std::string& name) {
  const std::size_t slash = name.rfind('/');
  return slash == std::string::npos ? name : name.substr(slash + 1);
}

std::string without_leading_slash(const std::string& path) {
  return !path.empty() && path[0] == '/' ? path.substr(1) : path;
}

std::string join_list(const std::vector<std::string>& items) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + items[i];
  return out.empty() ? "none" : out;
}

std::string did_you_mean(const std::string& name, const std::vector<std::string>& candidates) {
  const std::vector<std::string> near = nearest_names(name, candidates);
  if (near.empty()) return "";
  std::string out = "; did you mean";
  for (std::size_t i = 0; i < near.size(); ++i) out += (i ? ", '" : " '") + near[i] + "'";
  return out + "?";
}

// Hydra's package rules. Priority: the package in the defaults entry (relative to the
// including config's package), then the file's `# @package` header (absolute), then the
// group path (relative). `_global_` anywhere means "from the root"; `_group_` is the
// absolute group path; `_name_` the option name.
std::string final_package(const std::string& parent_package, const std::optional<std::string>& entry_package,
                          const std::optional<std::string>& header, const std::string& relative_group,
                          const std::string& absolute_group, const std::string& name) {
  std::string package;
  if (entry_package) {
    package = *entry_package;
    if (package.find("_group_") != std::string::npos) {
      package = "_global_." + replace_all(package, "_group_", dotted(absolute_group));
    }
  } else if (header && *header != "_group_") {
    package = replace_all(*header, "_group_", dotted(absolute_group));
    if (package != "_global_" && package.rfind("_global_.", 0) != 0) {
      package = package.empty() ? "_global_" : "_global_." + package;
    }
  } else {
    package = dotted(relative_group);
  }
  package = replace_all(package, "_name_", name);
  std::string joined = parent_package.empty() ? package
                       : package.empty()      ? parent_package
                                              : parent_package + "." + package;
  const std::size_t global = joined.rfind("_global_");
  if (global == std::string::npos) return joined;
  const std::size_t rest = global + std::string("_global_").size() + 1;
  return rest >= joined.size() ? std::string() : joined.substr(rest);
}

// How messages name the place a choice was made.
std::string where(const Origin& origin, const std::string& text) {
  if (origin.from_command_line()) return origin.describe();
  return origin.describe() + ": defaults entry '" + text + "'";
}

class Builder {
 public:
  Builder(ConfigRepository& repo, DefaultsRequest& request) : repo_(repo), request_(request) {}

  std::vector<MergeStep> expand_primary() {
    const ConfigFile* primary = repo_.load(request_.config_name);
    if (!primary) {
      throw ConfigError("primary config '" + request_.config_name + "' not found: no file " +
                        repo_.file_of(request_.config_name).string() +
                        " (configs there: " + join_list(repo_.options(dirname(request_.config_name))) + ")");
    }
    // Unlike Hydra, a primary config in a sub-folder still composes at the root.
    const std::string package = final_package("", std::nullopt, primary->package_header, "", "", "");
    return expand_file(*primary, dirname(request_.config_name), package, true);
  }

  std::map<std::string, std::optional<std::string>> choices() const {
    std::map<std::string, std::optional<std::string>> out;
    for (const auto& [key, choice] : choices_) out[key] = choice.option;
    return out;
  }

  // Overrides and deletions that matched nothing are mistakes, reported with the
  // choices that do exist for the same group.
  void check_unused() const {
    for (const auto& [key, override] : request_.overrides) {
      if (override.used) continue;
      const std::string hint = suggestion(key);
      if (override.from_command_line) {
        throw ConfigError(override.origin.describe() + ": config group '" + key +
                          "' is not in the defaults list; to add it use '+" + key + "=" +
                          override.option.value_or("null") + "'" + hint);
      }
      throw ConfigError(where(override.origin, override.text) + ": no defaults entry processed after it chooses '" +
                        key + "'; an override changes a choice made by an earlier entry or an included config" + hint);
    }
    for (const auto& [key, deletion] : request_.deletions) {
      if (deletion.used) continue;
      if (deletion.found) {
        throw ConfigError("command-line override '" + deletion.text + "': the choice of '" + key + "' is '" +
                          deletion.seen.value_or("null") + "', not '" + deletion.option.value_or("null") + "'");
      }
      throw ConfigError("command-line override '" + deletion.text + "': config group '" + key +
                        "' is not in the defaults list" + suggestion(key));
    }
  }

 private:
  std::string suggestion(const std::string& key) const {
    const std::string group = key.substr(0, key.find('@'));
    auto it = keys_by_group_.find(group);
    if (it == keys_by_group_.end()) return "";
    std::vector<std::string> keys(it->second.begin(), it->second.end());
    keys.erase(std::remove(keys.begin(), keys.end(), key), keys.end());
    if (keys.empty()) return "";
    if (keys.size() == 1) return " (did you mean '" + keys[0] + "'?)";
    return " (did you mean one of " + join_list(keys) + "?)";
  }

  std::string absolute_group(const DefaultsEntry& entry, const std::string& group_dir) const {
    if (!entry.group.empty() && entry.group[0] == '/') return entry.group.substr(1);
    if (group_dir.empty() || entry.external_append) return entry.group;
    return group_dir + "/" + entry.group;
  }

  // The key overrides and deletions match: the group path, plus `@package` when the
  // entry places it elsewhere than its default package.
  std::string override_key(const DefaultsEntry& entry, const std::string& group_dir,
                           const std::string& parent_package) const {
    const std::string group = absolute_group(entry, group_dir);
    const std::string package = final_package(parent_package, entry.package, std::nullopt,
                                              without_leading_slash(entry.group), group, entry.option.value_or(""));
    if (package == dotted(group)) return group;
    return group + "@" + (package.empty() ? "_global_" : package);
  }

  std::vector<MergeStep> expand_file(const ConfigFile& file, const std::string& group_dir, const std::string& package,
                                     bool primary) {
    if (std::find(stack_.begin(), stack_.end(), file.name) != stack_.end()) {
      std::string chain;
      for (const std::string& name : stack_) chain += name + " -> ";
      throw ConfigError(file.path.string() + ": the defaults lists include each other: " + chain + file.name);
    }
    std::vector<DefaultsEntry> entries = file.defaults;
    const auto self_count = std::count_if(entries.begin(), entries.end(),
                                          [](const DefaultsEntry& e) { return e.kind == DefaultsEntry::Kind::kSelf; });
    if (self_count > 1) throw ConfigError(file.path.string() + ": _self_ appears more than once in the defaults list");
    // Without `_self_` the file's own values come after its defaults (Hydra 1.1+).
    if (self_count == 0) entries.push_back(DefaultsEntry{});
    if (primary) entries.insert(entries.end(), request_.appends.begin(), request_.appends.end());
    register_overrides(entries, group_dir, package);

    stack_.push_back(file.name);
    std::vector<std::vector<MergeStep>> parts(entries.size());
    for (std::size_t i = entries.size(); i-- > 0;) {
      const DefaultsEntry& entry = entries[i];
      switch (entry.kind) {
        case DefaultsEntry::Kind::kSelf: parts[i] = {MergeStep{&file, package}}; break;
        case DefaultsEntry::Kind::kGroup:
          if (!entry.is_override) parts[i] = expand_group(entry, group_dir, package);
          break;
        case DefaultsEntry::Kind::kConfig: parts[i] = expand_config(entry, group_dir, package); break;
      }
    }
    stack_.pop_back();
    std::vector<MergeStep> steps;
    for (auto& part : parts) steps.insert(steps.end(), part.begin(), part.end());
    return steps;
  }

  void register_overrides(const std::vector<DefaultsEntry>& entries, const std::string& group_dir,
                          const std::string& package) {
    const DefaultsEntry* last_override = nullptr;
    for (const DefaultsEntry& entry : entries) {
      if (entry.kind == DefaultsEntry::Kind::kSelf) continue;
      if (last_override && !entry.is_override && !entry.external_append) {
        throw ConfigError(where(entry.origin, entry.text) + ": comes after '" + last_override->text +
                          "'; overrides must come last in a defaults list");
      }
      if (!entry.is_override) continue;
      last_override = &entry;
      const std::string key = override_key(entry, group_dir, package);
      // The first registration wins: the command line, then later entries.
      request_.overrides.try_emplace(key, GroupOverride{entry.option, entry.origin, entry.text, false, false, false});
    }
  }

  std::vector<MergeStep> expand_group(const DefaultsEntry& entry, const std::string& group_dir,
                                      const std::string& parent_package) {
    const std::string group = absolute_group(entry, group_dir);
    const std::string key = override_key(entry, group_dir, parent_package);
    std::optional<std::string> option = entry.option;
    Origin origin = entry.origin;
    std::string text = entry.text;
    if (auto it = request_.overrides.find(key); it != request_.overrides.end()) {
      it->second.used = true;
      option = it->second.option;
      origin = it->second.origin;
      text = it->second.text;
    }
    if (auto it = request_.deletions.find(key); it != request_.deletions.end()) {
      it->second.found = true;
      it->second.seen = option;
      if (!it->second.option || it->second.option == option) {
        it->second.used = true;
        return {};
      }
    }
    keys_by_group_[group].insert(key);
    // A group appears once in the final list (Hydra's rule); only null placeholders may repeat.
    if (auto it = choices_.find(key); it != choices_.end() && (it->second.option || option)) {
      const Choice& other = it->second;
      if (entry.external_append || other.external_append) {
        // Name the `+group=option` and point at the entry it collides with.
        const bool this_appended = entry.external_append;
        const std::string appended = this_appended ? where(origin, text) : other.where;
        const std::string listed = this_appended ? other.where : where(entry.origin, entry.text);
        const std::string wanted = (this_appended ? option : other.option).value_or("null");
        throw ConfigError(appended + ": config group '" + key + "' is already in the defaults list (" + listed +
                          "); to change its choice use '" + key + "=" + wanted + "'");
      }
      throw ConfigError(where(entry.origin, entry.text) + ": config group '" + key + "' is also chosen by " +
                        other.where + "; to change a choice write '- override " + key + ": " +
                        option.value_or(other.option.value_or("null")) + "'");
    }
    choices_[key] = Choice{option, where(origin, text), entry.external_append};
    if (!option) return {};
    if (*option == "???") {
      throw ConfigError(where(origin, text) + ": config group '" + key + "' needs a choice; add '" + key +
                        "=<option>' to the command line (available: " + join_list(repo_.options(group)) + ")");
    }
    if (option->find("${") != std::string::npos) {
      throw ConfigError(where(origin, text) + ": interpolations are not supported in defaults lists");
    }
    if (!repo_.is_group(group)) {
      if (entry.is_optional) return {};
      throw ConfigError(where(entry.origin, entry.text) + ": no config group '" + group + "' (no folder " +
                        (repo_.dir() / group).string() + ")" + did_you_mean(group, repo_.groups()) +
                        " (groups: " + join_list(repo_.groups()) + ")");
    }
    const ConfigFile* file = repo_.load(group + "/" + *option);
    if (!file) {
      if (entry.is_optional) return {};
      const std::vector<std::string> options = repo_.options(group);
      throw ConfigError(where(origin, text) + ": config group '" + group + "' has no option '" + *option + "'" +
                        did_you_mean(*option, options) + " (available: " + join_list(options) + ")");
    }
    const std::string package = final_package(parent_package, entry.package, file->package_header,
                                              without_leading_slash(entry.group), group, *option);
    return expand_file(*file, group, package, false);
  }

  std::vector<MergeStep> expand_config(const DefaultsEntry& entry, const std::string& group_dir,
                                       const std::string& parent_package) {
    const bool absolute = entry.group[0] == '/';
    const std::string name = absolute            ? entry.group.substr(1)
                             : group_dir.empty() ? entry.group
                                                 : group_dir + "/" + entry.group;
    const ConfigFile* file = repo_.load(name);
    if (!file) {
      throw ConfigError(where(entry.origin, entry.text) + ": no config file " + repo_.file_of(name).string());
    }
    const std::string package =
        final_package(parent_package, entry.package, file->package_header, dirname(without_leading_slash(entry.group)),
                      dirname(name), basename(name));
    return expand_file(*file, dirname(name), package, false);
  }

  struct Choice {
    std::optional<std::string> option;
    std::string where;             // the entry or override that made the choice
    bool external_append = false;  // made by `+group=option`
  };

  ConfigRepository& repo_;
  DefaultsRequest& request_;
  std::map<std::string, Choice> choices_;
  std::map<std::string, std::set<std::string>> keys_by_group_;
  std::vector<std::string> stack_;
};

}  // namespace

DefaultsResult build_defaults(ConfigRepository& repo, DefaultsRequest request) {
  // `++group=option` chooses the group when the tree has it and appends it otherwise;
  // which one is known only after a build, so an unused one is appended and the tree
  // built again.
  while (true) {
    DefaultsRequest attempt = request;
    Builder builder(repo, attempt);
    std::vector<MergeStep> steps = builder.expand_primary();
    bool rebuilt = false;
    for (const auto& [key, override] : attempt.overrides) {
      if (override.used || !override.force_add) continue;
      DefaultsEntry entry;
      entry.kind = DefaultsEntry::Kind::kGroup;
      const std::size_t at = key.find('@');
      entry.group = key.substr(0, at);
      if (at != std::string::npos) entry.package = key.substr(at + 1);
      entry.option = override.option;
      entry.external_append = true;
      entry.origin = override.origin;
      entry.text = override.text;
      request.appends.push_back(entry);
      request.overrides.erase(key);
      rebuilt = true;
    }
    if (rebuilt) continue;
    builder.check_unused();
    return DefaultsResult{std::move(steps), builder.choices()};
  }
}

}  // namespace specrouter::detail
