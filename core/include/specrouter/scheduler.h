#pragma once

/// @file
/// @brief Scheduler: chooses the plan (chain and draft lengths) for each step.

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "specrouter/pool_member.h"

namespace specrouter {

class PerformanceEstimates;  // specrouter/scheduling/performance_estimates.h

/// Plan::drafter_length of a plan that leaves the bottom drafter's length to the
/// executor (StepExecutorOptions::drafter_length).
inline constexpr int kExecutorDrafterLength = -1;

/// A chain plus the draft length of each level, for one step.
///
/// `chain` holds pool indices in increasing cost and ends at the target; `{target}` is
/// plain decoding. `draft_lengths[i]` is how many tokens level i proposes to level i+1,
/// so it has `chain.size() - 1` entries. When the executor has a bottom drafter,
/// `drafter_length` is how many tokens it proposes per round of `chain[0]`: 0 leaves it
/// out of this step, kExecutorDrafterLength (the default) takes the executor's length.
struct Plan {
  std::vector<int> chain;          ///< pool indices, cheapest first, target last
  std::vector<int> draft_lengths;  ///< tokens each level proposes to the next
  int drafter_length = kExecutorDrafterLength;  ///< tokens the bottom drafter proposes to chain[0]
};

/// What a scheduler knows when it plans a step.
///
/// One plan serves the whole batch (every sequence runs the same chain in lock step), so
/// the context describes the batch as a whole: its size and the mean context length of
/// its sequences, which is what forward-pass costs depend on.
struct SchedulingContext {
  /// The pool, cheapest first, target last. A member's `model` may be null (the routed
  /// bottom drafter, a test's made-up pool): plan from names and estimates.
  std::span<const PoolMember> pool;
  int batch_size = 1;               ///< sequences in the step
  double context_length = 0;        ///< mean number of committed tokens per sequence of the batch

  /// Measured costs and acceptance rates of the pool (specrouter/scheduling/), covering
  /// `pool` index for index; nullptr when nothing has been measured yet. Owned by the
  /// caller and valid for the duration of the `plan()` call only. Schedulers that
  /// predict plans (greedy, dp) plan target-only decoding without it: with no acceptance
  /// rate known, any draft may be pure overhead, while plain decoding is never slower
  /// than the target alone and is what gives the profiler the target's cost.
  const PerformanceEstimates* estimates = nullptr;
};

struct StepResult;  // specrouter/decoding/step_executor.h

/// One step as it ran: the one step record. The decoding loop fills it after each step;
/// the scheduler that chose the plan observes it (Scheduler::observe) and the run's sinks
/// (statistics, results file, progress, the caller's callback) read the same record.
///
/// `seconds` is the step's time on whichever clock the run goes by (wall time, or a
/// simulated clock); a scheduler only compares outcomes with each other.
struct StepOutcome {
  std::int64_t index = 0;  ///< 0, 1, 2, ... in the run
  Plan plan;               ///< the plan the scheduler chose, over SchedulingContext::pool
  /// The same plan over the executor's pool (StepExecutor::pool()): equal to `plan`
  /// unless the engine routes the bottom drafter as a member of the schedulers' pool.
  Plan executor_plan;
  int batch_size = 1;                        ///< sequences in the step
  double context_length = 0;                 ///< mean committed tokens per sequence before the step
  std::vector<std::string> request_classes;  ///< class of each sequence, batch order ("" = none)
  /// Target tokens the step committed, all sequences together (accepted, recovered and
  /// bonus tokens at the top level), before cutting at end-of-sequence or token limits.
  std::int64_t committed_tokens = 0;
  int target_passes = 0;       ///< forward passes of the target the step ran (1 for one round)
  double start_seconds = 0;    ///< run time when the step began, after planning
  double seconds = 0;          ///< how long the step took, drafting and verification included
  /// Time per committed token the estimates predicted for `plan`; NaN when the plan was
  /// made without estimates.
  double predicted_seconds_per_token = 0;
  /// What the executor did: per sequence, its committed tokens and per-level statistics;
  /// every model call. Valid during the call that receives the record only; null in a
  /// record kept beyond it.
  const StepResult* result = nullptr;
};

/// Chooses plans and learns from what happened.
class Scheduler {
 public:
  virtual ~Scheduler() = default;

  /// The plan for the next step.
  virtual Plan plan(const SchedulingContext& context) = 0;

  /// Feedback after a step ran: the plan it ran and what it achieved. Called at most once
  /// per step, after the step and before the next `plan()`; a caller that cannot measure
  /// steps never calls it. Schedulers that only predict (static, greedy, dp) ignore it;
  /// learning schedulers (bandit) update their statistics here.
  virtual void observe(const StepOutcome& outcome) { static_cast<void>(outcome); }
};

}  // namespace specrouter
