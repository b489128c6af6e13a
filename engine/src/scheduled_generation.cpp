#include "specrouter/engine/scheduled_generation.h"

#include <optional>
#include <utility>

namespace specrouter::engine {

double ScheduledRun::tokens_per_second() const {
  std::int64_t tokens = 0;
  for (const ScheduledStep& step : steps) tokens += step.committed_tokens;
  return seconds > 0 ? static_cast<double>(tokens) / seconds : 0.0;
}

std::map<std::string, std::int64_t> ScheduledRun::plan_counts() const {
  std::map<std::string, std::int64_t> counts;
  for (const ScheduledStep& step : steps) ++counts[plan_to_string(step.plan)];
  return counts;
}

OnlineEstimatesOptions adaptive_estimates_options(AcceptanceBeliefOptions beliefs) {
  OnlineEstimatesOptions options;
  options.beliefs = std::move(beliefs);
  options.similarity.neighbour_prior = false;
  options.similarity.default_acceptance = 0.9;
  return options;
}

ScheduledRun run_scheduled(StepExecutor& executor, std::span<const std::vector<TokenId>> prompts,
                           Scheduler& scheduler, std::span<const PoolModel> pool_view, OnlineEstimates* estimates,
                           SpeculativeGenerationOptions options, const std::function<double()>& clock) {
  ScheduledRun run;
  run.levels.resize(static_cast<std::size_t>(executor.pool().size()));
  const int target = executor.pool().size() - 1;
  const double start = clock();
  double step_start = start;
  Plan current;
  BatchShape shape;
  std::optional<FrozenEstimates> snapshot;  // the estimates as one plan() call sees them

  options.choose_plan = [&](const BatchShape& batch) {
    shape = batch;
    SchedulingContext context{pool_view, batch.batch_size, batch.context_length};
    if (estimates != nullptr) {
      snapshot.emplace(estimates->snapshot());
      context.estimates = &*snapshot;
    }
    current = scheduler.plan(context);
    step_start = clock();  // planning is not part of the step
    return current;
  };
  const std::function<void(const StepResult&)> user_on_step = options.on_step;
  options.on_step = [&](const StepResult& step) {
    const double now = clock();
    StepOutcome outcome{current, static_cast<int>(step.sequences.size()), shape.context_length};
    for (const SequenceStepResult& sequence : step.sequences) {
      outcome.committed_tokens += static_cast<std::int64_t>(sequence.committed.size());
      for (const LevelStats& level : sequence.levels) {
        PoolLevelTotals& totals = run.levels[static_cast<std::size_t>(level.pool_index)];
        totals.drafted += level.drafted;
        totals.accepted += level.accepted;
        totals.rounds += level.rounds;
      }
    }
    for (const ModelCall& call : step.calls) outcome.target_passes += call.pool_index == target;
    outcome.seconds = now - step_start;
    scheduler.observe(outcome);
    if (estimates != nullptr) estimates->observe(step);
    run.steps.push_back({current, outcome.batch_size, outcome.committed_tokens, now - start, outcome.seconds});
    run.sequence_steps += outcome.batch_size;
    if (user_on_step) user_on_step(step);
  };
  run.results = speculative_generate(executor, prompts, Plan{{target}, {}}, options);
  run.seconds = clock() - start;
  return run;
}

}  // namespace specrouter::engine
