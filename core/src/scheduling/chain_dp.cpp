// The best plan by dynamic programming over the pool in index order.
//
// T_{i+1} = level_seconds_per_token(T_i, k, verify, a) depends on the sub-chain below only
// through its time per token T_i, and increases with it. So the best chain topped by model
// j is model j alone, or the best chain topped by some cheaper model i extended by j with
// some draft length k: no other chain through i can do better than i's best one. Chains
// follow pool order, so processing models by index sees every i < j finished before j.
// Exactness argument and complexity: docs/design/chain_cost_model.md.

#include <limits>
#include <vector>

#include "cost_table.h"
#include "plan_limits.h"
#include "specrouter/scheduling/plan_search.h"

namespace specrouter {

namespace {

// How a best chain reaches its top model.
struct Step {
  static constexpr int kAlone = -1;       // the model drafts alone: the chain starts here
  static constexpr int kFewerLevels = -2;  // (limited depth only) the previous layer's chain is kept
  int drafter = kAlone;                   // pool index of the model below, or a marker above
  int draft_length = 0;                   // tokens the drafter proposes per round
};

// Tries every cheaper model's best chain (times in `below`) as the drafter for model j,
// keeping the best in `time` and `step`; strict comparison keeps the first of equals.
void extend_with_drafters(const detail::ChainCostTable& table, int j, const std::vector<double>& below,
                          double& time, Step& step) {
  for (int drafter = 0; drafter < j; ++drafter) {
    const double acceptance = table.acceptance(drafter, j);
    for (int length = 1; length <= table.max_draft_length(); ++length) {
      const double candidate = level_seconds_per_token(below[drafter], length, table.verify_seconds(j, length), acceptance);
      if (candidate < time) {
        time = candidate;
        step = {drafter, length};
      }
    }
  }
}

// Turns the steps into a plan, walking down from the target. `layers[d][j]` is how the
// best chain of at most d+1 models topped by j is reached.
Plan follow_steps(const std::vector<std::vector<Step>>& layers, int target) {
  std::vector<int> chain{target};
  std::vector<int> lengths;
  int layer = static_cast<int>(layers.size()) - 1;
  int model = target;
  while (true) {
    const Step& step = layers[layer][model];
    if (step.drafter == Step::kAlone) break;
    if (step.drafter == Step::kFewerLevels) {
      --layer;
      continue;
    }
    chain.push_back(step.drafter);
    lengths.push_back(step.draft_length);
    model = step.drafter;
    if (layers.size() > 1) --layer;  // unlimited depth keeps a single, final layer
  }
  return {{chain.rbegin(), chain.rend()}, {lengths.rbegin(), lengths.rend()}};
}

}  // namespace

PredictedPlan best_plan_dp(const PerformanceEstimates& estimates, BatchShape batch, PlanSearchLimits limits) {
  const detail::ChainCostTable table(estimates, batch, limits.max_draft_length);
  const int models = table.pool_size();
  const int max_models = detail::max_models_in_chain(models, limits);
  const int target = models - 1;

  std::vector<double> time(models);  // best time per token of a chain topped by each model
  std::vector<std::vector<Step>> layers;

  if (max_models == models) {
    // No depth limit binds (a chain has at most `models` models): one pass, in place.
    // time[i] is final when j > i reads it. O(n^2 K).
    layers.assign(1, std::vector<Step>(models));
    for (int j = 0; j < models; ++j) {
      time[j] = table.single_token_seconds(j);
      extend_with_drafters(table, j, time, time[j], layers[0][j]);
    }
  } else {
    // Layer d holds the best chains of at most d+1 models; each layer extends the previous
    // one by one level. O(D n^2 K).
    layers.assign(1, std::vector<Step>(models));
    for (int j = 0; j < models; ++j) time[j] = table.single_token_seconds(j);
    for (int layer = 1; layer < max_models; ++layer) {
      const std::vector<double> below = time;
      std::vector<Step>& steps = layers.emplace_back(models, Step{Step::kFewerLevels, 0});
      for (int j = 1; j < models; ++j) extend_with_drafters(table, j, below, time[j], steps[j]);
    }
  }
  return {follow_steps(layers, target), time[target]};
}

}  // namespace specrouter
