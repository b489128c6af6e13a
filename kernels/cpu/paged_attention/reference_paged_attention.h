#pragma once

// paged_attention/reference: gathers each sequence's K/V through its block table into
// contiguous tensors, then computes softmax(q k^T * scale + mask) v with tensor ops. Plain
// and slow on purpose: the implementation every other one is tested against.

#include "specrouter/kernels/paged_attention.h"

namespace specrouter {

/// The reference paged attention (gather, then dense masked softmax; float32 math for
/// 16-bit inputs, float64 for float64 inputs).
class ReferencePagedAttention final : public PagedAttention {
 public:
  at::Tensor forward(const PagedAttentionArgs& args) const override;
};

}  // namespace specrouter
