// Registers the reference collaboration scheme, multi-level collaborative verification,
// under its name, so that configs and the command line can select it (and so it is listed
// by `specrouter plugins`). The scheme itself is make_collaborative_verification() in the
// core (core/src/decoding/collaborative_verification.cpp), written against the same
// public StepOperations as every plugin's scheme: it is what every StepExecutor runs when
// none is named, and the core cannot construct a plugin (the reference kernels are kept
// the same way). docs/design/collaboration.md.

#include <memory>

#include "specrouter/collaboration.h"
#include "specrouter/plugin/plugin_api.h"

SPECROUTER_PLUGIN(registrar) {
  registrar.add<specrouter::Collaboration>(
      {"collaborative_verification",
       "multi-level collaborative verification: every level verifies and corrects the draft of the one below "
       "(the reference)",
       {}},
      [](const specrouter::Params&) { return specrouter::make_collaborative_verification(); });
}
