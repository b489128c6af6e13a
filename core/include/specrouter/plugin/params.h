#pragma once

/// @file
/// @brief Declared parameters of a component and the validated values it receives.
///
/// A plugin declares each parameter once (name, type, default, one-line doc). The
/// config system checks the composed config against these declarations and hands the
/// component a Params object holding one typed value per declared parameter.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace specrouter {

/// The type of a declared parameter, as YAML values are read into it.
enum class ParamType {
  kBool,        ///< `true` / `false`
  kInt,         ///< a YAML integer
  kFloat,       ///< a YAML number (integers are accepted)
  kString,      ///< a YAML scalar
  kIntList,     ///< a YAML sequence of integers
  kFloatList,   ///< a YAML sequence of numbers
  kStringList,  ///< a YAML sequence of scalars
};

/// Human-readable name of a ParamType ("int", "list[float]", ...).
const char* to_string(ParamType type);

/// One parameter value; the alternative always matches the declared ParamType.
using ParamValue = std::variant<bool, std::int64_t, double, std::string, std::vector<std::int64_t>,
                                std::vector<double>, std::vector<std::string>>;

/// Renders a value the way it would be written in YAML (used in messages and listings).
std::string to_string(const ParamValue& value);

/// The ParamType a value holds.
ParamType type_of(const ParamValue& value);

/// One declared parameter of a component.
struct ParamSpec {
  std::string name;                         ///< key in the component's config mapping
  ParamType type = ParamType::kString;      ///< how the YAML value is read
  std::optional<ParamValue> default_value;  ///< std::nullopt: the parameter is required
  std::string doc;                          ///< one line, shown by `specrouter plugins`

  /// True when the config must supply a value.
  bool required() const { return !default_value.has_value(); }
};

/// @name Declaring parameters
/// Shorthands for ParamSpec, used in a plugin's registration.
///@{

/// A `bool` parameter with a default.
ParamSpec bool_param(std::string name, bool default_value, std::string doc);
/// An `int` parameter with a default.
ParamSpec int_param(std::string name, std::int64_t default_value, std::string doc);
/// A `float` parameter with a default (the config may give an int).
ParamSpec float_param(std::string name, double default_value, std::string doc);
/// A `string` parameter with a default.
ParamSpec string_param(std::string name, std::string default_value, std::string doc);
/// A `list[int]` parameter with a default.
ParamSpec int_list_param(std::string name, std::vector<std::int64_t> default_value, std::string doc);
/// A `list[float]` parameter with a default (the config may give ints).
ParamSpec float_list_param(std::string name, std::vector<double> default_value, std::string doc);
/// A `list[string]` parameter with a default.
ParamSpec string_list_param(std::string name, std::vector<std::string> default_value, std::string doc);
/// A parameter without default: the composed config must set it.
ParamSpec required_param(std::string name, ParamType type, std::string doc);
///@}

/// The validated parameter values a component is constructed with: one per declared
/// parameter, defaults filled in.
class Params {
 public:
  Params() = default;
  /// Wraps already validated values; `owner` names the component in error messages.
  Params(std::string owner, std::map<std::string, ParamValue> values);

  /// Builds the values from declarations alone (defaults), overridden by `overrides`.
  /// Throws ConfigError for an unknown key, a type mismatch or a missing required value.
  static Params from_specs(const std::string& owner, const std::vector<ParamSpec>& specs,
                           const std::map<std::string, ParamValue>& overrides = {});

  /// True when the parameter has a value.
  bool has(const std::string& name) const { return values_.count(name) != 0; }

  /// The value of `name` as T (bool, std::int64_t, double, std::string or a vector of
  /// those); throws ConfigError naming the owner and key when absent or of another type.
  template <class T>
  const T& get(const std::string& name) const {
    const ParamValue& value = at(name);
    if (const T* typed = std::get_if<T>(&value)) return *typed;
    throw_type_error(name, value);
  }

  /// The int parameter `name`, checked to lie in `[minimum, maximum]`; throws ConfigError
  /// naming the owner, the key, the value and the range otherwise.
  std::int64_t get_int_in(const std::string& name, std::int64_t minimum, std::int64_t maximum) const;

  /// All values, by name.
  const std::map<std::string, ParamValue>& values() const { return values_; }
  /// Component these values belong to, e.g. "drafter 'ngram'".
  const std::string& owner() const { return owner_; }

 private:
  const ParamValue& at(const std::string& name) const;
  [[noreturn]] void throw_type_error(const std::string& name, const ParamValue& value) const;

  std::string owner_;
  std::map<std::string, ParamValue> values_;
};

}  // namespace specrouter
