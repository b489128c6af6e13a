#pragma once
// Attention of one sequence's new tokens over its cached keys and values, with the
// causal, tree and sliding-window structure expressed as one boolean mask per pass.

#include <cstdint>
#include <optional>
#include <span>
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

/// Which cached keys the new tokens of one sequence may see, for one window size.
///
/// Keys before `first_key` are outside every token's window and are skipped. Then
/// either nothing is masked (`causal` false and `allowed` undefined), or the pass is a
/// plain causal prefill (`causal` true), or `allowed` says per token and key.
struct AttentionMask {
  std::int64_t first_key = 0;
  bool causal = false;
  at::Tensor allowed;      // [count, keys - first_key] bool, true = may attend
  at::Tensor blocked;      // [groups * count, keys - first_key] bool: !allowed repeated per group
};

/// Builds the mask of one sequence for layers with `window` (std::nullopt = full
/// attention); `groups` query heads share a key/value head.
AttentionMask build_attention_mask(const SequenceLayout& layout, std::optional<std::int64_t> window,
                                   std::int64_t groups, c10::Device device);

/// Attention of `query` [count, heads, head_dim] (already scaled by 1/sqrt(head_dim))
/// over `kv` ([kv_heads, keys, head_dim]); returns [count, heads, head_dim].
at::Tensor attend(const at::Tensor& query, const LayerKv& kv, const AttentionMask& mask);

}  // namespace specrouter::detail
