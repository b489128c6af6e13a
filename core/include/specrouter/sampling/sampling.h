#pragma once

/// @file
/// @brief The sampling math shared by plain generation, drafters and verifiers: the
/// distribution a token is drawn from, and drawing from it with a given uniform number.
///
/// Verifiers apply exactly these functions to draft and target logits, so that the
/// distributions they compare are the ones the tokens were really drawn from.

#include <cstdint>
#include <random>
#include <span>
#include <string>

#include <ATen/core/Tensor.h>

#include "specrouter/types.h"

namespace specrouter {

/// How logits become the distribution a token is drawn from.
struct SamplingParams {
  double temperature = 1.0;  ///< divides the logits; <= 0 means greedy (argmax)
  std::int64_t top_k = 0;    ///< keep the k most probable tokens; 0 keeps all
  double top_p = 1.0;        ///< keep the smallest most-probable set of mass >= top_p; >= 1 keeps all

  /// True when decoding takes the argmax instead of sampling.
  bool greedy() const { return temperature <= 0.0; }
};

/// softmax(logits / temperature) along the last dimension, computed and returned in
/// float32 (`temperature` > 0). Works on any shape `[..., vocab]` and device.
at::Tensor softmax_with_temperature(const at::Tensor& logits, double temperature);

/// Zeroes every entry below the k-th largest of its row and renormalises; entries equal
/// to the k-th largest are all kept (as transformers' TopKLogitsWarper does). k <= 0 or
/// k >= vocab returns `probs` unchanged.
at::Tensor top_k_filter(const at::Tensor& probs, std::int64_t k);

/// Keeps, per row, the most probable entries up to and including the first whose
/// cumulative mass reaches `p` (at least one), zeroes the rest and renormalises
/// (transformers' TopPLogitsWarper). p >= 1 returns `probs` unchanged.
at::Tensor top_p_filter(const at::Tensor& probs, double p);

/// Throws NumericalError naming `model` when `logits` ([rows, vocab]) hold a NaN or an
/// infinity: no distribution follows from them, and greedy decoding would silently pick
/// token 0 forever. One pass over the rows, small beside the forward pass that made them.
void check_finite_logits(const at::Tensor& logits, const std::string& model);

/// The distribution tokens are drawn from: one-hot on the argmax when greedy, else
/// temperature softmax, then top-k, then top-p (transformers' order). float32, same
/// shape as `logits` ([rows, vocab]).
at::Tensor sampling_distribution(const at::Tensor& logits, const SamplingParams& params);

/// Draws from `weights` (non-negative, need not sum to 1) by inverting the cumulative
/// sum at `uniform * total`, `uniform` in [0, 1). Accumulates in double; never returns an
/// index of weight 0. Throws UsageError when the weights are empty or sum to 0.
TokenId sample_from_distribution(std::span<const float> weights, double uniform);

/// The index of the largest value (the first one on ties, like torch.argmax).
TokenId argmax(std::span<const float> values);

/// A uniform number in [0, 1) from 53 bits of `rng`: the same sequence on every platform.
double next_uniform(std::mt19937_64& rng);

/// The random number generator of sequence `stream` of a run seeded with `seed`. generate()
/// gives prompt i make_sequence_rng(seed, i), and so does speculative_generate(), so plan
/// `[target]` commits the tokens generate() samples with the same seed.
std::mt19937_64 make_sequence_rng(std::uint64_t seed, std::uint64_t stream);

}  // namespace specrouter
