#pragma once
// Generation driven by a scheduler, step by step: before every step the scheduler plans
// from the batch's shape and the current estimates; after it, the scheduler and the
// estimates learn from what happened. Shared by `run` (wall clock, real models) and
// `simulate` (simulated clock and models).

#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "specrouter/decoding/speculative_generate.h"
#include "specrouter/scheduler.h"
#include "specrouter/scheduling/online_estimates.h"

namespace specrouter::engine {

/// One step as the run saw it.
struct ScheduledStep {
  Plan plan;                         ///< what the scheduler chose
  int batch_size = 0;                ///< sequences in the step
  std::int64_t committed_tokens = 0; ///< all sequences together
  double end_seconds = 0;            ///< on the run's clock, since the run started
  double seconds = 0;                ///< the step's time on the run's clock
};

/// Acceptance totals of one pool model as a level.
struct PoolLevelTotals {
  std::int64_t drafted = 0;   ///< tokens proposed to it
  std::int64_t accepted = 0;  ///< of those, kept
  std::int64_t rounds = 0;    ///< verification passes it ran
};

/// What a scheduled run did.
struct ScheduledRun {
  std::vector<GenerationResult> results;  ///< per prompt
  std::vector<ScheduledStep> steps;       ///< in order
  std::vector<PoolLevelTotals> levels;    ///< per pool index
  std::int64_t sequence_steps = 0;        ///< sum over steps of the batch size
  double seconds = 0;                     ///< on the run's clock, first step to last

  /// Committed tokens per second over the run.
  double tokens_per_second() const;
  /// How often each plan was chosen, by plan_to_string().
  std::map<std::string, std::int64_t> plan_counts() const;
};

/// Estimates for a run that adapts online: acceptance as the Beta `beliefs` (prior and
/// forgetting, acceptance_beliefs.h) when they are on; with beliefs off, the similarity
/// tracker's prediction with a pair never observed assumed accepted at 0.9 rather than
/// like its neighbours (the behaviour before priors, which one rejected probe can lock
/// out: docs/design/robust_routing.md).
OnlineEstimatesOptions adaptive_estimates_options(AcceptanceBeliefOptions beliefs = {});

/// Generates `prompts` with `executor`, the plan of every step chosen by `scheduler`
/// (with `estimates`, which may be null, as its SchedulingContext::estimates snapshot;
/// estimates learn from every step unless frozen). `clock` gives seconds (the executor's
/// clock); `options.choose_plan` and `options.on_step` are set here (an `on_step` given
/// is still called).
ScheduledRun run_scheduled(StepExecutor& executor, std::span<const std::vector<TokenId>> prompts,
                           Scheduler& scheduler, std::span<const PoolModel> pool_view, OnlineEstimates* estimates,
                           SpeculativeGenerationOptions options, const std::function<double()>& clock);

}  // namespace specrouter::engine
