// The greedy scheduler: each step, the plan with the lowest predicted time per committed
// target token under the current estimates, found by predicting every plan.
//
//   scheduler: {plugin: greedy, max_draft_length: 8, max_chain_length: 3}
//
// It predicts every chain of at most max_chain_length pool models ending at the target,
// with every draft length in [1, max_draft_length] (count_plans of them, target-only
// included), and takes the fastest; plain decoding wins when no draft pays, as at large
// batch sizes. It needs no property of the cost model beyond "a plan has a predicted
// time", so it stays exact when the model changes; the dp scheduler finds the same plan in
// polynomial time for the current model. max_plans bounds the work per step: a pool and
// limits beyond it are refused, naming the count, rather than silently slowing each step.
//
// Exploration and the plain-decoding guard are the dp scheduler's (PredictionPolicy):
// Thompson draws from the acceptance beliefs on a budget of steps (`exploration: none`:
// the beliefs' means only, a bandit without exploration that trusts the estimates);
// docs/design/robust_routing.md.
//
// Without estimates it plans target-only decoding; see SchedulingContext::estimates.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "specrouter/error.h"
#include "specrouter/plugin/plugin_api.h"
#include "specrouter/scheduler.h"
#include "specrouter/scheduling/plan_search.h"
#include "specrouter/scheduling/prediction_policy.h"

namespace {

using specrouter::ConfigError;

// Plan-size parameters: at least `minimum`, and small enough for an int.
int bounded_int(const specrouter::Params& params, const std::string& name, std::int64_t minimum) {
  return static_cast<int>(params.get_int_in(name, minimum, 1'000'000));
}

class GreedyScheduler final : public specrouter::Scheduler {
 public:
  explicit GreedyScheduler(const specrouter::Params& params)
      : owner_(params.owner()),
        limits_{bounded_int(params, "max_draft_length", 1), bounded_int(params, "max_chain_length", 0)},
        max_plans_(params.get<std::int64_t>("max_plans")),
        policy_(params) {
    if (max_plans_ < 1) {
      throw ConfigError(owner_ + ": max_plans is " + std::to_string(max_plans_) + ", must be >= 1");
    }
  }

  specrouter::Plan plan(const specrouter::SchedulingContext& context) override {
    const auto pool_size = static_cast<int>(context.pool.size());
    const std::int64_t plans = pool_size > 0 ? specrouter::count_plans(pool_size, limits_) : 0;
    if (plans > max_plans_) {
      throw ConfigError(owner_ + ": a pool of " + std::to_string(pool_size) + " models with max_chain_length " +
                        std::to_string(limits_.max_chain_length) + " and max_draft_length " +
                        std::to_string(limits_.max_draft_length) + " has " + std::to_string(plans) +
                        " plans to predict per step, above max_plans " + std::to_string(max_plans_) +
                        "; lower the limits or use the dp scheduler");
    }
    return policy_.plan(context, [&](const specrouter::PerformanceEstimates& estimates, specrouter::BatchShape batch) {
      return specrouter::best_plan_by_enumeration(estimates, batch, limits_).plan;
    });
  }

  void observe(const specrouter::StepOutcome& outcome) override { policy_.observe(outcome); }

 private:
  std::string owner_;                    // "scheduler 'greedy'", for messages
  specrouter::PlanSearchLimits limits_;  // the plans it predicts
  std::int64_t max_plans_;               // refuses pools and limits with more plans than this
  specrouter::PredictionPolicy policy_;  // checks, Thompson draws, the plain-decoding guard
};

std::vector<specrouter::ParamSpec> greedy_params() {
  std::vector<specrouter::ParamSpec> params = {
      specrouter::int_param("max_draft_length", 8, "longest draft any level proposes (>= 1)"),
      specrouter::int_param("max_chain_length", 3, "most models in a chain, target included; 0 = the whole pool"),
      specrouter::int_param("max_plans", 100000, "refuse a pool whose plans within the limits number more than this")};
  for (specrouter::ParamSpec& spec : specrouter::PredictionPolicy::params()) params.push_back(std::move(spec));
  return params;
}

}  // namespace

SPECROUTER_PLUGIN(registrar) {
  registrar.add<specrouter::Scheduler>(
      {"greedy",
       "each step, the plan with the lowest predicted time per token, by predicting every plan within the limits",
       greedy_params()},
      [](const specrouter::Params& params) { return std::make_unique<GreedyScheduler>(params); });
}
