#include "transformer_ops.h"

#include <cmath>
#include <numbers>

#include <ATen/TensorOperators.h>
#include <ATen/ops/addcmul.h>
#include <ATen/ops/arange.h>
#include <ATen/ops/cat.h>
#include <ATen/ops/pow.h>
#include <ATen/ops/roll.h>
#include <ATen/ops/rsqrt.h>
#include <ATen/ops/where.h>

namespace specrouter::detail {

at::Tensor rms_norm(const at::Tensor& x, const at::Tensor& weight, double eps) {
  // transformers normalises in float32 (here: float32 or float64) and rounds before
  // scaling by the weight. Plain ops rather than at::rms_norm, which libtorch < 2.4 lacks.
  const c10::ScalarType dtype = x.scalar_type();
  const bool wide_enough = dtype == at::kFloat || dtype == at::kDouble;
  at::Tensor wide = wide_enough ? x : x.to(at::kFloat);
  at::Tensor inverse_rms = at::rsqrt(wide.pow(2).mean(-1, /*keepdim=*/true).add_(eps));
  at::Tensor normed = wide * inverse_rms;
  return weight * (wide_enough ? normed : normed.to(dtype));
}

at::Tensor rotary_inverse_frequencies(const ModelConfig& config) {
  // Same float32 operations in the same order as transformers, so the tables match bit
  // for bit (`scalar / tensor` in Python is `tensor.reciprocal() * scalar`).
  const auto dim = static_cast<double>(config.head_dim);
  at::Tensor exponents = at::arange(0, config.head_dim, 2, at::TensorOptions().dtype(at::kLong)).to(at::kFloat) / dim;
  at::Tensor inv_freq = at::pow(config.rope_theta, exponents).reciprocal() * 1.0;
  if (!config.rope_scaling) return inv_freq;

  const Llama3RopeScaling& s = *config.rope_scaling;
  const auto old_context = static_cast<double>(s.original_max_position_embeddings);
  const double low_freq_wavelen = old_context / s.low_freq_factor;
  const double high_freq_wavelen = old_context / s.high_freq_factor;
  at::Tensor wavelen = inv_freq.reciprocal() * (2 * std::numbers::pi);
  at::Tensor scaled = at::where(wavelen > low_freq_wavelen, inv_freq / s.factor, inv_freq);
  at::Tensor smooth = (wavelen.reciprocal() * old_context - s.low_freq_factor) /
                      (s.high_freq_factor - s.low_freq_factor);
  at::Tensor smoothed = (1 - smooth) * scaled / s.factor + smooth * scaled;
  at::Tensor medium = (wavelen < high_freq_wavelen).logical_not() * (wavelen > low_freq_wavelen).logical_not();
  return at::where(medium, smoothed, scaled);
}

RotaryTables rotary_tables(const at::Tensor& inv_freq, const at::Tensor& positions, c10::ScalarType dtype) {
  at::Tensor angles = positions.to(at::kFloat).unsqueeze(1) * inv_freq.unsqueeze(0);  // [tokens, head_dim / 2]
  at::Tensor cos_half = angles.cos();
  at::Tensor sin_half = angles.sin();
  at::Tensor cos = at::cat({cos_half, cos_half}, -1);
  at::Tensor sin_signed = at::cat({-sin_half, sin_half}, -1);
  return {cos.to(dtype).unsqueeze(1), sin_signed.to(dtype).unsqueeze(1)};
}

at::Tensor apply_rotary(const at::Tensor& x, const RotaryTables& tables) {
  return at::addcmul(x * tables.cos, at::roll(x, {x.size(-1) / 2}, {-1}), tables.sin_signed);
}

}  // namespace specrouter::detail
