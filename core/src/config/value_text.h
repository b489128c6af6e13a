// Reading a value written on the command line or in a resolver argument. Private to the
// config module.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>

namespace specrouter::detail {

/// Parses `text` as YAML reads a value: `[..]` and `{..}` as flow collections, quoted
/// text as a string, anything else as a plain scalar typed by the core schema (the text
/// is taken whole, so `#`, `: ` or `@` in it are kept). An empty text is the empty
/// string. Throws ConfigError starting with `context` when a flow collection or quoted
/// string is not valid YAML.
YAML::Node parse_value_text(const std::string& text, const std::string& context);

}  // namespace specrouter::detail
