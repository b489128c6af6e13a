#pragma once
// Building blocks of the decoder that are not part of the public API: RMSNorm and
// rotary embeddings, written to match transformers' Llama-family code.

#include <cstdint>

#include <ATen/core/Tensor.h>

#include "specrouter/model/model_config.h"

namespace specrouter::detail {

/// HF RMSNorm: normalise in float32 (or float64), cast back, then scale by `weight`.
at::Tensor rms_norm(const at::Tensor& x, const at::Tensor& weight, double eps);

/// Rotary inverse frequencies [head_dim / 2] in float32 on the CPU, with llama3 scaling
/// when the config asks for it (transformers' _compute_llama3_parameters).
at::Tensor rotary_inverse_frequencies(const ModelConfig& config);

/// cos and signed sin of the rotary angles of some tokens, shaped [tokens, 1, head_dim]
/// to broadcast over heads. `sin_signed` is (-sin, sin) over the two halves, so that
/// rotate_half(x) * sin == roll(x, head_dim / 2) * sin_signed.
struct RotaryTables {
  at::Tensor cos;         // [tokens, 1, head_dim]
  at::Tensor sin_signed;  // [tokens, 1, head_dim]
};

/// Tables for `positions` [tokens] (int64, on the model's device), computed in float32
/// like transformers, then cast to `dtype`.
RotaryTables rotary_tables(const at::Tensor& inv_freq, const at::Tensor& positions, c10::ScalarType dtype);

/// x * cos + rotate_half(x) * sin for x [tokens, heads, head_dim].
at::Tensor apply_rotary(const at::Tensor& x, const RotaryTables& tables);

}  // namespace specrouter::detail
