// The static scheduler: one fixed plan, written in the config, for every step.
//
//   scheduler: {plugin: static, chain: [small, target], draft_lengths: [5]}
//
// `chain` names pool models cheapest first and ends at the target (the last pool
// model); `draft_lengths` says how many tokens each level below the target proposes to
// the next. The default, an empty chain, is plain decoding with the target alone.
//
// The plan is checked and resolved to pool indices on the first call for a pool and
// kept; a later call only recognises the pool (O(pool size) name comparisons). It is the
// baseline every adaptive scheduler is measured against, and the way to pin a chain.

#include <algorithm>
#include <climits>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "specrouter/error.h"
#include "specrouter/plugin/plugin_api.h"
#include "specrouter/scheduler.h"
#include "specrouter/scheduling/pool_names.h"

namespace {

using specrouter::ConfigError;
using specrouter::PoolMember;

class StaticScheduler final : public specrouter::Scheduler {
 public:
  // Checks what can be checked without a pool: one draft length >= 1 per level below
  // the target.
  explicit StaticScheduler(const specrouter::Params& params)
      : owner_(params.owner()), chain_names_(params.get<std::vector<std::string>>("chain")) {
    const auto& lengths = params.get<std::vector<std::int64_t>>("draft_lengths");
    const std::size_t levels_below_target = chain_names_.empty() ? 0 : chain_names_.size() - 1;
    if (lengths.size() != levels_below_target) {
      throw ConfigError(owner_ + ": draft_lengths has " + std::to_string(lengths.size()) +
                        " entries, the chain needs " + std::to_string(levels_below_target) +
                        " (one per model below the target)");
    }
    for (std::size_t level = 0; level < lengths.size(); ++level) {
      if (lengths[level] < 1 || lengths[level] > INT_MAX) {
        throw ConfigError(owner_ + ": draft_lengths[" + std::to_string(level) + "] is " +
                          std::to_string(lengths[level]) + ", must be in [1, " +
                          std::to_string(INT_MAX) + "]");
      }
      draft_lengths_.push_back(static_cast<int>(lengths[level]));
    }
  }

  specrouter::Plan plan(const specrouter::SchedulingContext& context) override {
    if (!resolved_for(context.pool)) resolve(context.pool);
    return plan_;
  }

 private:
  bool resolved_for(std::span<const PoolMember> pool) const {
    return !resolved_pool_.empty() && std::ranges::equal(pool, resolved_pool_, {}, &PoolMember::name);
  }

  // Maps chain names to pool indices, checking that the chain is a subsequence of the
  // pool that ends at the target.
  void resolve(std::span<const PoolMember> pool) {
    plan_ = {specrouter::resolve_chain(pool, chain_names_, owner_), draft_lengths_};
    resolved_pool_.clear();
    for (const PoolMember& model : pool) resolved_pool_.push_back(model.name);
  }

  std::string owner_;                       // "scheduler 'static'", for messages
  std::vector<std::string> chain_names_;    // as configured; empty = target only
  std::vector<int> draft_lengths_;          // one per level below the target
  std::vector<std::string> resolved_pool_;  // pool names `plan_` was resolved for
  specrouter::Plan plan_;
};

}  // namespace

SPECROUTER_PLUGIN(registrar) {
  registrar.add<specrouter::Scheduler>(
      {"static",
       "the same plan every step: a fixed chain of pool models and fixed draft lengths",
       {specrouter::string_list_param(
            "chain", {}, "pool models, cheapest first, ending at the target; empty = target only"),
        specrouter::int_list_param(
            "draft_lengths", {}, "tokens each model below the target proposes, one per such model")}},
      [](const specrouter::Params& params) { return std::make_unique<StaticScheduler>(params); });
}
