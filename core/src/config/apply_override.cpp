// Value overrides. Mappings given as values merge into existing mappings, as Hydra's
// OmegaConf.update(merge=True) does; any other value replaces the old one.
#include "apply_override.h"

#include "key_path.h"
#include "merge.h"
#include "specrouter/config/yaml_value.h"
#include "specrouter/error.h"
#include "specrouter/plugin/registry.h"
#include "value_text.h"

namespace specrouter::detail {
namespace {

std::string quoted(const Override& override) { return "command-line override '" + override.text + "'"; }

std::string origin_of_key(const Provenance& provenance, const std::string& path) {
  std::optional<Origin> origin = provenance.find(path);
  return origin ? " (set at " + origin->describe() + ")" : "";
}

// " (did you mean 'a.port'?)" for the first missing segment of `path`.
std::string nearest_key_hint(const YAML::Node& root, const KeyPath& path) {
  const KeyPath found = existing_prefix(root, path);
  if (found.size() >= path.size()) return "";
  std::vector<std::string> near = nearest_names(path[found.size()].key, keys_at(root, found));
  if (near.empty()) return "";
  return " (did you mean '" + child_path(format_key_path(found), near[0]) + "'?)";
}

void set_value(YAML::Node root, const KeyPath& path, const YAML::Node& value, const Override& override,
               Provenance& provenance) {
  const std::string key = format_key_path(path);
  const Origin origin{"", 0, 0, override.text};
  const OriginOf from_override = [&](const YAML::Node&) { return origin; };
  YAML::Node existing = lookup(root, path);
  if (existing.IsMap() && value.IsMap()) {
    provenance.set(key, origin);
    merge_mapping(existing, value, key, from_override, provenance);
    return;
  }
  // Create the mappings leading to a new key; refuse to go through a scalar or list.
  const KeyPath parent = parent_of(path);
  const KeyPath found = existing_prefix(root, parent);
  if (!existing.IsDefined() && (found.size() < parent.size() || !lookup(root, parent).IsMap())) {
    const YAML::Node blocker = lookup(root, found);
    if (!blocker.IsMap()) {
      const std::string blocker_path = format_key_path(found);
      throw ConfigError(quoted(override) + ": '" + (blocker_path.empty() ? "<root>" : blocker_path) + "' is " +
                        describe_value(blocker) + origin_of_key(provenance, blocker_path) + ", not a mapping, so '" +
                        key + "' cannot be set below it");
    }
    for (std::size_t depth = found.size() + 1; depth <= parent.size(); ++depth) {
      provenance.replace(format_key_path(KeyPath(parent.begin(), parent.begin() + static_cast<std::ptrdiff_t>(depth))),
                         origin);
    }
    ensure_mapping(root, parent);
  }
  assign_at(root, path, YAML::Clone(value));
  record_origins(value, key, origin, from_override, provenance);
}

}  // namespace

void apply_value_override(YAML::Node root, const Override& override, Provenance& provenance) {
  const KeyPath path = parse_key_path(override.key, quoted(override));
  if (!override.package.empty()) {
    throw ConfigError(quoted(override) + ": '@" + override.package + "' applies to config groups only and '" +
                      override.key + "' is not a config group");
  }
  const std::string key = format_key_path(path);
  const YAML::Node existing = lookup(root, path);
  switch (override.kind) {
    case Override::Kind::kSet:
      if (!existing.IsDefined()) {
        throw ConfigError(quoted(override) + ": key '" + key + "' is not in the config; to add it use '+" +
                          override.text + "'" + nearest_key_hint(root, path));
      }
      break;
    case Override::Kind::kAdd:
      if (existing.IsDefined()) {
        throw ConfigError(quoted(override) + ": key '" + key + "' already exists" + origin_of_key(provenance, key) +
                          "; to change it use '" + key + "=" + *override.value + "' or '++" + key + "=" +
                          *override.value + "'");
      }
      break;
    case Override::Kind::kForceAdd: break;
    case Override::Kind::kDelete: {
      if (!existing.IsDefined()) {
        throw ConfigError(quoted(override) + ": key '" + key + "' is not in the config" + nearest_key_hint(root, path));
      }
      if (override.value) {
        const YAML::Node expected = parse_value_text(*override.value, quoted(override));
        if (!yaml_equal(existing, expected)) {
          throw ConfigError(quoted(override) + ": key '" + key + "' is " + describe_value(existing) +
                            origin_of_key(provenance, key) + ", not " + describe_value(expected) + "; nothing deleted");
        }
      }
      const bool in_sequence = lookup(root, parent_of(path)).IsSequence();
      erase_at(root, path);
      provenance.erase(key);
      // Later elements moved down one place: the list as a whole now comes from here.
      if (in_sequence) provenance.replace(format_key_path(parent_of(path)), Origin{"", 0, 0, override.text});
      return;
    }
  }
  set_value(root, path, parse_value_text(*override.value, quoted(override)), override, provenance);
}

}  // namespace specrouter::detail
