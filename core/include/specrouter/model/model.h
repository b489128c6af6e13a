#pragma once

/// @file
/// @brief The model interface drafters and verifiers call.

#include <cstdint>
#include <memory>
#include <span>

#include "specrouter/model/forward.h"
#include "specrouter/model/kv_cache.h"

namespace specrouter {

/// A causal language model that runs one forward pass over a ragged batch of
/// sequences, reading and extending their keys and values in a KvCache.
class Model {
 public:
  virtual ~Model() = default;

  /// Entries of every logits row.
  virtual std::int64_t vocab_size() const = 0;
  /// The most positions one sequence may hold (prompt and generated tokens together).
  virtual std::int64_t max_context() const = 0;
  /// The geometry a KvCache for this model must have.
  virtual KvCacheShape kv_cache_shape() const = 0;

  /// Runs the new tokens of every sequence in `batch` through the model.
  ///
  /// Each sequence must exist in `cache` and appear once in the batch. Appends the new
  /// tokens' keys and values to `cache`; if the pass fails, every sequence is truncated
  /// back to its length before the call. Throws CapacityError when a sequence would
  /// exceed max_context() (before changing anything) and UsageError for malformed input
  /// (token id outside the vocabulary, bad parent or logits index).
  virtual ForwardOutput forward(std::span<const SequenceInput> batch, KvCache& cache,
                                const ForwardOptions& options = {}) = 0;

  /// A new, empty ContiguousKvCache with this model's geometry.
  std::unique_ptr<KvCache> make_kv_cache(std::int64_t initial_capacity = 64) const;
};

}  // namespace specrouter
