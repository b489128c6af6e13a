#pragma once

/// @file
/// @brief Drafter: proposes tokens to the first model of a chain, below every level.

#include <cstdint>
#include <random>
#include <span>
#include <vector>

#include "specrouter/types.h"

namespace specrouter {

class ModelPool;        // specrouter/decoding/model_pool.h
class StateManager;     // specrouter/state/state_manager.h
struct SamplingParams;  // specrouter/sampling/sampling.h

/// What a drafter is asked for one sequence.
struct DraftRequest {
  /// The tokens to continue: the sequence's committed tokens (prompt included), followed
  /// by the tokens the chain's first model has produced so far in this step.
  std::span<const TokenId> context;
  /// Propose at most this many tokens along any root-to-leaf path (> 0): the length of a
  /// chain draft, the depth of a tree.
  int max_tokens = 0;
  /// The sequence in DraftContext::state, for drafters that run a model on it.
  SequenceId sequence = 0;
  /// The sequence's random numbers, for drafters that sample; null when the caller has
  /// none (then the drafter must be deterministic).
  std::mt19937_64* rng = nullptr;
};

/// What the step executor gives every drafter besides the requests: the run's state, for
/// drafters that run a pool model (specrouter/decoding/model_pool.h). Model-free
/// drafters ignore it; outside a run its pointers may be null.
///
/// **K/V contract.** When propose() is called, every pool model's view of each requested
/// sequence is a prefix of the request's `context`, possibly lagging
/// (tokens_to_feed(), specrouter/decoding/feed.h, gives what to run). A drafter may
/// append the K/V of the context and of its draft to the views of the models it runs,
/// and need not clean up: after verification the executor cuts every model of the
/// StateManager back to what was accepted. It must not commit, fork or release.
struct DraftContext {
  StateManager* state = nullptr;            ///< every sequence's tokens and every model's KV
  const ModelPool* pool = nullptr;          ///< the pool's models and their KV caches in `state`
  const SamplingParams* sampling = nullptr;  ///< how the run turns logits into distributions
};

/// Tokens proposed for one sequence, each with the distribution it was drawn from.
///
/// Verifiers need the real proposal distribution q to stay lossless. A deterministic
/// drafter (n-gram lookup, greedy) leaves `probs` empty: each token then counts as drawn
/// from the one-hot distribution on itself, which is exactly what happened. Whether a
/// token is proposed at all must be decided before it is drawn (stopping early on the
/// drafter's confidence in the *next* distribution is fine; dropping a drawn token for
/// being unlikely is not).
///
/// A drafter may propose a *tree* (several candidates per position) by filling `parents`;
/// the verifier above it then must verify trees (plugin `tree`), and the rows of `probs`
/// follow VerifyRequest::draft_probs (siblings' rows given their earlier siblings).
struct Draft {
  std::vector<TokenId> tokens;  ///< proposed continuation (chain) or nodes (tree), possibly fewer than asked
  std::vector<float> probs;     ///< `[tokens.size(), vocab_size]` or empty (one-hot)
  /// Empty for a chain; for a tree, each node's parent: an earlier node's index, or -1
  /// for a root (a child of the context).
  std::vector<std::int32_t> parents;
};

/// Proposes draft tokens for a batch of sequences.
class Drafter {
 public:
  virtual ~Drafter() = default;

  /// One Draft per request, in order. An empty draft means "nothing to propose"; the
  /// step then degrades to plain decoding for that sequence.
  virtual std::vector<Draft> propose(std::span<const DraftRequest> requests, const DraftContext& context) = 0;
};

}  // namespace specrouter
