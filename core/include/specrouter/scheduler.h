#pragma once

/// @file
/// @brief Scheduler: chooses the plan (chain and draft lengths) for each step.

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

/// A chain plus the draft length of each level, for one step.
///
/// `chain` holds pool indices in increasing cost and ends at the target; `{target}` is
/// plain decoding. `draft_lengths[i]` is how many tokens level i proposes to level i+1,
/// so it has `chain.size() - 1` entries.
struct Plan {
  std::vector<int> chain;          ///< pool indices, cheapest first, target last
  std::vector<int> draft_lengths;  ///< tokens each level proposes to the next
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

/// Chooses plans and learns from what happened.
class Scheduler {
 public:
  virtual ~Scheduler() = default;

  /// The plan for the next step.
  virtual Plan plan(const SchedulingContext& context) = 0;
};

}  // namespace specrouter
