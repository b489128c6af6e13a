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
// Exploration (`exploration: thompson`, the default): each step it searches one draw of
// the estimates, every pair's acceptance rate sampled from its Beta belief (Thompson
// sampling over plans), so a chain whose belief is uncertain is tried in proportion to
// the chance that it is the best, and one that looked bad is tried again as forgetting
// widens its belief. `exploration: none` searches the beliefs' means. Estimates without
// beliefs are searched as they are. docs/design/robust_routing.md has the rule.
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

class DpScheduler final : public specrouter::Scheduler {
 public:
  explicit DpScheduler(const specrouter::Params& params)
      : owner_(params.owner()),
        limits_{bounded_int(params, "max_draft_length", 1), bounded_int(params, "max_chain_length", 0)},
        thompson_(exploration_is_thompson(params)),
        budget_(params.get<double>("exploration_budget")),
        rng_(static_cast<std::uint64_t>(params.get<std::int64_t>("seed"))) {
    if (!(budget_ >= 0 && budget_ <= 1)) {
      throw ConfigError(owner_ + ": exploration_budget is " + std::to_string(budget_) + ", must be in [0, 1]");
    }
    const auto interval = params.get_int_in("plain_guard_interval", 0, 1'000'000);
    if (interval == 1) throw ConfigError(owner_ + ": plain_guard_interval is 1; use 0 (off) or >= 2");
    if (interval > 0) guard_.emplace(specrouter::PlainDecodingGuardOptions{.probe_interval = static_cast<int>(interval)});
  }

  specrouter::Plan plan(const specrouter::SchedulingContext& context) override {
    const int pool_size = static_cast<int>(context.pool.size());
    if (pool_size == 0) throw ConfigError(owner_ + ": the pool is empty, there is no target to plan for");
    if (context.estimates == nullptr) return {{pool_size - 1}, {}};
    if (context.estimates->pool_size() != pool_size) {
      throw specrouter::UsageError(owner_ + ": the estimates cover " + std::to_string(context.estimates->pool_size()) +
                                   " models, the pool has " + std::to_string(pool_size));
    }
    const specrouter::BatchShape batch{context.batch_size, context.context_length};
    const specrouter::Plan best =
        explores_this_step()
            ? specrouter::best_plan_dp(specrouter::ThompsonSample(*context.estimates, rng_), batch, limits_).plan
            : specrouter::best_plan_dp(*context.estimates, batch, limits_).plan;
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

  std::string owner_;                    // "scheduler 'dp'", for messages
  specrouter::PlanSearchLimits limits_;  // the plans it searches
  bool thompson_;        // plan the best plan of one Thompson sample of the estimates
  double budget_;        // share of steps planned with a draw; the others plan with the means
  std::mt19937_64 rng_;  // the samples' draws
  std::optional<specrouter::PlainDecodingGuard> guard_;  // measured plain decoding against the plans
};

}  // namespace

SPECROUTER_PLUGIN(registrar) {
  registrar.add<specrouter::Scheduler>(
      {"dp",
       "each step, the plan with the lowest predicted time per token, by dynamic programming over the pool",
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
        specrouter::int_param("max_chain_length", 0,
                              "most models in a chain, target included; 0 = the whole pool")}},
      [](const specrouter::Params& params) { return std::make_unique<DpScheduler>(params); });
}
