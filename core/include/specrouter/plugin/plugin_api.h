#pragma once

/// @file
/// @brief The entry point every plugin library exports, and the macro that writes it.
///
/// A plugin source file ends with
/// @code
/// SPECROUTER_PLUGIN(registrar) {
///   registrar.add<specrouter::Drafter>({"ngram", "prompt-lookup drafter", {...}},
///       [](const specrouter::Params& p) { return std::make_unique<NgramDrafter>(p); });
/// }
/// @endcode
/// Built as a module (specrouter_add_plugin), this also defines the exported C function
/// `specrouter_plugin_entry`; built statically, it defines only
/// `specrouter_register_<plugin>(PluginRegistrar&)`, which tests call directly.

#include <cstddef>
#include <cstdint>

#include "specrouter/build_info.h"
#include "specrouter/plugin/registries.h"

#if __has_include(<torch/version.h>)
#include <torch/version.h>
#endif

/// Version of the plugin entry point's layout and of the interfaces behind it. Bumped
/// whenever a plugin built against an older core could misbehave. History: 2, the
/// drafter's DraftContext; 3, Scheduler::observe (a new virtual, which moves the vtable);
/// 4, Plan::drafter_length and PerformanceEstimates::acceptance_belief (a larger Plan, a
/// new virtual); 5, the collaboration kind (a new registry moves Registries' layout, which
/// a plugin's registration writes into); 6, one pool view and one step record (PoolMember
/// replaces PoolModel in SchedulingContext::pool; StepOutcome gains the loop's fields).
#define SPECROUTER_PLUGIN_API_VERSION 6u

/// @cond
#define SPECROUTER_STR_(x) #x
#define SPECROUTER_STR(x) SPECROUTER_STR_(x)
#if defined(__clang__)
#define SPECROUTER_COMPILER_ID "clang-" SPECROUTER_STR(__clang_major__) "." SPECROUTER_STR(__clang_minor__)
#elif defined(__GNUC__)
#define SPECROUTER_COMPILER_ID "gcc-" SPECROUTER_STR(__GNUC__) "." SPECROUTER_STR(__GNUC_MINOR__)
#else
#define SPECROUTER_COMPILER_ID "unknown"
#endif
#ifdef TORCH_VERSION
#define SPECROUTER_TORCH_ID TORCH_VERSION
#else
// A plugin built without libtorch passes no tensor across the boundary, so it fits the
// libtorch the core was built with (plugin_api.cpp checks that the two names agree).
#define SPECROUTER_TORCH_ID SPECROUTER_TORCH_VERSION
#endif
/// @endcond

#ifdef SPECROUTER_FINGERPRINT_OVERRIDE
#define SPECROUTER_BUILD_FINGERPRINT SPECROUTER_FINGERPRINT_OVERRIDE
#else
/// Build fingerprint of the translation unit that expands it: compiler, C++ ABI flag and
/// libtorch version (the core's, for a unit built without libtorch). Core and plugin must agree, or objects crossing the boundary
/// (std::string, at::Tensor) would be laid out differently.
#define SPECROUTER_BUILD_FINGERPRINT                                                     \
  "compiler=" SPECROUTER_COMPILER_ID ";cxx11abi=" SPECROUTER_STR(_GLIBCXX_USE_CXX11_ABI) \
  ";torch=" SPECROUTER_TORCH_ID
#endif

extern "C" {
/// What `specrouter_plugin_entry()` returns. `api_version` stays the first field in
/// every future layout, so the loader can always read it.
struct SpecRouterPluginEntry {
  std::uint32_t api_version;  ///< SPECROUTER_PLUGIN_API_VERSION the plugin was built with
  const char* fingerprint;    ///< SPECROUTER_BUILD_FINGERPRINT the plugin was built with
  const char* plugin_id;      ///< the plugin's CMake target name
  /// Registers the plugin's components into `registrar` (a specrouter::PluginRegistrar).
  /// Returns 0, or non-zero with a message in `error` (never throws across the boundary).
  int (*register_components)(void* registrar, char* error, std::size_t error_size);
};
/// Signature of the exported entry point.
typedef const SpecRouterPluginEntry* (*SpecRouterPluginEntryFn)(void);
}

namespace specrouter {
/// Fingerprint of the core library itself (compiled into libspecrouter).
const char* core_build_fingerprint();
/// Calls `register_fn` and turns any exception into an error code and message; used by
/// the generated C entry point so no exception crosses it.
int register_plugin_noexcept(void (*register_fn)(PluginRegistrar&), void* registrar, char* error,
                             std::size_t error_size) noexcept;
}  // namespace specrouter

/// @cond
#define SPECROUTER_CAT_(a, b) a##b
#define SPECROUTER_CAT(a, b) SPECROUTER_CAT_(a, b)
#define SPECROUTER_REGISTER_FN SPECROUTER_CAT(specrouter_register_, SPECROUTER_PLUGIN_ID)

#ifdef SPECROUTER_PLUGIN_MODULE
#define SPECROUTER_PLUGIN_ENTRY_()                                                                  \
  extern "C" __attribute__((visibility("default"))) const SpecRouterPluginEntry*                   \
  specrouter_plugin_entry(void) {                                                                   \
    static const SpecRouterPluginEntry entry{                                                       \
        SPECROUTER_PLUGIN_API_VERSION, SPECROUTER_BUILD_FINGERPRINT,                                \
        SPECROUTER_STR(SPECROUTER_PLUGIN_ID), [](void* r, char* e, std::size_t n) {                 \
          return ::specrouter::register_plugin_noexcept(&SPECROUTER_REGISTER_FN, r, e, n);          \
        }};                                                                                         \
    return &entry;                                                                                  \
  }
#else
#define SPECROUTER_PLUGIN_ENTRY_()
#endif
/// @endcond

/// Defines the plugin's registration function; the braces that follow are its body,
/// with `registrar` (a specrouter::PluginRegistrar&) in scope. Requires the compile
/// definition SPECROUTER_PLUGIN_ID (set by specrouter_add_plugin).
#define SPECROUTER_PLUGIN(registrar)                                   \
  void SPECROUTER_REGISTER_FN(::specrouter::PluginRegistrar& registrar); \
  SPECROUTER_PLUGIN_ENTRY_()                                           \
  void SPECROUTER_REGISTER_FN(::specrouter::PluginRegistrar& registrar)
