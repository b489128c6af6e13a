#pragma once

/// @file
/// @brief Finding the plan with the lowest predicted time per token: by enumerating
/// every plan (the definition), or by dynamic programming over the pool (polynomial).
///
/// Both minimise predict_time_per_token (chain_cost.h) over the same set of plans: every
/// chain that is a subsequence of the pool ending at the target, of at most
/// `max_chain_length` models, with every draft length in [1, max_draft_length]. The
/// target-only plan is always a candidate, so neither ever returns a plan predicted
/// slower than plain decoding, and on an exact tie both keep plain decoding.

#include <cstdint>
#include <functional>
#include <vector>

#include "specrouter/scheduler.h"
#include "specrouter/scheduling/chain_cost.h"
#include "specrouter/scheduling/performance_estimates.h"

namespace specrouter {

/// The set of plans a search considers.
struct PlanSearchLimits {
  int max_draft_length = 8;  ///< longest draft any level proposes (>= 1)
  int max_chain_length = 0;  ///< most models in a chain, target included; 0 = the whole pool
};

/// A plan with its predicted time.
struct PredictedPlan {
  Plan plan;                     ///< the chosen chain and draft lengths
  double seconds_per_token = 0;  ///< predict_time_per_token of `plan`
};

/// Number of plans within `limits` for a pool of `pool_size` models:
/// sum over d < D of C(pool_size - 1, d) * max_draft_length^d, D the chain length limit.
/// Saturates at INT64_MAX. Throws UsageError for a pool size < 1 or invalid limits.
std::int64_t count_plans(int pool_size, PlanSearchLimits limits);

/// Calls `visit` on every plan within `limits`, in the tie-breaking order: by number of
/// levels, then chain (lexicographic pool indices), then draft lengths (lexicographic).
/// The plan passed is reused between calls; copy it to keep it.
void for_each_plan(int pool_size, PlanSearchLimits limits, const std::function<void(const Plan&)>& visit);

/// Every plan within `limits`, in for_each_plan's order.
std::vector<Plan> enumerate_plans(int pool_size, PlanSearchLimits limits);

/// The plan with the lowest predicted time per token, found by predicting every plan
/// within `limits` (count_plans of them, each in O(chain length)). Exact by definition;
/// the reference the dynamic programme is tested against. On a tie, the plan enumerated
/// first wins.
PredictedPlan best_plan_by_enumeration(const PerformanceEstimates& estimates, BatchShape batch,
                                       PlanSearchLimits limits);

/// The same plan, found by dynamic programming over the pool in index order: the best
/// time per token of model j, as the top of any chain within the limits, is the better of
/// running j alone and, over every cheaper model i and draft length k,
/// level_seconds_per_token(best time of i, k, cost of j over k+1 tokens, rate of i by j).
/// Exact for the cost model of chain_cost.h because that composition is increasing in the
/// drafter's time per token. O(n^2 K) time for n = pool size, K = max_draft_length, and
/// O(D n^2 K) under a chain length limit D < n. Same minimal time as
/// best_plan_by_enumeration; among plans of exactly equal time it keeps the first it met
/// (running alone before drafting, then cheaper drafters, then shorter drafts), which
/// may differ from the first enumerated.
PredictedPlan best_plan_dp(const PerformanceEstimates& estimates, BatchShape batch, PlanSearchLimits limits);

}  // namespace specrouter
