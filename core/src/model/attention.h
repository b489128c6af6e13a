#pragma once
// Attention of one sequence's new tokens over its cached keys and values, with the
// causal, tree and sliding-window structure expressed as boolean masks built once per
// forward pass and shared by every layer.

#include <cstdint>
#include <optional>
#include <vector>

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include "specrouter/model/kv_cache.h"

namespace specrouter::detail {

/// Where a sequence's new tokens sit: `count` tokens appended after `cached` positions,
/// token i at rotary position cached + depth[i], with parent[i] (-1 for a root).
struct SequenceLayout {
  std::int64_t cached = 0;
  std::int64_t count = 0;
  std::vector<std::int32_t> parent;  // size count; chains use i - 1
  std::vector<std::int32_t> depth;   // size count
  bool tree = false;
};

/// Queries per attention chunk: memory stays O(heads x chunk x keys) however long the
/// prompt, and each chunk only reads the keys its tokens can see.
inline constexpr std::int64_t kQueryChunk = 64;

/// The keys one chunk of queries reads, and which of them each query may not see.
struct ChunkMask {
  std::int64_t first_query = 0;  // index of the chunk's first new token
  std::int64_t rows = 0;         // tokens in the chunk
  std::int64_t first_key = 0;    // keys [first_key, key_end) are read
  std::int64_t key_end = 0;
  /// [rows, key_end - first_key] bool, true = may not attend. Undefined when nothing is
  /// masked (one token), or when `from_positions`: the mask of a chain longer than one
  /// chunk follows from positions alone and is computed per chunk, not stored whole.
  at::Tensor blocked;
  bool from_positions = false;
};

/// The masks of one sequence for one window size, chunk by chunk.
struct AttentionMask {
  std::vector<ChunkMask> chunks;
  std::int64_t cached = 0;             // position of new token 0 (chains)
  std::optional<std::int64_t> window;  // the layers' sliding window
};

/// Builds the mask of one sequence for layers with `window` (std::nullopt = full attention).
AttentionMask build_attention_mask(const SequenceLayout& layout, std::optional<std::int64_t> window,
                                   c10::Device device);

/// Attention of `query` [count, heads, head_dim] (already scaled by 1/sqrt(head_dim))
/// over `kv` ([kv_heads, keys, head_dim]); returns [count, heads, head_dim].
at::Tensor attend(const at::Tensor& query, const LayerKv& kv, const AttentionMask& mask);

}  // namespace specrouter::detail
