#pragma once

/// @file
/// @brief How a conformance check names the component it tests: a registry entry and the
/// parameters it runs with, which may depend on the test models the kit builds.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "specrouter/plugin/params.h"

namespace specrouter::conformance {

/// Parameter values by name, as `Params::from_specs` takes them (integers as std::int64_t).
using ParamOverrides = std::map<std::string, ParamValue>;

/// The models a check runs a component with, for parameters that must refer to them.
///
/// The kit creates its models itself (small random-weight transformers, see
/// docs/design/conformance_kit.md), so a component's parameters cannot be written before
/// they exist: a drafter that runs a pool model needs its name, an n-gram language model
/// the vocabulary size and a training text.
struct TestModels {
  /// The pool, cheapest first, the target last ("small", "medium", "target" for drafters
  /// and verifiers; "m0", ..., "target" for schedulers, one pool per size).
  std::vector<std::string> pool_names;
  /// Tokens of every model are in [0, vocab_size); 0 for schedulers, which run no model.
  std::int64_t vocab_size = 0;
  /// A text file of what the target says: token ids separated by spaces, one greedy
  /// continuation per line, repeated. Empty for schedulers.
  std::filesystem::path target_text;

  /// The cheapest pool model's name (for a drafter that runs a model).
  const std::string& cheapest() const { return pool_names.front(); }
};

/// The parameters of a component for the models it is about to run with.
using ParamsFor = std::function<ParamOverrides(const TestModels& models)>;

/// A component as the harness takes it: a registry name and its parameters.
struct Component {
  std::string name;  ///< registry name ("ngram", "token", "dp", ...)
  /// Overrides of its declared parameters; empty: every parameter at its default.
  ParamsFor params = {};

  /// Overrides for `models` (none when `params` is empty).
  ParamOverrides params_for(const TestModels& models) const { return params ? params(models) : ParamOverrides{}; }
};

/// The component `name` at its declared defaults.
inline Component named(std::string name) { return Component{std::move(name), {}}; }

/// The component `name` with the same `overrides` whatever the models.
inline Component with_params(std::string name, ParamOverrides overrides) {
  return Component{std::move(name), [overrides = std::move(overrides)](const TestModels&) { return overrides; }};
}

}  // namespace specrouter::conformance
