#pragma once

// paged_attention/cpu: reads K/V in place through the block table (no gather copy) with
// a blockwise online softmax, one task per (sequence, key/value head, chunk of new
// tokens) under at::parallel_for.

#include "specrouter/kernels/paged_attention.h"

namespace specrouter {

/// The CPU paged attention: blockwise online softmax over the cache blocks, accumulating
/// in float32 (float64 for float64 inputs); runs on CPU tensors only.
class CpuPagedAttention final : public PagedAttention {
 public:
  at::Tensor forward(const PagedAttentionArgs& args) const override;
};

}  // namespace specrouter
