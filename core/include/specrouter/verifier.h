#pragma once

/// @file
/// @brief Verifier: decides which draft tokens a model keeps, and the token after them.
///
/// Terms (used everywhere):
/// - **accepted**: a draft token the verifier keeps;
/// - **recovered**: the token sampled from the residual distribution at the first rejection
///   (in a tree: once every child of the accepted path's last node is rejected);
/// - **bonus**: the extra token sampled from the verifier's own distribution after a fully
///   accepted draft (in a tree: after an accepted leaf).
/// Every verification yields exactly one recovered or bonus token, so a step commits
/// between 1 and d+1 tokens, for a draft tree of depth d (a chain of k tokens: k+1).

#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "specrouter/types.h"

namespace specrouter {

/// One sequence's draft and the verifying model's distributions over it.
///
/// The draft is a tree of k nodes; node j proposes `draft_tokens[j]`, and its *path* is the
/// committed prefix followed by the tokens from a root down to node j, j included. A chain
/// (linear draft) is the tree whose node i is the only child of node i-1. The rows are
/// indexed by node, which for a chain is by position:
/// - `target_probs` row 0: the verifying model's distribution after the committed prefix
///   (what the roots are checked against); row j+1: after node j's path (what node j's
///   children, or the bonus token after node j, are checked against). For a chain, row i
///   follows the prefix extended by the draft tokens before i.
/// - `draft_probs` row j: the distribution node j's token was drawn from, that is the
///   drafter's distribution after node j's parent's path, given the tokens of node j's
///   earlier siblings where the drafter made it depend on them (sampling without
///   replacement). Siblings drawn i.i.d. share the same row; empty means every token was
///   chosen deterministically (one-hot rows).
///
/// Sampled verification is lossless when every row of `draft_probs` is the true
/// distribution its token was drawn from, given the parent's path and the earlier
/// siblings, and whether a node exists was decided before its token was drawn. Verifiers
/// examine siblings in index order.
struct VerifyRequest {
  std::span<const TokenId> draft_tokens;  ///< k proposed tokens, one per node
  /// Parent node of each draft token (an index into `draft_tokens` smaller than its own),
  /// -1 for a root (a child of the committed prefix). Empty for a linear draft (a chain).
  std::span<const std::int32_t> parents;
  /// q: `[k, V]`, row j the distribution node j was drawn from; empty means one-hot.
  ProbabilityRows draft_probs;
  /// p: `[k+1, V]` verifying model's distributions: row 0 after the committed prefix,
  /// row j+1 after node j's path.
  ProbabilityRows target_probs;
  /// True: accept while the draft equals the verifier's argmax; no randomness used.
  bool greedy = true;
};

/// The outcome of verifying one sequence.
struct Verdict {
  /// Indices into `draft_tokens` of the accepted tokens, root to leaf.
  std::vector<std::int32_t> accepted_path;
  TokenId next_token = 0;  ///< the recovered token, or the bonus token
  /// True when `next_token` is a bonus: the accepted path ends at a node without children
  /// (for a chain: every draft token was accepted; also for an empty draft).
  bool bonus = false;
};

/// Accepts a prefix (or tree path) of a draft against a model's distributions.
class Verifier {
 public:
  virtual ~Verifier() = default;

  /// Verifies one sequence; `rng` supplies all randomness (unused when greedy).
  virtual Verdict verify(const VerifyRequest& request, std::mt19937_64& rng) = 0;
};

/// Checks what every verifier needs of a request before reading it: `parents` empty or
/// one per draft token, `target_probs` `[k + 1, vocab]` with vocab >= 1, `draft_probs`
/// empty or `[k, vocab]` (when sampling), every draft token inside the vocabulary.
/// Throws UsageError whose message starts with `owner` (e.g. "verifier 'token'"). What
/// `parents` may contain (a chain, a tree) is the verifier's own check.
void check_verify_request(const VerifyRequest& request, const std::string& owner);

}  // namespace specrouter
