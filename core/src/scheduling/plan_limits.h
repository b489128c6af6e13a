#pragma once

// Private to core/src/scheduling: the chain length a search really allows.

#include "specrouter/scheduling/plan_search.h"

namespace specrouter::detail {

// The most models a chain may have under `limits` for this pool (max_chain_length, or the
// pool size when it is 0 or larger). Throws UsageError for a pool size < 1, a
// max_draft_length < 1 or a negative max_chain_length.
int max_models_in_chain(int pool_size, PlanSearchLimits limits);

}  // namespace specrouter::detail
