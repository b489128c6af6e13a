#pragma once

/// @file
/// @brief What one model's forward pass over a ragged batch needs from the state
/// manager: where to write the new tokens' K/V and how to find every sequence's cache.

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <optional>
#include <vector>

#include "specrouter/kernels/paged_attention.h"
#include "specrouter/types.h"

namespace specrouter {

class KvBlockPool;

/// Slots and block tables for one forward of one model over a ragged batch, returned by
/// StateManager::append(). Index tensors live on the pool's device.
///
/// The model, for each layer: computes K/V of the new tokens, writes them with
/// `pool.write(layer, slot_mapping, k, v)`, and runs a PagedAttention kernel with
/// attention_args(). Rows follow the order of the sequences passed to append().
struct KvForwardBatch {
  std::vector<SequenceId> sequences;  ///< the batch's sequences, in row order
  std::int64_t num_tokens = 0;        ///< new tokens over the whole batch
  std::int64_t max_context_len = 0;   ///< largest entry of context_lens
  at::Tensor slot_mapping;  ///< `[num_tokens]` int64: flat slot (block * block_size + offset) of each new token
  at::Tensor positions;     ///< `[num_tokens]` int64: position of each new token (for RoPE; depth-based in a tree)
  at::Tensor query_start;   ///< `[num_seqs + 1]` int64: cumulative new-token counts
  at::Tensor context_lens;  ///< `[num_seqs]` int64: K/V length of each sequence after the new tokens
  at::Tensor block_tables;  ///< `[num_seqs, max_blocks]` int32, rows padded with 0
  at::Tensor tree_parents;  ///< `[num_tokens]` int32 parents among each sequence's new tokens; undefined when all are chains
};

/// The paged attention inputs for layer `layer` of `batch`: `query`
/// `[num_tokens, num_heads, head_dim]` and the pool's caches of that layer.
PagedAttentionArgs attention_args(const KvForwardBatch& batch, const KvBlockPool& pool, std::int64_t layer,
                                  const at::Tensor& query, double scale,
                                  std::optional<std::int64_t> sliding_window = std::nullopt);

}  // namespace specrouter
