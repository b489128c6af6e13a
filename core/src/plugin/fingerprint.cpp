// The core's own build fingerprint; plugins must report the same one.
#include <string_view>

#include "specrouter/plugin/plugin_api.h"

#ifndef TORCH_VERSION
#error "the core is built with libtorch: torch/version.h must be on its include path"
#endif
// A plugin built without libtorch reports the version build_info.h recorded at configure
// time; it must be the one this core compiles against, or such plugins would be refused.
static_assert(std::string_view(TORCH_VERSION) == SPECROUTER_TORCH_VERSION,
              "build_info.h's SPECROUTER_TORCH_VERSION differs from torch/version.h's TORCH_VERSION");

namespace specrouter {

const char* core_build_fingerprint() { return SPECROUTER_BUILD_FINGERPRINT; }

}  // namespace specrouter
