#pragma once
/// @file
/// @brief Components chosen by command-line flags (`--drafter ngram --drafter-param
/// max_ngram=4`), checked by the same path as a config file's component section
/// (validate_component()): the same types, the same messages, the same defaults.

#include <string>
#include <utility>
#include <vector>

#include "specrouter/plugin/params.h"
#include "specrouter/plugin/registry.h"

namespace specrouter::engine {

/// One component as flags give it.
struct ComponentFlags {
  std::string section;     ///< its config section: drafter, verifier, scheduler, ...
  std::string plugin;      ///< the plugin name (`--drafter ngram`)
  std::string name_flag;   ///< the flag that named it, e.g. --drafter
  std::string param_flag;  ///< the flag that sets a parameter, e.g. --drafter-param
  std::string param_prefix;  ///< written before KEY in that flag's value: "" or, for `--set dp.KEY=V`, "dp."
  std::vector<std::pair<std::string, std::string>> params;  ///< KEY=VALUE pairs as given, in order
};

/// The parameters of `flags`' component: the flags become the config section
/// `<section>: {plugin: NAME, KEY: VALUE, ...}` (a value read as a YAML scalar or flow
/// list, as a config override is; a string parameter verbatim, so a path or a pool name
/// is never retyped) with each value's origin its flag, and validate_component() checks
/// it against `info`. Throws ConfigError naming the flag, e.g. `--drafter-param
/// max_ngrams=2`: "drafter 'ngram' has no parameter 'max_ngrams'; did you mean
/// 'max_ngram'?".
Params validate_component_flags(const ComponentFlags& flags, const ComponentInfo& info);

}  // namespace specrouter::engine
