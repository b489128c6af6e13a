// Every plan within the limits, and the best of them by predicting each: the definition
// the dynamic programme (chain_dp.cpp) is tested against, and the greedy scheduler's search.

#include <algorithm>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "cost_table.h"
#include "plan_limits.h"
#include "specrouter/error.h"
#include "specrouter/scheduling/plan_search.h"

namespace specrouter {

namespace detail {

int max_models_in_chain(int pool_size, PlanSearchLimits limits) {
  if (pool_size < 1) throw UsageError("plan search: pool size " + std::to_string(pool_size) + " is below 1");
  if (limits.max_draft_length < 1) {
    throw UsageError("plan search: max_draft_length " + std::to_string(limits.max_draft_length) + " is below 1");
  }
  if (limits.max_chain_length < 0) {
    throw UsageError("plan search: max_chain_length " + std::to_string(limits.max_chain_length) +
                     " is negative (0 means the whole pool)");
  }
  if (limits.max_chain_length == 0 || limits.max_chain_length > pool_size) return pool_size;
  return limits.max_chain_length;
}

}  // namespace detail

namespace {

constexpr std::int64_t kSaturated = std::numeric_limits<std::int64_t>::max();

std::int64_t saturating_multiply(std::int64_t a, std::int64_t b) {
  if (a != 0 && b > kSaturated / a) return kSaturated;
  return a * b;
}

std::int64_t saturating_add(std::int64_t a, std::int64_t b) { return a > kSaturated - b ? kSaturated : a + b; }

// Visits every strictly increasing list of `count` drafters from [0, drafters), in
// lexicographic order, each followed by the target, with every draft-length vector.
class PlanVisitor {
 public:
  PlanVisitor(int pool_size, int max_draft_length, const std::function<void(const Plan&)>& visit)
      : target_(pool_size - 1), max_draft_length_(max_draft_length), visit_(visit) {}

  void visit_chains_with_levels(int levels) {
    plan_.chain.assign(levels + 1, target_);
    plan_.draft_lengths.assign(levels, 1);
    choose_drafter(0, 0);
  }

 private:
  // Fills chain[position..levels) with drafters from `first` upwards.
  void choose_drafter(int position, int first) {
    const int levels = static_cast<int>(plan_.draft_lengths.size());
    if (position == levels) {
      visit_draft_lengths();
      return;
    }
    // Leave room for the drafters still to choose above this position.
    for (int model = first; model <= target_ - (levels - position); ++model) {
      plan_.chain[position] = model;
      choose_drafter(position + 1, model + 1);
    }
  }

  // Every vector in [1, K]^levels, lexicographically (last level fastest).
  void visit_draft_lengths() {
    std::vector<int>& lengths = plan_.draft_lengths;
    std::fill(lengths.begin(), lengths.end(), 1);
    while (true) {
      visit_(plan_);
      int level = static_cast<int>(lengths.size()) - 1;
      while (level >= 0 && lengths[level] == max_draft_length_) lengths[level--] = 1;
      if (level < 0) return;
      ++lengths[level];
    }
  }

  int target_;
  int max_draft_length_;
  const std::function<void(const Plan&)>& visit_;
  Plan plan_;
};

}  // namespace

std::int64_t count_plans(int pool_size, PlanSearchLimits limits) {
  const int max_models = detail::max_models_in_chain(pool_size, limits);
  std::int64_t total = 0;
  std::int64_t chains = 1;   // C(pool_size - 1, levels)
  std::int64_t lengths = 1;  // K^levels
  for (int levels = 0; levels < max_models; ++levels) {
    total = saturating_add(total, saturating_multiply(chains, lengths));
    // C(m, l+1) = C(m, l) * (m - l) / (l + 1), exact while it fits; saturation only
    // matters for pools far beyond any enumeration anyone would run.
    const std::int64_t numerator = saturating_multiply(chains, pool_size - 1 - levels);
    chains = numerator == kSaturated ? kSaturated : numerator / (levels + 1);
    lengths = saturating_multiply(lengths, limits.max_draft_length);
  }
  return total;
}

void for_each_plan(int pool_size, PlanSearchLimits limits, const std::function<void(const Plan&)>& visit) {
  const int max_models = detail::max_models_in_chain(pool_size, limits);
  PlanVisitor visitor(pool_size, limits.max_draft_length, visit);
  for (int levels = 0; levels < max_models; ++levels) visitor.visit_chains_with_levels(levels);
}

std::vector<Plan> enumerate_plans(int pool_size, PlanSearchLimits limits) {
  std::vector<Plan> plans;
  for_each_plan(pool_size, limits, [&](const Plan& plan) { plans.push_back(plan); });
  return plans;
}

PredictedPlan best_plan_by_enumeration(const PerformanceEstimates& estimates, BatchShape batch,
                                       PlanSearchLimits limits) {
  const detail::ChainCostTable table(estimates, batch, limits.max_draft_length);
  PredictedPlan best{{}, std::numeric_limits<double>::infinity()};
  for_each_plan(table.pool_size(), limits, [&](const Plan& plan) {
    const double seconds = table.seconds_per_token(plan);
    if (seconds < best.seconds_per_token) best = {plan, seconds};  // strict: the first of equals stays
  });
  return best;
}

}  // namespace specrouter
