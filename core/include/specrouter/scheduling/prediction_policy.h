#pragma once

/// @file
/// @brief What the schedulers that plan by prediction (dp, greedy) share around their
/// search: the checks of the context, Thompson draws on a budget of steps, the
/// plain-decoding guard, and the parameters that set them (docs/design/robust_routing.md).

#include <functional>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "specrouter/plugin/params.h"
#include "specrouter/scheduler.h"
#include "specrouter/scheduling/chain_cost.h"
#include "specrouter/scheduling/performance_estimates.h"
#include "specrouter/scheduling/plain_decoding_guard.h"

namespace specrouter {

/// Runs a scheduler's plan search the way prediction-based schedulers should.
///
/// A scheduler declares `PredictionPolicy::params()` beside its own parameters, builds
/// the policy from its Params, and in `plan()` hands it the search:
///
///     return policy_.plan(context, [&](const PerformanceEstimates& estimates, BatchShape batch) {
///       return best_plan_dp(estimates, batch, limits_).plan;
///     });
///
/// and in `observe()` forwards the outcome.
class PredictionPolicy {
 public:
  /// The search over estimates (the means, or one Thompson draw) for a batch shape.
  using Search = std::function<Plan(const PerformanceEstimates&, BatchShape)>;

  /// `exploration` (thompson | none), `exploration_budget`, `seed`, `plain_guard_interval`.
  static std::vector<ParamSpec> params();

  /// Reads params(); throws ConfigError naming the owner, the key and the value when one
  /// is out of range.
  explicit PredictionPolicy(const Params& params);

  /// Plain decoding without estimates; else `search` over the estimates' means, or on
  /// a share exploration_budget of steps over one Thompson draw of them, filtered by the
  /// plain-decoding guard. Throws ConfigError for an empty pool and UsageError for
  /// estimates that do not cover it.
  Plan plan(const SchedulingContext& context, const Search& search);

  /// Feeds the guard.
  void observe(const StepOutcome& outcome);

 private:
  bool explores_this_step();

  std::string owner_;  // "scheduler 'dp'", for messages
  bool thompson_;      // draws on some steps (exploration: thompson)
  double budget_;      // share of steps planned with a draw
  std::mt19937_64 rng_;
  std::optional<PlainDecodingGuard> guard_;
};

}  // namespace specrouter
