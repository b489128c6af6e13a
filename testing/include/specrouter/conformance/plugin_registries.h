#pragma once

/// @file
/// @brief Registries of statically linked plugins, as a plugin's own test builds them.

#include <initializer_list>

#include "specrouter/plugin/registries.h"

namespace specrouter::conformance {

/// A plugin's registration function, `specrouter_register_<target>()`, which
/// SPECROUTER_PLUGIN defines in the plugin's static library (`<target>_static`).
using RegisterFunction = void (*)(PluginRegistrar&);

/// Registries holding every component of `plugins`, registered as the loader registers a
/// loaded library's (a name taken twice is refused the same way).
///
/// @code
/// void specrouter_register_ngram_drafter(specrouter::PluginRegistrar&);
/// void specrouter_register_token_verifier(specrouter::PluginRegistrar&);
/// const specrouter::Registries& registries() {
///   static const specrouter::Registries registries = specrouter::conformance::registries_of(
///       {&specrouter_register_ngram_drafter, &specrouter_register_token_verifier});
///   return registries;
/// }
/// @endcode
Registries registries_of(std::initializer_list<RegisterFunction> plugins);

}  // namespace specrouter::conformance
