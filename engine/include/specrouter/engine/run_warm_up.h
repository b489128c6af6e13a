#pragma once
// A run's warm-up (`scheduling.warm_up`): every pool model, and a routed bottom drafter,
// timed on a small grid of shapes before the run's clock starts, so that the schedulers'
// forward-cost fits hold measured costs from the first step (docs/design/robust_routing.md).

#include <cstdint>
#include <memory>
#include <vector>

#include "specrouter/engine/decoding_loop.h"
#include "specrouter/decoding/step_executor.h"
#include "specrouter/scheduling/forward_profiler.h"

namespace specrouter::engine {

/// Times every model of `executor`'s pool (profiler index `first_model_index` + pool
/// index) and, when `drafter_index` >= 0, the executor's bottom drafter as profiler model
/// `drafter_index` (proposals of 1, 2, 4 and 8 tokens on the first prompts). Shapes:
/// 1, 2, 4 and 8 new tokens, batch 1 and `max_batch_size`, contexts up to 64 that every
/// sequence of a full batch has room for. Returns the timed calls fed to `profiler`.
int warm_up(ForwardProfiler& profiler, StepExecutor& executor, const std::shared_ptr<Drafter>& drafter,
            const std::vector<ServedPrompt>& prompts, std::int64_t longest_output, int max_batch_size,
            int first_model_index, int drafter_index);

}  // namespace specrouter::engine
