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
// Without estimates (nothing measured yet) it plans target-only decoding; see
// SchedulingContext::estimates.

#include <cstdint>
#include <memory>
#include <string>

#include "specrouter/error.h"
#include "specrouter/plugin/plugin_api.h"
#include "specrouter/scheduler.h"
#include "specrouter/scheduling/plan_search.h"

namespace {

using specrouter::ConfigError;

// Plan-size parameters: at least `minimum`, and small enough for an int.
int bounded_int(const specrouter::Params& params, const std::string& name, std::int64_t minimum) {
  return static_cast<int>(params.get_int_in(name, minimum, 1'000'000));
}

class DpScheduler final : public specrouter::Scheduler {
 public:
  explicit DpScheduler(const specrouter::Params& params)
      : owner_(params.owner()),
        limits_{bounded_int(params, "max_draft_length", 1), bounded_int(params, "max_chain_length", 0)} {}

  specrouter::Plan plan(const specrouter::SchedulingContext& context) override {
    const int pool_size = static_cast<int>(context.pool.size());
    if (pool_size == 0) throw ConfigError(owner_ + ": the pool is empty, there is no target to plan for");
    if (context.estimates == nullptr) return {{pool_size - 1}, {}};
    if (context.estimates->pool_size() != pool_size) {
      throw specrouter::UsageError(owner_ + ": the estimates cover " + std::to_string(context.estimates->pool_size()) +
                                   " models, the pool has " + std::to_string(pool_size));
    }
    return specrouter::best_plan_dp(*context.estimates, {context.batch_size, context.context_length}, limits_).plan;
  }

 private:
  std::string owner_;                    // "scheduler 'dp'", for messages
  specrouter::PlanSearchLimits limits_;  // the plans it searches
};

}  // namespace

SPECROUTER_PLUGIN(registrar) {
  registrar.add<specrouter::Scheduler>(
      {"dp",
       "each step, the plan with the lowest predicted time per token, by dynamic programming over the pool",
       {specrouter::int_param("max_draft_length", 8, "longest draft any level proposes (>= 1)"),
        specrouter::int_param("max_chain_length", 0,
                              "most models in a chain, target included; 0 = the whole pool")}},
      [](const specrouter::Params& params) { return std::make_unique<DpScheduler>(params); });
}
