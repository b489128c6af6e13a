#include "specrouter/sampling/sampling.h"

#include <string>

#include <ATen/TensorOperators.h>
#include <ATen/ops/argmax.h>
#include <ATen/ops/isfinite.h>
#include <ATen/ops/logical_not.h>
#include <ATen/ops/softmax.h>
#include <ATen/ops/sort.h>
#include <ATen/ops/topk.h>
#include <ATen/ops/zeros_like.h>

#include "specrouter/error.h"

namespace specrouter {
namespace {

at::Tensor renormalise(const at::Tensor& probs) { return probs / probs.sum(-1, /*keepdim=*/true); }

}  // namespace

at::Tensor softmax_with_temperature(const at::Tensor& logits, double temperature) {
  if (!(temperature > 0.0)) {
    throw UsageError("softmax_with_temperature: temperature " + std::to_string(temperature) + " must be positive");
  }
  at::Tensor wide = logits.to(at::kFloat);
  if (temperature != 1.0) wide = wide / temperature;
  return at::softmax(wide, -1);
}

at::Tensor top_k_filter(const at::Tensor& probs, std::int64_t k) {
  if (k <= 0 || k >= probs.size(-1)) return probs;
  at::Tensor kth = std::get<0>(at::topk(probs, k, -1)).narrow(-1, k - 1, 1);  // [..., 1]
  return renormalise(probs * (probs >= kth));
}

at::Tensor top_p_filter(const at::Tensor& probs, double p) {
  if (p >= 1.0) return probs;
  auto [sorted, order] = at::sort(probs, -1, /*descending=*/true);
  // Mass strictly before each entry; an entry is kept while that mass is below p.
  at::Tensor before = sorted.cumsum(-1) - sorted;
  at::Tensor keep_sorted = before < p;
  keep_sorted.select(-1, 0).fill_(true);
  at::Tensor keep = at::zeros_like(keep_sorted).scatter_(-1, order, keep_sorted);
  return renormalise(probs * keep);
}

void check_finite_logits(const at::Tensor& logits, const std::string& model) {
  if (at::isfinite(logits).all().item<bool>()) return;
  const at::Tensor bad_rows = at::logical_not(at::isfinite(logits)).any(1).nonzero();
  throw NumericalError(model + " produced NaN or infinite logits in " + std::to_string(bad_rows.size(0)) + " of " +
                       std::to_string(logits.size(0)) + " rows (first bad row " +
                       std::to_string(bad_rows[0][0].item<std::int64_t>()) +
                       "); its weights or its inputs have overflowed, so decoding stops");
}

at::Tensor sampling_distribution(const at::Tensor& logits, const SamplingParams& params) {
  if (params.greedy()) {
    at::Tensor probs = at::zeros_like(logits, at::TensorOptions().dtype(at::kFloat));
    return probs.scatter_(-1, at::argmax(logits, -1, /*keepdim=*/true), 1.0);
  }
  return top_p_filter(top_k_filter(softmax_with_temperature(logits, params.temperature), params.top_k),
                      params.top_p);
}

TokenId sample_from_distribution(std::span<const float> weights, double uniform) {
  double total = 0.0;
  for (float w : weights) total += w;
  if (weights.empty() || !(total > 0.0)) {
    throw UsageError("sample_from_distribution: the " + std::to_string(weights.size()) +
                     " weights do not have a positive sum");
  }
  const double target = uniform * total;
  double cumulative = 0.0;
  std::size_t last_positive = 0;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    if (weights[i] <= 0.0f) continue;
    cumulative += weights[i];
    last_positive = i;
    if (target < cumulative) return static_cast<TokenId>(i);
  }
  return static_cast<TokenId>(last_positive);  // rounding left target at the very top
}

TokenId argmax(std::span<const float> values) {
  if (values.empty()) throw UsageError("argmax: no values");
  std::size_t best = 0;
  for (std::size_t i = 1; i < values.size(); ++i) {
    if (values[i] > values[best]) best = i;
  }
  return static_cast<TokenId>(best);
}

double next_uniform(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

std::mt19937_64 make_sequence_rng(std::uint64_t seed, std::uint64_t stream) {
  std::seed_seq sequence{static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32),
                         static_cast<std::uint32_t>(stream), static_cast<std::uint32_t>(stream >> 32)};
  return std::mt19937_64(sequence);
}

}  // namespace specrouter
