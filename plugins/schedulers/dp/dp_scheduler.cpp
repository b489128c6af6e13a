// The dp scheduler: each step, the plan with the lowest predicted time per committed
// target token under the current estimates, found by dynamic programming over the pool.
//
//   scheduler: {plugin: dp, max_draft_length: 8}
//
// The chain cost model composes level by level, and a level's time per token depends on
// the chain below it only through that chain's time per token, increasingly. So the best
// chain topped by model j is j alone or the best chain topped by a cheaper model i,
// extended by j with the best draft length: O(n^2 K) predictions for n pool models and
// draft lengths up to K, instead of the (K+1)^(n-1) plans the greedy scheduler predicts.
// It returns the same plan as predicting every plan (its test checks so on random pools);
// plain decoding wins when no draft pays, as at large batch sizes. The derivation and the
// exactness argument are in docs/design/chain_cost_model.md.
//
// Exploration (`exploration: thompson`, the default): on a share `exploration_budget` of
// steps it searches one draw of the estimates, every pair's acceptance rate sampled from
// its Beta belief (Thompson sampling over plans), so a chain whose belief is uncertain is
// tried in proportion to the chance that it is the best, and one that looked bad is tried
// again as forgetting widens its belief; the other steps search the beliefs' means. A
// guard compares measured plain decoding with the plans chosen, per batch size, and
// decodes plainly where that measures faster (`plain_guard_interval`). Both live in
// PredictionPolicy (core), shared with greedy; docs/design/robust_routing.md has the rules.
//
// Without estimates it plans target-only decoding; see SchedulingContext::estimates.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "specrouter/plugin/plugin_api.h"
#include "specrouter/scheduler.h"
#include "specrouter/scheduling/plan_search.h"
#include "specrouter/scheduling/prediction_policy.h"

namespace {

// Plan-size parameters: at least `minimum`, and small enough for an int.
int bounded_int(const specrouter::Params& params, const std::string& name, std::int64_t minimum) {
  return static_cast<int>(params.get_int_in(name, minimum, 1'000'000));
}

class DpScheduler final : public specrouter::Scheduler {
 public:
  explicit DpScheduler(const specrouter::Params& params)
      : limits_{bounded_int(params, "max_draft_length", 1), bounded_int(params, "max_chain_length", 0)},
        policy_(params) {}

  specrouter::Plan plan(const specrouter::SchedulingContext& context) override {
    return policy_.plan(context, [&](const specrouter::PerformanceEstimates& estimates, specrouter::BatchShape batch) {
      return specrouter::best_plan_dp(estimates, batch, limits_).plan;
    });
  }

  void observe(const specrouter::StepOutcome& outcome) override { policy_.observe(outcome); }

 private:
  specrouter::PlanSearchLimits limits_;  // the plans it searches
  specrouter::PredictionPolicy policy_;  // checks, Thompson draws, the plain-decoding guard
};

std::vector<specrouter::ParamSpec> dp_params() {
  std::vector<specrouter::ParamSpec> params = {
      specrouter::int_param("max_draft_length", 8, "longest draft any level proposes (>= 1)"),
      specrouter::int_param("max_chain_length", 0, "most models in a chain, target included; 0 = the whole pool")};
  for (specrouter::ParamSpec& spec : specrouter::PredictionPolicy::params()) params.push_back(std::move(spec));
  return params;
}

}  // namespace

SPECROUTER_PLUGIN(registrar) {
  registrar.add<specrouter::Scheduler>(
      {"dp", "each step, the plan with the lowest predicted time per token, by dynamic programming over the pool",
       dp_params()},
      [](const specrouter::Params& params) { return std::make_unique<DpScheduler>(params); });
}
