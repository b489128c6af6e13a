#pragma once

/// @file
/// @brief How the config system types YAML scalars, and how it writes YAML back.
///
/// yaml-cpp keeps every scalar as text. The config system gives plain (unquoted)
/// scalars the types of the YAML 1.2 core schema, so `8` is an int, `0.5` and `1e-3`
/// floats, `true` a bool, `null` and `~` null, and everything else (including `yes`,
/// `on` and any quoted scalar) a string. Writing uses the same rules in reverse, quoting
/// a string whenever it would otherwise read back as another type.

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <string>

namespace specrouter {

/// The type of a YAML value under the core schema.
enum class YamlType {
  kUndefined,  ///< no node (a key that does not exist)
  kNull,       ///< `null`, `~`, or an empty value
  kBool,       ///< `true` / `false` (any of true, True, TRUE, false, False, FALSE)
  kInt,        ///< decimal, `0x` hexadecimal or `0o` octal integer
  kFloat,      ///< decimal or exponent number, `.inf`, `-.inf`, `.nan`
  kString,     ///< any other scalar, and every quoted scalar
  kSequence,   ///< a YAML sequence
  kMapping,    ///< a YAML mapping
};

/// The type of `node` under the core schema.
YamlType yaml_type(const YAML::Node& node);

/// Name of a YamlType as written in messages: "int", "mapping", ...
const char* to_string(YamlType type);

/// Short description of a value for messages: `int 3`, `string 'abc'`, `a mapping`.
std::string describe_value(const YAML::Node& node);

/// The integer a kInt scalar holds; throws ConfigError when out of the int64 range.
std::int64_t yaml_to_int(const YAML::Node& node);

/// The number a kInt or kFloat scalar holds.
double yaml_to_float(const YAML::Node& node);

/// The bool a kBool scalar holds.
bool yaml_to_bool(const YAML::Node& node);

/// A scalar node that is a string whatever its text (written quoted when needed).
YAML::Node make_string_node(const std::string& text);

/// A node whose type is inferred from `text` like an unquoted YAML scalar (`3` is an
/// int, `abc` a string, `null` null).
YAML::Node make_plain_node(const std::string& text);

/// Writes `node` as a YAML document. Strings that would read back as another type are
/// quoted; sequences of scalars are written in flow style (`[1, 2]`).
std::string to_yaml_string(const YAML::Node& node);

/// Writes `node` on one line (flow style), for messages and override values.
std::string to_flow_yaml(const YAML::Node& node);

}  // namespace specrouter
