#pragma once

/// @file
/// @brief Scheduler: chooses the plan (chain and draft lengths) for each step.

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace specrouter {

class PerformanceEstimates;  // specrouter/scheduling/performance_estimates.h

/// One model of the pool, as schedulers see it. The pool is ordered by cost; the last
/// model is the target.
struct PoolModel {
  std::string name;  ///< pool name from the config ("target", "small", ...)
};

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
  std::span<const PoolModel> pool;  ///< the loaded models, target last
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

/// What one step of a plan achieved, reported back to the scheduler that chose it.
///
/// The caller measures it: `seconds` may be the step's wall time or a simulated time,
/// whichever clock the run goes by; a scheduler only compares outcomes with each other.
struct StepOutcome {
  Plan plan;                  ///< the plan the step ran (one plan for the whole batch)
  int batch_size = 1;         ///< sequences in the step
  double context_length = 0;  ///< mean committed tokens per sequence before the step
  /// Target tokens the step committed, all sequences together (accepted, recovered and
  /// bonus tokens at the top level).
  std::int64_t committed_tokens = 0;
  int target_passes = 0;  ///< forward passes of the target the step ran (1 for one round)
  double seconds = 0;     ///< how long the step took, drafting and verification included
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
