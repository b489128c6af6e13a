#pragma once
// One step of the StepExecutor: the recursion over the levels of every sequence's chain.
// Private to the core; docs/design/step_executor.md explains the algorithm.

#include <cstdint>
#include <span>
#include <vector>

#include "specrouter/decoding/step_executor.h"

namespace specrouter::detail {

// A request to one level of one sequence's chain: produce `wanted` tokens continuing
// `context`. The level appends what it produces to `context`, so the produced tokens are
// `context[start:]`, and (when sampling) their rows of the level's distribution to `rows`.
struct LevelTask {
  std::size_t item = 0;           // the sequence's index in the step's batch
  int level = 0;                  // index into the sequence's chain
  std::vector<TokenId> context;   // committed tokens, then the speculative ones
  std::size_t start = 0;          // context size when the task was made
  int wanted = 0;                 // tokens to produce
  // The level's distribution at each produced token, [produced, vocab]: sampling, the
  // one it samples and verifies with; greedy, its temperature-1 softmax when similarity
  // is measured (verification then treats the tokens as one-hot); else empty.
  std::vector<float> rows;

  int produced() const { return static_cast<int>(context.size() - start); }
};

// What the level below proposed to a task for one round: tokens (a chain, or a tree when
// `parents` is not empty; only the bottom drafter proposes trees) and the rows of the
// proposer's distributions at them ([tokens, vocab], as LevelTask::rows; empty: none).
struct Proposal {
  std::vector<TokenId> tokens;
  std::vector<float> rows;
  std::vector<std::int32_t> parents;
};

class StepRun {
 public:
  // `batch` is validated (StepExecutor::step) and outlives the run.
  StepRun(const ModelPool& pool, StateManager& state, Verifier& verifier, Drafter* drafter,
          const StepExecutorOptions& options, std::span<const SequencePlan> batch);

  // Runs the target's round for every sequence and commits.
  StepResult run();

 private:
  // Rounds of pool model `model` until every task has its `wanted` tokens.
  void produce(int model, std::vector<LevelTask>& tasks);
  // One round of pool model `model` for `tasks` (all at that model): drafts from below,
  // one forward pass, verification; each task's context grows by the accepted tokens and
  // the recovered or bonus one, and every model's K/V is cut back to what was accepted.
  void round(int model, std::span<LevelTask* const> tasks);
  // Per task, `counts[t]` tokens from the level below it (fewer from a drafter that
  // proposes less; none for a count of 0).
  std::vector<Proposal> propose_below(std::span<LevelTask* const> tasks, std::span<const int> counts);
  std::vector<Proposal> propose_with_drafter(std::span<LevelTask* const> tasks, std::span<const int> counts);

  // Checks a tree verdict's path and records, per task, what a round's verification did.
  void record(LevelTask& task, const Proposal& proposal, const Verdict& verdict);
  // Most tokens the level below `task` proposes per round.
  int draft_length_below(const LevelTask& task) const;
  const Plan& plan_of(const LevelTask& task) const { return batch_[task.item].plan; }
  LevelStats& stats_of(const LevelTask& task) {
    return result_.sequences[task.item].levels[static_cast<std::size_t>(task.level)];
  }
  std::mt19937_64& rng_of(const LevelTask& task);
  // Seconds on the options' clock (the steady wall clock by default).
  double now() const;

  const ModelPool& pool_;
  StateManager& state_;
  Verifier& verifier_;
  Drafter* drafter_;
  const StepExecutorOptions& options_;
  std::span<const SequencePlan> batch_;
  std::vector<KvModelId> all_models_;  // every model of the state: what a round cuts back
  std::mt19937_64 unused_rng_;         // handed to greedy verification, which draws nothing
  StepResult result_;
};

}  // namespace specrouter::detail
