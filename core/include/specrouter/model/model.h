#pragma once

/// @file
/// @brief The model interface drafters and verifiers call.

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "specrouter/kernels/block_copy.h"
#include "specrouter/model/forward.h"
#include "specrouter/state/state_manager.h"

namespace specrouter {

/// A causal language model that runs one forward pass over a ragged batch of
/// sequences, reading and extending their K/V in its pool of a StateManager.
///
/// The model holds no per-sequence state: every sequence lives in the StateManager, which
/// also owns the model's KV cache (registered once with add_kv_cache()). So one model
/// object serves any number of sequences and requests, and rollbacks, forks and commits
/// are the state manager's operations, synchronized across every model of a chain.
class Model {
 public:
  virtual ~Model() = default;

  /// Entries of every logits row.
  virtual std::int64_t vocab_size() const = 0;
  /// The most positions one sequence may hold (prompt and generated tokens together).
  virtual std::int64_t max_context() const = 0;
  /// The shape and placement of this model's KV cache, under the name `name` in reports
  /// and messages, in blocks of `block_size` positions.
  virtual KvCacheSpec kv_cache_spec(const std::string& name, std::int64_t block_size = 16) const = 0;

  /// Runs the new tokens of every sequence in `batch` through the model.
  ///
  /// Each sequence must exist in `state` and appear once in the batch; its new tokens
  /// take positions `[L, L + n)` of the model's view, `L = state.kv_length(kv, sequence)`.
  /// Those at committed positions (catch-up tokens) must equal the committed tokens; the
  /// rest are speculative (StateManager::append()). Writes the new tokens' K/V into the
  /// pool of `kv`; if the pass fails after that, every sequence is rolled back to its
  /// length before the call. Throws, changing nothing: CapacityError when a sequence
  /// would exceed max_context(), OutOfKvMemory when the pool has too few free blocks,
  /// UsageError for malformed input (token id outside the vocabulary, bad parent or
  /// logits index, a pool whose shape is not this model's) and KvStateError (a
  /// UsageError) for what the state manager refuses.
  virtual ForwardOutput forward(std::span<const SequenceInput> batch, StateManager& state, KvModelId kv,
                                const ForwardOptions& options = {}) = 0;

  /// Registers this model's KV cache in `state` under `name`, reserving `budget`:
  /// `state.add_model(kv_cache_spec(name, block_size), budget, block_copy)`.
  KvModelId add_kv_cache(StateManager& state, const std::string& name, const KvBudget& budget,
                         std::int64_t block_size = 16, std::shared_ptr<BlockCopyKernel> block_copy = nullptr) const;
};

}  // namespace specrouter
