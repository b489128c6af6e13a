#pragma once

/// @file
/// @brief A warm-up profile: real forward passes of a model at a small grid of shapes,
/// fed to a ForwardProfiler so that its costs are fitted before the first step.

#include <cstdint>
#include <vector>

#include "specrouter/decoding/model_pool.h"
#include "specrouter/scheduling/forward_profiler.h"
#include "specrouter/state/state_manager.h"

namespace specrouter {

class Model;  // specrouter/model/model.h

/// The shapes a warm-up measures: every combination of the three lists.
struct WarmUpGrid {
  std::vector<int> tokens_per_sequence = {1, 4, 8};  ///< new tokens per sequence (>= 1)
  std::vector<int> batch_sizes = {1, 2, 4};          ///< sequences per pass (>= 1)
  std::vector<int> context_lengths = {0, 64, 256};   ///< cached positions per sequence (>= 0)
  int repeats = 2;                                   ///< timed passes per shape (>= 1)
  std::uint64_t seed = 1;                            ///< of the random tokens
};

/// Measures model `model` (pool index `pool_index` of `profiler`, KV cache `kv` in
/// `state`) at every shape of `grid` whose positions fit its max_context(), and feeds the
/// times to `profiler`. Each (batch, context) makes `batch` sequences of random prompts,
/// prefills `context` positions (untimed), then times `repeats` passes of `tokens` new
/// tokens, rolling back after each; one untimed pass first warms caches and allocators.
/// Every sequence it made is released however it ends. Returns the passes fed. Throws
/// UsageError for an invalid grid; forward-pass errors (OutOfKvMemory when `state` has
/// too few blocks) propagate.
int warm_up_profile(ForwardProfiler& profiler, int pool_index, Model& model, StateManager& state, KvModelId kv,
                    const WarmUpGrid& grid = {});

/// warm_up_profile() for every model of `pool`, pool order; returns the passes fed.
int warm_up_profile(ForwardProfiler& profiler, const ModelPool& pool, StateManager& state, const WarmUpGrid& grid = {});

}  // namespace specrouter
