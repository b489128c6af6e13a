// The core's own build fingerprint; plugins must report the same one.
#include "specrouter/plugin/plugin_api.h"

namespace specrouter {

const char* core_build_fingerprint() { return SPECROUTER_BUILD_FINGERPRINT; }

}  // namespace specrouter
