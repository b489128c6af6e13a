#pragma once

/// @file
/// @brief Verifier: decides which draft tokens a model keeps, and the token after them.
///
/// Terms (used everywhere):
/// - **accepted**: a draft token the verifier keeps;
/// - **recovered**: the token sampled from the residual distribution at the first rejection;
/// - **bonus**: the extra token sampled from the verifier's own distribution after a fully
///   accepted draft.
/// Every verification yields exactly one recovered or bonus token, so a step commits
/// between 1 and k+1 tokens.

#include <cstdint>
#include <random>
#include <span>
#include <vector>

#include "specrouter/types.h"

namespace specrouter {

/// One sequence's draft and the verifying model's distributions over it.
struct VerifyRequest {
  std::span<const TokenId> draft_tokens;  ///< k proposed tokens
  /// For tree drafts: parent index of each draft token among `draft_tokens`, -1 for a
  /// child of the committed prefix. Empty for a linear draft (a chain).
  std::span<const std::int32_t> parents;
  /// q: `[k, V]` distributions the draft tokens were drawn from; empty means one-hot.
  ProbabilityRows draft_probs;
  /// p: `[k+1, V]` verifying model's distributions: row i follows the prefix extended by
  /// the draft tokens before i (for trees: row i follows node i-1's path; row 0 the prefix).
  ProbabilityRows target_probs;
  /// True: accept while the draft equals the verifier's argmax; no randomness used.
  bool greedy = true;
};

/// The outcome of verifying one sequence.
struct Verdict {
  /// Indices into `draft_tokens` of the accepted tokens, root to leaf.
  std::vector<std::int32_t> accepted_path;
  TokenId next_token = 0;  ///< the recovered token, or the bonus token
  bool bonus = false;      ///< true when every draft token on the path was accepted
};

/// Accepts a prefix (or tree path) of a draft against a model's distributions.
class Verifier {
 public:
  virtual ~Verifier() = default;

  /// Verifies one sequence; `rng` supplies all randomness (unused when greedy).
  virtual Verdict verify(const VerifyRequest& request, std::mt19937_64& rng) = 0;
};

}  // namespace specrouter
