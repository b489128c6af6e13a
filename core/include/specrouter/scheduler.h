#pragma once

/// @file
/// @brief Scheduler: chooses the plan (chain and draft lengths) for each step.

#include <span>
#include <string>
#include <vector>

namespace specrouter {

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
struct SchedulingContext {
  std::span<const PoolModel> pool;  ///< the loaded models, target last
  int batch_size = 1;               ///< sequences in the step
};

/// Chooses plans and learns from what happened.
class Scheduler {
 public:
  virtual ~Scheduler() = default;

  /// The plan for the next step.
  virtual Plan plan(const SchedulingContext& context) = 0;
};

}  // namespace specrouter
