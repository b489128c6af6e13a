#pragma once

/// @file
/// @brief Collaboration: how the levels of a chain work together to produce one step's
/// committed tokens (the executor supplies the building blocks, a plugin the scheme).
///
/// A **collaboration scheme** decides how a draft moves up a sequence's chain of pool
/// models in a step: which level drafts, which level verifies, and in what order. The
/// reference, `collaborative_verification`, is the paper's multi-level verification: every
/// level above the bottom verifies and corrects the draft of the level below before
/// passing it up. `vertical_cascade` lets the lower levels only draft: each extends the
/// draft of the one below and only the target verifies. docs/design/collaboration.md
/// explains the interface and both schemes, and why each is lossless.
///
/// The StepExecutor keeps what every scheme needs: the step's start (speculative K/V
/// dropped) and end (the target's tokens committed), K/V consistency after every round,
/// the ModelCall records, and the per-level statistics. A scheme only calls the
/// StepOperations below.

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "specrouter/scheduler.h"
#include "specrouter/types.h"

namespace specrouter {

class ModelPool;        // specrouter/decoding/model_pool.h
struct SamplingParams;  // specrouter/sampling/sampling.h

/// A request to one level of one sequence's chain: produce `wanted` tokens continuing
/// `context`. Each verification round at the level appends what it produced to
/// `context` (so the produced tokens are `context[start:]`) and, when kept, their rows of
/// the level's distribution to `rows`.
struct LevelTask {
  std::size_t item = 0;          ///< the sequence's index in the step's batch
  int level = 0;                 ///< index into the sequence's plan.chain
  std::vector<TokenId> context;  ///< committed tokens, then the speculative ones
  std::size_t start = 0;         ///< context size when the task was made
  int wanted = 0;                ///< tokens to produce (the scheme's bookkeeping)
  /// The level's distribution at each produced token, `[produced, vocab]`, kept below the
  /// target only: when sampling, the one it samples and verifies with; when greedy, its
  /// temperature-1 softmax if similarity is measured (verification then treats the tokens
  /// as one-hot); else empty.
  std::vector<float> rows;

  /// Tokens produced so far.
  int produced() const { return static_cast<int>(context.size() - start); }
};

/// What is proposed to a level for one verification round: a chain of tokens, or a tree
/// when `parents` is not empty (only the bottom drafter proposes trees), with the rows of
/// the distributions they were drawn from.
struct Proposal {
  std::vector<TokenId> tokens;  ///< the draft (chain), or its nodes (tree)
  /// `[tokens, vocab]`, row j the distribution token j was drawn from (as
  /// VerifyRequest::draft_probs); empty: every token was chosen deterministically.
  std::vector<float> rows;
  std::vector<std::int32_t> parents;  ///< empty for a chain; a tree's parent per node (-1: a root)
};

/// The building blocks of one step, given by the StepExecutor to its Collaboration.
///
/// The batch is validated before the step starts. Every call keeps the K/V contract: at
/// each call every model's view of each task's sequence must be a prefix of the task's
/// context (true for contexts that extend the committed tokens with what earlier rounds
/// produced), and every model's view is a prefix of the context again afterwards.
class StepOperations {
 public:
  virtual ~StepOperations() = default;

  /// Sequences in the step; a task's `item` indexes them, in the order of the batch.
  virtual std::size_t batch_size() const = 0;
  /// The plan of batch item `item` (check_plan() holds).
  virtual const Plan& plan(std::size_t item) const = 0;
  /// The pool the plans index.
  virtual const ModelPool& pool() const = 0;
  /// How every level turns logits into distributions (greedy when temperature is 0).
  virtual const SamplingParams& sampling() const = 0;

  /// Tokens the bottom drafter proposes per round for batch item `item`: the plan's
  /// drafter_length, or the executor's; 0 when there is no drafter or the plan leaves it
  /// out.
  virtual int drafter_length(std::size_t item) const = 0;
  /// Speculative tokens every model of item `item`'s chain has room for after the
  /// committed ones (>= 0): a step's target round may verify at most this many.
  virtual std::int64_t room(std::size_t item) const = 0;

  /// Asks the bottom drafter for `counts[t]` tokens (at most; a drafter may propose
  /// fewer) after `tasks[t]->context`, for every task in one batched call, and checks
  /// what it returns (length, tree shape, row shape). Records a ModelCall. Requires a
  /// drafter (drafter_length() > 0) and counts > 0.
  virtual std::vector<Proposal> draft(std::span<LevelTask* const> tasks, std::span<const int> counts) = 0;

  /// One verification round of pool model `model` for `tasks` (each at that model:
  /// `plan(item).chain[level] == model`): one forward pass over every task's
  /// catch-up tokens and proposal, the level's distributions, the executor's Verifier on
  /// each proposal, and the statistics of the task's level. Each task's context grows by
  /// the accepted tokens and one recovered or bonus token (an empty proposal: one token
  /// sampled from the level's distribution, i.e. plain decoding), `rows` by their rows,
  /// and every model's K/V is cut back to the accepted prefix. Records a ModelCall.
  virtual void verify(int model, std::span<LevelTask* const> tasks, std::span<const Proposal> proposals) = 0;
};

/// A collaboration scheme: produces each sequence's committed tokens of a step from the
/// executor's StepOperations. Plugins register one with
/// `registrar.add<specrouter::Collaboration>(...)`.
///
/// **Contract.** The committed tokens of a sequence are exactly what verification rounds
/// at the target produced for its task (the executor records them and refuses a step
/// whose target task says otherwise): a scheme chooses what the target verifies, never
/// what it commits. The
/// scheme is lossless when every proposal's rows are the distributions its tokens were
/// really drawn from and every proposal's length was fixed before its tokens were drawn
/// (docs/design/collaboration.md). One object serves one executor at a time.
class Collaboration {
 public:
  virtual ~Collaboration() = default;

  /// Runs one step. `targets` holds one task per batch item, in batch order, at the
  /// target (level `chain.size() - 1`), with the committed tokens as context and
  /// `wanted` 0; the scheme must run at least one verification round at the target for
  /// each of them.
  virtual void run_step(StepOperations& step, std::span<LevelTask* const> targets) = 0;
};

/// The reference scheme, multi-level collaborative verification: each level produces the
/// tokens asked of it by rounds of speculative decoding with the level below as its
/// drafter (the bottom drafter below the chain's first model), and the target runs one
/// round. What every StepExecutor runs unless told otherwise; registered as
/// `collaborative_verification` by plugins/collaborations/collaborative_verification/.
std::unique_ptr<Collaboration> make_collaborative_verification();

}  // namespace specrouter
