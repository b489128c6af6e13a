#pragma once

/// @file
/// @brief The step executor: runs one speculative decoding step of a plan for a ragged
/// batch, level by level up a chain of pool models, and commits at the target.
///
/// The algorithm, why it is lossless and how it keeps every model's K/V consistent are in
/// docs/design/step_executor.md.

#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <span>
#include <vector>

#include "specrouter/decoding/model_pool.h"
#include "specrouter/drafter.h"
#include "specrouter/sampling/sampling.h"
#include "specrouter/scheduler.h"
#include "specrouter/state/state_manager.h"
#include "specrouter/verifier.h"

namespace specrouter {

class Collaboration;  // specrouter/collaboration.h

/// How a StepExecutor decodes.
struct StepExecutorOptions {
  /// How every level turns logits into the distribution it samples and verifies against;
  /// greedy by default. The target's distribution under these params is what the
  /// committed text follows.
  SamplingParams sampling{.temperature = 0.0};
  /// Tokens the bottom drafter (if any) proposes per round of the chain's first model
  /// (>= 1). Plans do not carry it: schedulers plan pool models only.
  int drafter_length = 4;
  /// Record LevelStats::tv_distance_sum. Costs, when greedy, one softmax over the rows of
  /// every level below the target; when sampling, nothing extra.
  bool measure_similarity = true;
  /// Seconds on the clock the ModelCall times are read from; empty: the steady wall
  /// clock. A simulation passes its simulated clock (SimulatedWorld::clock()).
  std::function<double()> clock;
  /// How the levels of a chain work together in a step (specrouter/collaboration.h);
  /// null: the reference, multi-level collaborative verification
  /// (make_collaborative_verification()), which the class comment below describes.
  std::shared_ptr<Collaboration> collaboration;
};

/// One sequence's part of a step.
struct SequencePlan {
  SequenceId sequence = 0;  ///< a sequence of the executor's StateManager
  Plan plan;                ///< its chain and draft lengths (check_plan() rules)
  /// All of the sequence's randomness: every level's verification and sampled drafting.
  /// Required when sampling; may be null when greedy. Keep it with the sequence between
  /// steps (make_sequence_rng() makes one).
  std::mt19937_64* rng = nullptr;
};

/// What one level of a sequence's chain did in a step.
///
/// A *draft position* is a token's depth in the draft of one round: 0 for the first token
/// proposed after the level's context. For a chain draft, depth i is the i-th token; for
/// a tree, the nodes at depth i.
struct LevelStats {
  int pool_index = 0;  ///< the level's model
  int rounds = 0;      ///< verification passes it ran (1 at the target)
  int drafted = 0;     ///< tokens (tree nodes) the level below (or the bottom drafter) proposed to it
  int accepted = 0;    ///< of those, the tokens it kept
  int recovered = 0;   ///< rounds that ended in a rejection and a token from the residual
  int bonus = 0;       ///< rounds whose draft was accepted to a leaf (or was empty)
  /// Tokens it passed up: accepted + recovered + bonus.
  int produced = 0;
  /// Per draft position: rounds whose draft reached it.
  std::vector<int> drafted_at;
  /// Per draft position: rounds that accepted a token there; accepted_at[i] / drafted_at[i]
  /// is the acceptance rate at position i.
  std::vector<int> accepted_at;
  /// Sum over compared positions of the total-variation distance between the level
  /// below's distribution and this level's, at the positions of the drafted tokens (both
  /// computed them; no model call is added). Sampling compares the distributions both
  /// levels sample and verify with (whose overlap is the acceptance probability); greedy
  /// compares their temperature-1 softmax. Bottom-drafter drafts count when the drafter
  /// reports its distributions; tree drafts are not compared.
  double tv_distance_sum = 0;
  int tv_positions = 0;  ///< positions in tv_distance_sum
};

/// One sequence's outcome of a step.
struct SequenceStepResult {
  SequenceId sequence = 0;           ///< the sequence
  std::vector<TokenId> committed;    ///< tokens committed by this step, 1 to k + 1
  std::vector<LevelStats> levels;    ///< one per level of its chain, bottom first
};

/// One batched call the step made, for the profiler.
struct ModelCall {
  /// Pool index of the model that ran a forward pass, or kDrafterCall for a call of the
  /// bottom drafter (whatever models it runs inside).
  int pool_index = 0;
  int sequences = 0;        ///< sequences in the call
  std::int64_t tokens = 0;  ///< tokens run (forward) or asked for (drafter), all sequences together
  /// Time of the call on the executor's clock (wall time by default): for a pool model,
  /// its whole round for these sequences (feeding, the forward pass, distributions,
  /// verification and rollback; the drafts it verified are calls of their own), what a
  /// plan pays per pass of the model; for the drafter, its proposals.
  double seconds = 0;
  /// Cached positions the call's sequences held in the model's view before a forward
  /// pass, all sequences together (the context it attends to); 0 for a drafter call.
  std::int64_t context_positions = 0;
};

/// ModelCall::pool_index of a call of the bottom drafter.
inline constexpr int kDrafterCall = -1;

/// The outcome of a step.
struct StepResult {
  std::vector<SequenceStepResult> sequences;  ///< in the order of the batch
  std::vector<ModelCall> calls;               ///< in the order they were made
};

/// Runs speculative decoding steps for ragged batches of sequences.
///
/// How the levels collaborate is the choice of StepExecutorOptions::collaboration
/// (specrouter/collaboration.h): the executor gives it the building blocks
/// (StepOperations), keeps K/V consistent, records the calls and statistics, and
/// commits. With the reference scheme, a step, for each sequence and its plan's chain
/// `[M_0, ..., M_n]` (pool indices, target last): level n (the target) runs one round; a level runs a *round* by having
/// the level below produce `d` tokens, running its own model over its catch-up tokens
/// and those `d` in one forward pass, and letting the Verifier keep a prefix and add one
/// recovered or bonus token. A level below the target produces the `k` tokens asked of it
/// by running rounds until it has them, the last round drafting only what is still
/// needed (`d = min(draft length, still needed - 1)`), so nothing is wasted or carried
/// over. The level below M_0 is the bottom drafter if there is one, else nothing (M_0
/// then decodes alone, one token per round). Every level samples and verifies with the
/// same SamplingParams; what a level passes up is its tokens with *its own* distribution
/// at each of them, which is what they follow (speculative sampling is lossless), so
/// each level verifies against what the level below really sampled from and the target's
/// commits follow the target's distribution (greedy: equal target-only greedy decoding).
///
/// Batching: each round of a level runs one forward pass over all the sequences that
/// still need tokens from it; sequences drop out as they are served. Sequences may have
/// different plans (chains and draft lengths).
///
/// K/V: before each forward a model's views are cut to the level's context
/// (tokens_to_feed()); after each round every model of the StateManager is cut back to
/// the accepted prefix; the target's round commits (StateManager::commit cuts every
/// model's disagreeing K/V) and the step ends with every model's view of every batch
/// sequence a prefix of its committed tokens.
///
/// Not thread-safe; one executor drives its StateManager.
class StepExecutor {
 public:
  /// Runs the models of `pool` on `state` (where their KV caches are registered), with
  /// `verifier` at every level, `drafter` (may be null) below every chain, and
  /// `options.collaboration` (null: the reference) deciding who drafts and who verifies. Throws
  /// UsageError for a null verifier, a pool model whose KV id is not one of `state`'s
  /// models, or drafter_length < 1.
  StepExecutor(ModelPool pool, StateManager& state, std::shared_ptr<Verifier> verifier,
               std::shared_ptr<Drafter> drafter = nullptr, StepExecutorOptions options = {});
  /// Not copyable: it drives one StateManager.
  StepExecutor(const StepExecutor&) = delete;
  /// Not copyable.
  StepExecutor& operator=(const StepExecutor&) = delete;

  /// Runs one step for every sequence of `batch` (each at most once) and commits, per
  /// sequence, its accepted tokens and one recovered or bonus token.
  ///
  /// Any speculative K/V of the batch's sequences is dropped first. A sequence whose
  /// committed tokens leave the chain's models too little context for its draft length
  /// gets a shorter draft (down to plain target decoding). Throws, before running
  /// anything: UsageError for an unknown or repeated sequence, an invalid plan (naming
  /// the sequence), a draft length that does not fit the verifying model's context, or a
  /// missing rng when sampling; CapacityError when a sequence already
  /// holds more tokens than the target's context. If a forward pass, the drafter or the
  /// verifier throws later (OutOfKvMemory, ...), nothing has been committed and the
  /// error propagates; speculative K/V it leaves is dropped by the next step.
  StepResult step(std::span<const SequencePlan> batch);

  /// The pool the plans index.
  const ModelPool& pool() const { return pool_; }
  /// The state the models run on.
  StateManager& state() { return state_; }
  /// How it decodes.
  const StepExecutorOptions& options() const { return options_; }

 private:
  ModelPool pool_;
  StateManager& state_;
  std::shared_ptr<Verifier> verifier_;
  std::shared_ptr<Drafter> drafter_;
  StepExecutorOptions options_;  // collaboration never null
};

}  // namespace specrouter
