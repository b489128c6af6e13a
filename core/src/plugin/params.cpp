// Declared parameters and the validated values components receive.
#include "specrouter/plugin/params.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <utility>

#include "specrouter/config/yaml_value.h"
#include "specrouter/error.h"
#include "specrouter/plugin/registry.h"

namespace specrouter {
namespace {

std::string render_float(double value) {
  if (std::isnan(value)) return ".nan";
  if (std::isinf(value)) return value > 0 ? ".inf" : "-.inf";
  char buffer[64];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), value);
  std::string text(buffer, end);
  // Keep a float looking like a float when it is read back as YAML.
  if (text.find_first_of(".eEn") == std::string::npos) text += ".0";
  return text;
}

std::string render_string(const std::string& value) { return to_flow_yaml(make_string_node(value)); }

template <class T, class Render>
std::string render_list(const std::vector<T>& items, Render render) {
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + render(items[i]);
  return out + "]";
}

// The C++ type Params::get needs for a value of each ParamType.
const char* cpp_type(ParamType type) {
  switch (type) {
    case ParamType::kBool: return "bool";
    case ParamType::kInt: return "std::int64_t";
    case ParamType::kFloat: return "double";
    case ParamType::kString: return "std::string";
    case ParamType::kIntList: return "std::vector<std::int64_t>";
    case ParamType::kFloatList: return "std::vector<double>";
    case ParamType::kStringList: return "std::vector<std::string>";
  }
  return "?";
}

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) out += (i ? ", " : "") + names[i];
  return out.empty() ? "none" : out;
}

std::string did_you_mean(const std::string& name, const std::vector<std::string>& candidates) {
  std::vector<std::string> near = nearest_names(name, candidates);
  if (near.empty()) return "";
  std::string out = "; did you mean";
  for (std::size_t i = 0; i < near.size(); ++i) out += (i ? ", '" : " '") + near[i] + "'";
  return out + "?";
}

// Ints are valid floats: `temperature: 1` declares a float of 1.0.
std::optional<ParamValue> coerce(const ParamValue& value, ParamType type) {
  if (type_of(value) == type) return value;
  if (type == ParamType::kFloat) {
    if (const auto* i = std::get_if<std::int64_t>(&value)) return static_cast<double>(*i);
  }
  if (type == ParamType::kFloatList) {
    if (const auto* list = std::get_if<std::vector<std::int64_t>>(&value)) {
      return std::vector<double>(list->begin(), list->end());
    }
  }
  return std::nullopt;
}

ParamSpec make_spec(std::string name, ParamType type, std::optional<ParamValue> default_value, std::string doc) {
  ParamSpec spec;
  spec.name = std::move(name);
  spec.type = type;
  spec.default_value = std::move(default_value);
  spec.doc = std::move(doc);
  return spec;
}

}  // namespace

const char* to_string(ParamType type) {
  switch (type) {
    case ParamType::kBool: return "bool";
    case ParamType::kInt: return "int";
    case ParamType::kFloat: return "float";
    case ParamType::kString: return "string";
    case ParamType::kIntList: return "list[int]";
    case ParamType::kFloatList: return "list[float]";
    case ParamType::kStringList: return "list[string]";
  }
  return "?";
}

std::string to_string(const ParamValue& value) {
  struct Renderer {
    std::string operator()(bool v) const { return v ? "true" : "false"; }
    std::string operator()(std::int64_t v) const { return std::to_string(v); }
    std::string operator()(double v) const { return render_float(v); }
    std::string operator()(const std::string& v) const { return render_string(v); }
    std::string operator()(const std::vector<std::int64_t>& v) const {
      return render_list(v, [](std::int64_t x) { return std::to_string(x); });
    }
    std::string operator()(const std::vector<double>& v) const { return render_list(v, render_float); }
    std::string operator()(const std::vector<std::string>& v) const { return render_list(v, render_string); }
  };
  return std::visit(Renderer{}, value);
}

ParamType type_of(const ParamValue& value) {
  // The variant's alternatives are declared in ParamType's order.
  return static_cast<ParamType>(value.index());
}

ParamSpec bool_param(std::string name, bool default_value, std::string doc) {
  return make_spec(std::move(name), ParamType::kBool, default_value, std::move(doc));
}
ParamSpec int_param(std::string name, std::int64_t default_value, std::string doc) {
  return make_spec(std::move(name), ParamType::kInt, default_value, std::move(doc));
}
ParamSpec float_param(std::string name, double default_value, std::string doc) {
  return make_spec(std::move(name), ParamType::kFloat, default_value, std::move(doc));
}
ParamSpec string_param(std::string name, std::string default_value, std::string doc) {
  return make_spec(std::move(name), ParamType::kString, std::move(default_value), std::move(doc));
}
ParamSpec int_list_param(std::string name, std::vector<std::int64_t> default_value, std::string doc) {
  return make_spec(std::move(name), ParamType::kIntList, std::move(default_value), std::move(doc));
}
ParamSpec float_list_param(std::string name, std::vector<double> default_value, std::string doc) {
  return make_spec(std::move(name), ParamType::kFloatList, std::move(default_value), std::move(doc));
}
ParamSpec string_list_param(std::string name, std::vector<std::string> default_value, std::string doc) {
  return make_spec(std::move(name), ParamType::kStringList, std::move(default_value), std::move(doc));
}
ParamSpec required_param(std::string name, ParamType type, std::string doc) {
  return make_spec(std::move(name), type, std::nullopt, std::move(doc));
}

Params::Params(std::string owner, std::map<std::string, ParamValue> values)
    : owner_(std::move(owner)), values_(std::move(values)) {}

Params Params::from_specs(const std::string& owner, const std::vector<ParamSpec>& specs,
                          const std::map<std::string, ParamValue>& overrides) {
  std::vector<std::string> declared;
  for (const ParamSpec& spec : specs) declared.push_back(spec.name);
  for (const auto& [name, value] : overrides) {
    if (std::find(declared.begin(), declared.end(), name) == declared.end()) {
      throw ConfigError(owner + ": unknown parameter '" + name + "'" + did_you_mean(name, declared) +
                        " (parameters: " + join(declared) + ")");
    }
  }
  std::map<std::string, ParamValue> values;
  for (const ParamSpec& spec : specs) {
    auto given = overrides.find(spec.name);
    if (given != overrides.end()) {
      std::optional<ParamValue> typed = coerce(given->second, spec.type);
      if (!typed) {
        throw ConfigError(owner + ": parameter '" + spec.name + "' expects " + to_string(spec.type) + ", got " +
                          to_string(type_of(given->second)) + " " + to_string(given->second));
      }
      values.emplace(spec.name, std::move(*typed));
    } else if (spec.default_value) {
      std::optional<ParamValue> typed = coerce(*spec.default_value, spec.type);
      if (!typed) {
        throw ConfigError(owner + ": the default of parameter '" + spec.name + "' is " +
                          to_string(type_of(*spec.default_value)) + " " + to_string(*spec.default_value) +
                          " but the parameter is declared " + to_string(spec.type));
      }
      values.emplace(spec.name, std::move(*typed));
    } else {
      throw ConfigError(owner + ": missing required parameter '" + spec.name + "' (" + to_string(spec.type) +
                        (spec.doc.empty() ? "" : ": " + spec.doc) + ")");
    }
  }
  return Params(owner, std::move(values));
}

std::int64_t Params::get_int_in(const std::string& name, std::int64_t minimum, std::int64_t maximum) const {
  const std::int64_t value = get<std::int64_t>(name);
  if (value < minimum || value > maximum) {
    throw ConfigError(owner_ + ": " + name + " is " + std::to_string(value) + ", must be in [" +
                      std::to_string(minimum) + ", " + std::to_string(maximum) + "]");
  }
  return value;
}

const ParamValue& Params::at(const std::string& name) const {
  auto it = values_.find(name);
  if (it != values_.end()) return it->second;
  std::vector<std::string> names;
  for (const auto& [key, value] : values_) names.push_back(key);
  throw ConfigError((owner_.empty() ? std::string("params") : owner_) + ": no parameter '" + name + "'" +
                    did_you_mean(name, names) + " (parameters: " + join(names) + ")");
}

void Params::throw_type_error(const std::string& name, const ParamValue& value) const {
  const ParamType type = type_of(value);
  throw ConfigError((owner_.empty() ? std::string("params") : owner_) + ": parameter '" + name + "' holds " +
                    to_string(type) + " " + to_string(value) + "; read it as " + cpp_type(type));
}

}  // namespace specrouter
