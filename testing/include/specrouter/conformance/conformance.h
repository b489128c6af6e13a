#pragma once

/// @file
/// @brief The conformance kit: every check a drafter, verifier, collaboration or
/// scheduler plugin's own test calls, in one include. Link `specrouter::conformance` (CMake) to use it.

#include "specrouter/conformance/collaboration_checks.h"  // IWYU pragma: export
#include "specrouter/conformance/component.h"       // IWYU pragma: export
#include "specrouter/conformance/drafter_checks.h"  // IWYU pragma: export
#include "specrouter/conformance/param_checks.h"    // IWYU pragma: export
#include "specrouter/conformance/plugin_registries.h"  // IWYU pragma: export
#include "specrouter/conformance/scheduler_checks.h"  // IWYU pragma: export
#include "specrouter/conformance/verifier_checks.h"   // IWYU pragma: export
