// compose(): overrides are sorted into group choices and value overrides, the defaults
// tree picks the files, the files are merged at their packages, the value overrides
// are applied in order, and interpolations are resolved last.
#include "specrouter/config/compose.h"

#include "apply_override.h"
#include "config_repository.h"
#include "defaults_tree.h"
#include "interpolation.h"
#include "key_path.h"
#include "merge.h"
#include "specrouter/config/override.h"
#include "specrouter/config/yaml_value.h"
#include "specrouter/error.h"
#include "specrouter/plugin/registry.h"
#include "value_text.h"

namespace specrouter {
namespace {

using detail::DefaultsEntry;
using detail::DefaultsRequest;

// The option named by a group override's value: a name, or null.
std::optional<std::string> group_option(const Override& override) {
  const std::string context = "command-line override '" + override.text + "'";
  const YAML::Node value = detail::parse_value_text(*override.value, context);
  if (value.IsNull()) return std::nullopt;
  if (!value.IsScalar()) throw ConfigError(context + ": a config group takes one option name or null");
  if (value.Scalar().empty()) {
    throw ConfigError(context + ": the option is empty; to select nothing use '" + override.key_with_package() +
                      "=null'");
  }
  return value.Scalar();
}

// Records a group override in the defaults request; false when `override` sets values.
bool add_group_override(const Override& override, detail::ConfigRepository& repo, DefaultsRequest& defaults) {
  if (!repo.is_group(override.key)) return false;
  if (override.value && !override.value->empty() && override.value->front() == '{') return false;
  const std::string key = override.key_with_package();
  const Origin origin{"", 0, 0, override.text};
  switch (override.kind) {
    case Override::Kind::kDelete: {
      detail::GroupDeletion deletion;
      if (override.value) deletion.option = group_option(override);
      deletion.text = override.text;
      defaults.deletions[key] = deletion;
      return true;
    }
    case Override::Kind::kAdd: {
      DefaultsEntry entry;
      entry.kind = DefaultsEntry::Kind::kGroup;
      entry.group = override.key;
      if (!override.package.empty()) entry.package = override.package;
      entry.option = group_option(override);
      entry.external_append = true;
      entry.origin = origin;
      entry.text = override.text;
      defaults.appends.push_back(entry);
      return true;
    }
    case Override::Kind::kSet:
    case Override::Kind::kForceAdd:
      // A later override of the same group replaces an earlier one.
      defaults.overrides[key] = detail::GroupOverride{
          group_option(override), origin, override.text, true, override.kind == Override::Kind::kForceAdd, false};
      return true;
  }
  return false;
}

}  // namespace

ComposedConfig::ComposedConfig(YAML::Node root, Provenance provenance,
                               std::map<std::string, std::optional<std::string>> choices,
                               std::vector<ConfigSource> sources, std::vector<std::string> overrides,
                               std::chrono::system_clock::time_point now)
    : root_(std::move(root)),
      provenance_(std::move(provenance)),
      choices_(std::move(choices)),
      sources_(std::move(sources)),
      overrides_(std::move(overrides)),
      now_(now) {}

YAML::Node ComposedConfig::find(const std::string& key_path) const {
  return detail::lookup(root_, detail::parse_key_path(key_path, "config lookup"));
}

YAML::Node ComposedConfig::at(const std::string& key_path) const {
  const detail::KeyPath path = detail::parse_key_path(key_path, "config lookup");
  YAML::Node node = detail::lookup(root_, path);
  if (node.IsDefined()) return node;
  const detail::KeyPath found = detail::existing_prefix(root_, path);
  const std::string parent = detail::format_key_path(found);
  std::string message = "config key '" + key_path + "' does not exist";
  std::vector<std::string> near = nearest_names(path[found.size()].key, detail::keys_at(root_, found));
  if (!near.empty()) message += "; did you mean '" + detail::child_path(parent, near[0]) + "'?";
  if (std::optional<Origin> where = origin(parent); where && !parent.empty()) {
    message += " ('" + parent + "' is set at " + where->describe() + ")";
  }
  throw ConfigError(message);
}

std::string ComposedConfig::describe_key(const std::string& key_path) const {
  std::optional<Origin> where = origin(key_path);
  return "key '" + key_path + "' (" + (where ? "set at " + where->describe() : std::string("origin unknown")) + ")";
}

YAML::Node ComposedConfig::resolve_text(const std::string& text, const std::string& key_path) const {
  return detail::resolve_text(text, root_, key_path, now_);
}

std::string ComposedConfig::to_yaml() const { return to_yaml_string(root_); }

ComposedConfig compose(const ComposeRequest& request) {
  std::error_code error;
  if (!std::filesystem::is_directory(request.config_dir, error)) {
    throw ConfigError("config folder '" + request.config_dir.string() + "' does not exist");
  }
  detail::ConfigRepository repo(request.config_dir, request.search_path);
  DefaultsRequest defaults;
  defaults.config_name = request.config_name;
  std::vector<Override> value_overrides;
  for (const std::string& text : request.overrides) {
    Override override = parse_override(text);
    if (override.is_sweep()) {
      throw ConfigError("command-line override '" + text + "' has several values: for a list write '" + override.key +
                        "=[" + *override.value + "]', for a string quote it ('" + override.key + "=\"" +
                        *override.value + "\"'), to sweep over them run a multirun");
    }
    if (!add_group_override(override, repo, defaults)) value_overrides.push_back(std::move(override));
  }

  const detail::DefaultsResult tree = detail::build_defaults(repo, std::move(defaults));
  YAML::Node root(YAML::NodeType::Map);
  Provenance provenance;
  std::vector<ConfigSource> sources;
  for (const detail::MergeStep& step : tree.steps) {
    detail::merge_file(root, *step.file, step.package, provenance);
    sources.push_back(ConfigSource{step.file->path, step.file->name, step.package});
  }
  for (const Override& override : value_overrides) detail::apply_value_override(root, override, provenance);

  const auto now = request.now.value_or(std::chrono::system_clock::now());
  detail::resolve_interpolations(root, provenance, now);
  return ComposedConfig(root, std::move(provenance), tree.choices, std::move(sources), request.overrides, now);
}

}  // namespace specrouter
