#pragma once

/// @file
/// @brief Drafter: the bottom level of a chain, proposing tokens for the level above.

#include <span>
#include <vector>

#include "specrouter/types.h"

namespace specrouter {

/// What a drafter is asked for one sequence.
struct DraftRequest {
  std::span<const TokenId> context;  ///< committed prefix of the sequence (prompt included)
  int max_tokens = 0;                ///< propose at most this many tokens (> 0)
};

/// Tokens proposed for one sequence, each with the distribution it was drawn from.
///
/// Verifiers need the real proposal distribution q to stay lossless. A deterministic
/// drafter (n-gram lookup, greedy) leaves `probs` empty: each token then counts as drawn
/// from the one-hot distribution on itself, which is exactly what happened.
struct Draft {
  std::vector<TokenId> tokens;  ///< proposed continuation, possibly shorter than asked
  std::vector<float> probs;     ///< `[tokens.size(), vocab_size]` or empty (one-hot)
};

/// Proposes draft tokens for a batch of sequences.
class Drafter {
 public:
  virtual ~Drafter() = default;

  /// One Draft per request, in order. An empty draft means "nothing to propose"; the
  /// step then degrades to plain decoding for that sequence.
  virtual std::vector<Draft> propose(std::span<const DraftRequest> requests) = 0;
};

}  // namespace specrouter
