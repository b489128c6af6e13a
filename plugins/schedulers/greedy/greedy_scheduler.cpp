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
// Exploration is the dp scheduler's: Thompson sampling over the acceptance beliefs by
// default (`exploration: thompson`), or the beliefs' means (`exploration: none`, a
// bandit without exploration that trusts the estimates); docs/design/robust_routing.md.
//
// Without estimates it plans target-only decoding; see SchedulingContext::estimates.

#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <string>

#include "specrouter/error.h"
#include "specrouter/plugin/plugin_api.h"
#include "specrouter/scheduler.h"
#include "specrouter/scheduling/plain_decoding_guard.h"
#include "specrouter/scheduling/plan_search.h"
#include "specrouter/scheduling/thompson_sample.h"

namespace {

using specrouter::ConfigError;

// Plan-size parameters: at least `minimum`, and small enough for an int.
int bounded_int(const specrouter::Params& params, const std::string& name, std::int64_t minimum) {
  return static_cast<int>(params.get_int_in(name, minimum, 1'000'000));
}

// `exploration`: thompson or none; anything else is refused, naming the value.
bool exploration_is_thompson(const specrouter::Params& params) {
  const std::string& rule = params.get<std::string>("exploration");
  if (rule != "thompson" && rule != "none") {
    throw ConfigError(params.owner() + ": exploration is '" + rule + "', must be 'thompson' or 'none'");
  }
  return rule == "thompson";
}

class GreedyScheduler final : public specrouter::Scheduler {
 public:
  explicit GreedyScheduler(const specrouter::Params& params)
      : owner_(params.owner()),
        limits_{bounded_int(params, "max_draft_length", 1), bounded_int(params, "max_chain_length", 0)},
        thompson_(exploration_is_thompson(params)),
        budget_(params.get<double>("exploration_budget")),
        rng_(static_cast<std::uint64_t>(params.get<std::int64_t>("seed"))),
        max_plans_(params.get<std::int64_t>("max_plans")) {
    if (!(budget_ >= 0 && budget_ <= 1)) {
      throw ConfigError(owner_ + ": exploration_budget is " + std::to_string(budget_) + ", must be in [0, 1]");
    }
    const auto interval = params.get_int_in("plain_guard_interval", 0, 1'000'000);
    if (interval == 1) throw ConfigError(owner_ + ": plain_guard_interval is 1; use 0 (off) or >= 2");
    if (interval > 0) guard_.emplace(specrouter::PlainDecodingGuardOptions{.probe_interval = static_cast<int>(interval)});
    if (max_plans_ < 1) {
      throw ConfigError(owner_ + ": max_plans is " + std::to_string(max_plans_) + ", must be >= 1");
    }
  }

  specrouter::Plan plan(const specrouter::SchedulingContext& context) override {
    const int pool_size = static_cast<int>(context.pool.size());
    if (pool_size == 0) throw ConfigError(owner_ + ": the pool is empty, there is no target to plan for");
    if (context.estimates == nullptr) return {{pool_size - 1}, {}};
    if (context.estimates->pool_size() != pool_size) {
      throw specrouter::UsageError(owner_ + ": the estimates cover " + std::to_string(context.estimates->pool_size()) +
                                   " models, the pool has " + std::to_string(pool_size));
    }
    const std::int64_t plans = specrouter::count_plans(pool_size, limits_);
    if (plans > max_plans_) {
      throw ConfigError(owner_ + ": a pool of " + std::to_string(pool_size) + " models with max_chain_length " +
                        std::to_string(limits_.max_chain_length) + " and max_draft_length " +
                        std::to_string(limits_.max_draft_length) + " has " + std::to_string(plans) +
                        " plans to predict per step, above max_plans " + std::to_string(max_plans_) +
                        "; lower the limits or use the dp scheduler");
    }
    const specrouter::BatchShape batch{context.batch_size, context.context_length};
    const specrouter::Plan best =
        explores_this_step()
            ? specrouter::best_plan_by_enumeration(specrouter::ThompsonSample(*context.estimates, rng_), batch, limits_)
                  .plan
            : specrouter::best_plan_by_enumeration(*context.estimates, batch, limits_).plan;
    return guard_ ? guard_->filter(best, context.batch_size, pool_size - 1) : best;
  }

  void observe(const specrouter::StepOutcome& outcome) override {
    if (guard_) guard_->observe(outcome);
  }

 private:
  // Whether this step plans with a Thompson draw: on a share `budget_` of steps.
  bool explores_this_step() {
    if (!thompson_ || budget_ <= 0) return false;
    return budget_ >= 1 || std::uniform_real_distribution<double>(0.0, 1.0)(rng_) < budget_;
  }

  std::string owner_;                    // "scheduler 'greedy'", for messages
  specrouter::PlanSearchLimits limits_;  // the plans it searches
  bool thompson_;        // plan the best plan of one Thompson sample of the estimates
  double budget_;        // share of steps planned with a draw; the others plan with the means
  std::mt19937_64 rng_;  // the samples' draws
  std::optional<specrouter::PlainDecodingGuard> guard_;  // measured plain decoding against the plans
  std::int64_t max_plans_;               // refuses pools and limits with more plans than this
};

}  // namespace

SPECROUTER_PLUGIN(registrar) {
  registrar.add<specrouter::Scheduler>(
      {"greedy",
       "each step, the plan with the lowest predicted time per token, by predicting every plan within the limits",
       {specrouter::int_param("max_draft_length", 8, "longest draft any level proposes (>= 1)"),
        specrouter::string_param("exploration", "thompson",
                                 "thompson: plan the best plan of one draw from the acceptance beliefs each step; "
                                 "none: of their means"),
        specrouter::float_param("exploration_budget", 0.1,
                                "thompson: share of steps planned with a draw, the others with the means (0-1)"),
        specrouter::int_param("seed", 0, "seed of the Thompson draws"),
        specrouter::int_param("plain_guard_interval", 32,
                              "measure plain decoding against the plans at each batch size, probing each side "
                              "at least every N steps, and decode plainly where it measures faster; 0 = off"),
        specrouter::int_param("max_chain_length", 3,
                              "most models in a chain, target included; 0 = the whole pool"),
        specrouter::int_param("max_plans", 100000,
                              "refuse a pool whose plans within the limits number more than this")}},
      [](const specrouter::Params& params) { return std::make_unique<GreedyScheduler>(params); });
}
