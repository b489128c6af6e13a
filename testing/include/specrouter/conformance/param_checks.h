#pragma once

/// @file
/// @brief A conformance check for any component kind: bad parameters are refused at
/// construction, with a message a user can act on.

#include <string>

#include "specrouter/conformance/component.h"
#include "specrouter/plugin/registry.h"

namespace specrouter::conformance {

/// Creating `name` from `registry` with `bad_params` (overrides of its declared
/// parameters, checked against the declarations first) throws specrouter::ConfigError
/// whose message starts with the component (`drafter 'ngram'`, as Params::owner() gives
/// it) and contains `named_in_message` (the key, or the values at fault).
/// Instantiated for Drafter, Verifier and Scheduler.
template <class Interface>
void expect_refuses_params(const Registry<Interface>& registry, const std::string& name,
                           const ParamOverrides& bad_params, const std::string& named_in_message);

}  // namespace specrouter::conformance
