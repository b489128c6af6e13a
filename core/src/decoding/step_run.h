#pragma once
// One step of the StepExecutor: the building blocks every collaboration scheme uses
// (drafting, verification rounds with their K/V cuts, statistics, call records) and the
// step's start and commit around the scheme. Private to the core;
// docs/design/step_executor.md and docs/design/collaboration.md explain it.

#include <cstdint>
#include <span>
#include <vector>

#include "specrouter/collaboration.h"
#include "specrouter/decoding/step_executor.h"

namespace specrouter::detail {

class StepRun final : public StepOperations {
 public:
  // `batch` is validated (StepExecutor::step) and outlives the run.
  StepRun(const ModelPool& pool, StateManager& state, Verifier& verifier, Drafter* drafter,
          const StepExecutorOptions& options, std::span<const SequencePlan> batch);

  // Lets `collaboration` run the step from the committed tokens, then commits what the
  // target's rounds produced.
  StepResult run(Collaboration& collaboration);

  std::size_t batch_size() const override { return batch_.size(); }
  const Plan& plan(std::size_t item) const override { return batch_[item].plan; }
  const ModelPool& pool() const override { return pool_; }
  const SamplingParams& sampling() const override { return options_.sampling; }
  int drafter_length(std::size_t item) const override;
  std::int64_t room(std::size_t item) const override;
  std::vector<Proposal> draft(std::span<LevelTask* const> tasks, std::span<const int> counts) override;
  void verify(int model, std::span<LevelTask* const> tasks, std::span<const Proposal> proposals) override;

 private:
  // Throws UsageError unless every task is a level of its sequence at pool model `model`.
  void check_tasks_at(int model, std::span<LevelTask* const> tasks) const;
  // Checks a tree verdict's path and records, per task, what a round's verification did.
  void record(LevelTask& task, const Proposal& proposal, const Verdict& verdict);
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
  std::vector<std::vector<TokenId>> verified_at_target_;  // per batch item: what the target's rounds produced
};

}  // namespace specrouter::detail
