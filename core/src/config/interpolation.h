// Resolving `${...}` interpolations after composition. Private to the config module.
#pragma once

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <string>

#include "specrouter/config/provenance.h"

namespace specrouter::detail {

/// Replaces every interpolation in `root` by its value, in place:
/// - `${a.b}` (absolute), `${.b}` / `${..b}` (relative to the containing mapping),
///   `${a.list[0]}`;
/// - `${oc.env:VAR}` and `${oc.env:VAR,default}` (a string, or null for a `null`
///   default), `${oc.decode:text}` (typed like a command-line value) and
///   `${now:strftime format}` (local time `now`).
/// A value that is one interpolation takes the referenced node with its type; text
/// around interpolations makes a string. `\${` is a literal `${`. Throws ConfigError
/// naming the key path and its origin for a missing key, a cycle (with the chain), an
/// unset variable, an unknown resolver or malformed syntax.
void resolve_interpolations(YAML::Node root, const Provenance& provenance, std::chrono::system_clock::time_point now);

/// Resolves the interpolations of one string against `root` (already resolved), as if
/// it were the value of `key_path`; used for built-in defaults such as the output folder.
YAML::Node resolve_text(const std::string& text, const YAML::Node& root, const std::string& key_path,
                        std::chrono::system_clock::time_point now);

}  // namespace specrouter::detail
