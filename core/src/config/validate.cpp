// Checking a component mapping against its declared parameters.
#include "specrouter/config/validate.h"

#include <algorithm>

#include "specrouter/config/yaml_value.h"
#include "specrouter/error.h"

namespace specrouter {
namespace {

constexpr const char* kPluginKey = "plugin";

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) out += (i ? ", " : "") + names[i];
  return out.empty() ? "none" : out;
}

std::string owner_of(const ComponentInfo& info) { return info.kind + " '" + info.name + "'"; }

// `???` written plainly marks a value the user must supply (Hydra's MISSING).
bool is_missing_marker(const YAML::Node& node) {
  return node.IsScalar() && node.Scalar() == "???" && node.Tag() != "!";
}

std::string origin_text(const ComposedConfig& config, const std::string& path) {
  std::optional<Origin> origin = config.origin(path);
  return origin ? origin->describe() : std::string("origin unknown");
}

[[noreturn]] void type_error(const std::string& key_path, const std::string& where, const std::string& expected,
                             const YAML::Node& found) {
  throw ConfigError("config key '" + key_path + "' (" + where + "): expected " + expected + ", found " +
                    describe_value(found));
}

template <class T, class Convert>
std::vector<T> read_list(const YAML::Node& node, const ParamSpec& spec, const std::string& key_path,
                         const std::string& where, Convert convert) {
  if (!node.IsSequence()) type_error(key_path, where, to_string(spec.type), node);
  std::vector<T> out;
  for (std::size_t i = 0; i < node.size(); ++i) {
    out.push_back(convert(node[i], key_path + "[" + std::to_string(i) + "]"));
  }
  return out;
}

}  // namespace

ParamValue param_value_from_yaml(const YAML::Node& node, const ParamSpec& spec, const std::string& key_path,
                                 const std::string& where) {
  auto as_int = [&](const YAML::Node& item, const std::string& path) -> std::int64_t {
    if (yaml_type(item) != YamlType::kInt) type_error(path, where, "int", item);
    try {
      return yaml_to_int(item);
    } catch (const ConfigError& e) {
      throw ConfigError("config key '" + path + "' (" + where + "): " + e.what());
    }
  };
  auto as_float = [&](const YAML::Node& item, const std::string& path) -> double {
    const YamlType type = yaml_type(item);
    if (type != YamlType::kInt && type != YamlType::kFloat) type_error(path, where, "float", item);
    return yaml_to_float(item);
  };
  auto as_string = [&](const YAML::Node& item, const std::string& path) -> std::string {
    if (!item.IsScalar()) type_error(path, where, "string", item);
    return item.Scalar();
  };
  switch (spec.type) {
    case ParamType::kBool:
      if (yaml_type(node) != YamlType::kBool) type_error(key_path, where, "bool", node);
      return yaml_to_bool(node);
    case ParamType::kInt: return as_int(node, key_path);
    case ParamType::kFloat: return as_float(node, key_path);
    case ParamType::kString: return as_string(node, key_path);
    case ParamType::kIntList: return read_list<std::int64_t>(node, spec, key_path, where, as_int);
    case ParamType::kFloatList: return read_list<double>(node, spec, key_path, where, as_float);
    case ParamType::kStringList: return read_list<std::string>(node, spec, key_path, where, as_string);
  }
  type_error(key_path, where, to_string(spec.type), node);
}

std::string component_name(const ComposedConfig& config, const std::string& key_path) {
  const YAML::Node node = config.at(key_path);
  if (!node.IsMap()) {
    throw ConfigError(config.describe_key(key_path) + ": a component is a mapping with 'plugin: <name>', found " +
                      describe_value(node));
  }
  const YAML::Node name = node[kPluginKey];
  if (!name.IsDefined()) {
    throw ConfigError(config.describe_key(key_path) + ": the component has no 'plugin' key naming what to build");
  }
  if (!name.IsScalar() || name.Scalar().empty()) {
    throw ConfigError(config.describe_key(key_path + "." + kPluginKey) + ": expected a plugin name, found " +
                      describe_value(name));
  }
  return name.Scalar();
}

Params validate_component(const ComposedConfig& config, const std::string& key_path, const ComponentInfo& info,
                          const std::function<std::string(const std::string& key)>& how_to_set) {
  const auto setting = [&](const std::string& key) {
    return how_to_set ? how_to_set(key) : "'+" + key_path + "." + key + "=<value>'";
  };
  const YAML::Node node = config.at(key_path);
  const std::string owner = owner_of(info);
  if (!node.IsMap() && !node.IsNull()) {
    throw ConfigError(config.describe_key(key_path) + ": " + owner + " is configured by a mapping, found " +
                      describe_value(node));
  }
  std::vector<std::string> declared;
  for (const ParamSpec& spec : info.params) declared.push_back(spec.name);

  std::map<std::string, ParamValue> values;
  if (node.IsMap()) {
    for (const auto& item : node) {
      const std::string key = item.first.Scalar();
      const std::string path = key_path + "." + key;
      if (key == kPluginKey) {
        if (!item.second.IsScalar() || item.second.Scalar() != info.name) {
          throw ConfigError(config.describe_key(path) + ": is " + describe_value(item.second) +
                            " but is validated as " + owner);
        }
        continue;
      }
      auto spec =
          std::find_if(info.params.begin(), info.params.end(), [&](const ParamSpec& s) { return s.name == key; });
      if (spec == info.params.end()) {
        std::vector<std::string> near = nearest_names(key, declared);
        std::string hint;
        for (std::size_t i = 0; i < near.size(); ++i) hint += (i ? ", '" : "; did you mean '") + near[i] + "'";
        if (!hint.empty()) hint += "?";
        throw ConfigError("unknown config key '" + path + "' (" + origin_text(config, path) + "): " + owner +
                          " has no parameter '" + key + "'" + hint + " (parameters: " + join(declared) + ")");
      }
      if (is_missing_marker(item.second)) {
        throw ConfigError("config key '" + path + "' (" + origin_text(config, path) + ") is '?\?\?': " + owner +
                          " needs a " + to_string(spec->type) + " value for '" + key + "'" +
                          (spec->doc.empty() ? "" : " (" + spec->doc + ")") + "; set it, e.g. " +
                          (how_to_set ? how_to_set(key) : "'" + path + "=<value>'"));
      }
      values.emplace(key, param_value_from_yaml(item.second, *spec, path, origin_text(config, path)));
    }
  }
  for (const ParamSpec& spec : info.params) {
    if (values.count(spec.name) || !spec.required()) continue;
    const std::string path = key_path + "." + spec.name;
    const std::string requirement = owner + " requires " + to_string(spec.type) + " parameter '" + spec.name + "'" +
                                    (spec.doc.empty() ? "" : " (" + spec.doc + ")");
    throw ConfigError("missing config key '" + path + "' (in '" + key_path + "', " + origin_text(config, key_path) +
                      "): " + requirement + "; set it, e.g. " + setting(spec.name));
  }
  return Params::from_specs(owner, info.params, values);
}

}  // namespace specrouter
