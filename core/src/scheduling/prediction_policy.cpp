#include "specrouter/scheduling/prediction_policy.h"

#include <cstdint>
#include <string>

#include "specrouter/error.h"
#include "specrouter/scheduling/thompson_sample.h"

namespace specrouter {
namespace {

// `exploration`: thompson or none; anything else is refused, naming the value.
bool exploration_is_thompson(const Params& params) {
  const std::string& rule = params.get<std::string>("exploration");
  if (rule != "thompson" && rule != "none") {
    throw ConfigError(params.owner() + ": exploration is '" + rule + "', must be 'thompson' or 'none'");
  }
  return rule == "thompson";
}

}  // namespace

std::vector<ParamSpec> PredictionPolicy::params() {
  return {string_param("exploration", "thompson",
                       "thompson: on some steps plan the best plan of one draw from the acceptance beliefs; "
                       "none: always of their means"),
          float_param("exploration_budget", 0.1, "thompson: share of steps planned with a draw (0-1)"),
          int_param("seed", 0, "seed of the Thompson draws"),
          int_param("plain_guard_interval", 32,
                    "measure plain decoding against the plans at each batch size, probing each side at least "
                    "every N steps, and decode plainly where it measures faster; 0 = off")};
}

PredictionPolicy::PredictionPolicy(const Params& params)
    : owner_(params.owner()),
      thompson_(exploration_is_thompson(params)),
      budget_(params.get<double>("exploration_budget")),
      rng_(static_cast<std::uint64_t>(params.get<std::int64_t>("seed"))) {
  if (!(budget_ >= 0 && budget_ <= 1)) {
    throw ConfigError(owner_ + ": exploration_budget is " + std::to_string(budget_) + ", must be in [0, 1]");
  }
  const std::int64_t interval = params.get_int_in("plain_guard_interval", 0, 1'000'000);
  if (interval == 1) throw ConfigError(owner_ + ": plain_guard_interval is 1; use 0 (off) or >= 2");
  if (interval > 0) guard_.emplace(PlainDecodingGuardOptions{.probe_interval = static_cast<int>(interval)});
}

Plan PredictionPolicy::plan(const SchedulingContext& context, const Search& search) {
  const int pool_size = static_cast<int>(context.pool.size());
  if (pool_size == 0) throw ConfigError(owner_ + ": the pool is empty, there is no target to plan for");
  if (context.estimates == nullptr) return {{pool_size - 1}, {}};
  if (context.estimates->pool_size() != pool_size) {
    throw UsageError(owner_ + ": the estimates cover " + std::to_string(context.estimates->pool_size()) +
                     " models, the pool has " + std::to_string(pool_size));
  }
  const BatchShape batch{context.batch_size, context.context_length};
  const Plan best = explores_this_step() ? search(ThompsonSample(*context.estimates, rng_), batch)
                                         : search(*context.estimates, batch);
  return guard_ ? guard_->filter(best, context.batch_size, pool_size - 1) : best;
}

void PredictionPolicy::observe(const StepOutcome& outcome) {
  if (guard_) guard_->observe(outcome);
}

bool PredictionPolicy::explores_this_step() {
  if (!thompson_ || budget_ <= 0) return false;
  return budget_ >= 1 || std::uniform_real_distribution<double>(0.0, 1.0)(rng_) < budget_;
}

}  // namespace specrouter
