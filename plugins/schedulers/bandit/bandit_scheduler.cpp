// The bandit scheduler: learns which plan commits the most target tokens per second by
// trying plans and observing their steps, with no cost model.
//
//   scheduler: {plugin: bandit, policy: ucb, forgetting: discount, discount: 0.99}
//
// Arms are plans: every plan of enumerate_plans within max_chain_length and
// max_draft_length (target-only among them), or the `arms` list, e.g.
// ["target", "small:4 target", "small:1 medium:3 target"] (each model below the target
// followed by its draft length; target-only is added when not listed). One plan serves
// the whole batch each step. The reward of a step is committed target tokens (all
// sequences) per second of the step, divided by `reward_scale` or, when that is 0, by the
// largest reward seen so far, so rewards lie in [0, 1] and UCB's exploration term is on
// their scale. Every arm is tried once first, in order; then `policy` chooses: `ucb`
// (UCB1 on discounted or windowed statistics: discounted UCB, Garivier & Moulines 2011,
// or sliding-window UCB) or `thompson` (Gaussian Thompson sampling on the same
// statistics). Forgetting is what lets it follow a pool whose speeds change mid-run.
//
// A scheduler that is never told outcomes (observe) plans the first arm every step
// (target-only when the arms are enumerated). See docs/design/bandit_scheduler.md.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <span>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "bandit_policy.h"
#include "specrouter/error.h"
#include "specrouter/plugin/plugin_api.h"
#include "specrouter/scheduler.h"
#include "specrouter/scheduling/pool_names.h"
#include "specrouter/scheduling/chain_cost.h"
#include "specrouter/scheduling/plan_search.h"

namespace {

using specrouter::ConfigError;
using specrouter::Plan;
using specrouter::PoolMember;
using specrouter::bandit::Forgetting;
using specrouter::bandit::Policy;

// Parses one `arms` entry, "small:1 medium:3 target", against the pool.
Plan parse_arm(const std::string& owner, const std::string& text, std::span<const PoolMember> pool) {
  const std::string where = owner + ": arms entry '" + text + "'";
  std::istringstream words(text);
  std::vector<std::string> levels;
  for (std::string word; words >> word;) levels.push_back(word);
  if (levels.empty()) throw ConfigError(where + " is empty; write e.g. 'small:4 target'");
  Plan plan;
  for (std::size_t i = 0; i < levels.size(); ++i) {
    const bool top = i + 1 == levels.size();
    const std::size_t colon = levels[i].find(':');
    if (top != (colon == std::string::npos)) {
      throw ConfigError(where + ": '" + levels[i] + "' " +
                        (top ? "is the target and takes no draft length" : "needs a draft length, as 'name:4'"));
    }
    const std::string name = levels[i].substr(0, colon);
    const int index = specrouter::find_pool_model(pool, name);
    if (index < 0) throw ConfigError(where + ": '" + name + "' is not a pool model (pool: " + specrouter::pool_names(pool) + ")");
    if (!plan.chain.empty() && index <= plan.chain.back()) {
      throw ConfigError(where + ": '" + name + "' must come after '" + pool[plan.chain.back()].name +
                        "' in pool order (pool: " + specrouter::pool_names(pool) + ")");
    }
    plan.chain.push_back(index);
    if (top) break;
    const std::string length = levels[i].substr(colon + 1);
    std::size_t parsed = 0;
    long value = 0;
    try {
      value = std::stol(length, &parsed);
    } catch (const std::exception&) {
      parsed = 0;
    }
    if (parsed != length.size() || length.empty() || value < 1 || value > 1'000'000) {
      throw ConfigError(where + ": draft length '" + length + "' of '" + name + "' must be an integer in [1, 1000000]");
    }
    plan.draft_lengths.push_back(static_cast<int>(value));
  }
  if (plan.chain.back() != static_cast<int>(pool.size()) - 1) {
    throw ConfigError(where + " ends at '" + pool[plan.chain.back()].name + "', but must end at the target '" +
                      pool.back().name + "' (the last pool model)");
  }
  return plan;
}

Policy parse_policy(const std::string& owner, const std::string& name) {
  if (name == "ucb") return Policy::kUcb;
  if (name == "thompson") return Policy::kThompson;
  throw ConfigError(owner + ": policy is '" + name + "', must be 'ucb' or 'thompson'");
}

Forgetting parse_forgetting(const std::string& owner, const std::string& name) {
  if (name == "none") return Forgetting::kNone;
  if (name == "discount") return Forgetting::kDiscount;
  if (name == "window") return Forgetting::kWindow;
  throw ConfigError(owner + ": forgetting is '" + name + "', must be 'none', 'discount' or 'window'");
}

// A float parameter checked to be finite and within (minimum, maximum) or [minimum, ...].
double float_in(const specrouter::Params& params, const std::string& name, double minimum, bool minimum_allowed,
                double maximum, bool maximum_allowed) {
  const double value = params.get<double>(name);
  const bool above = minimum_allowed ? value >= minimum : value > minimum;
  const bool below = maximum_allowed ? value <= maximum : value < maximum;
  if (!std::isfinite(value) || !above || !below) {
    std::ostringstream range;
    range << (minimum_allowed ? "[" : "(") << minimum << ", " << maximum << (maximum_allowed ? "]" : ")");
    throw ConfigError(params.owner() + ": " + name + " is " + std::to_string(value) + ", must be in " + range.str());
  }
  return value;
}

class BanditScheduler final : public specrouter::Scheduler {
 public:
  explicit BanditScheduler(const specrouter::Params& params)
      : owner_(params.owner()),
        listed_arms_(params.get<std::vector<std::string>>("arms")),
        limits_{static_cast<int>(params.get_int_in("max_draft_length", 1, 1'000'000)),
                static_cast<int>(params.get_int_in("max_chain_length", 0, 1'000'000))},
        max_arms_(static_cast<int>(params.get_int_in("max_arms", 1, 1'000'000))),
        forgetting_(parse_forgetting(owner_, params.get<std::string>("forgetting"))),
        discount_(float_in(params, "discount", 0, false, 1, false)),
        window_(static_cast<int>(params.get_int_in("window", 1, 100'000'000))),
        reward_scale_(float_in(params, "reward_scale", 0, true, INFINITY, false)),
        rng_(static_cast<std::uint64_t>(params.get<std::int64_t>("seed"))) {
    settings_.policy = parse_policy(owner_, params.get<std::string>("policy"));
    settings_.exploration = float_in(params, "exploration", 0, true, INFINITY, false);
    settings_.min_std = float_in(params, "min_std", 0, false, INFINITY, false);
  }

  Plan plan(const specrouter::SchedulingContext& context) override {
    if (!resolved_for(context.pool)) resolve(context.pool);
    return arms_[static_cast<std::size_t>(
        specrouter::bandit::choose_arm(*history_, current_scale(), settings_, rng_))];
  }

  void observe(const specrouter::StepOutcome& outcome) override {
    if (!std::isfinite(outcome.seconds) || outcome.seconds <= 0) {
      throw specrouter::UsageError(owner_ + ": observed a step of " + std::to_string(outcome.seconds) +
                                   " seconds, must be finite and > 0");
    }
    if (outcome.committed_tokens < 0) {
      throw specrouter::UsageError(owner_ + ": observed " + std::to_string(outcome.committed_tokens) +
                                   " committed tokens, must be >= 0");
    }
    if (!history_) return;  // nothing planned yet: no arms to credit
    const int arm = arm_of(outcome.plan);
    if (arm < 0) return;  // a plan it did not choose teaches nothing about its arms
    const double reward = static_cast<double>(outcome.committed_tokens) / outcome.seconds;
    largest_reward_ = std::max(largest_reward_, reward);
    history_->add(arm, reward);
  }

 private:
  bool resolved_for(std::span<const PoolMember> pool) const {
    if (!history_ || pool.size() != resolved_pool_.size()) return false;
    for (std::size_t i = 0; i < pool.size(); ++i) {
      if (pool[i].name != resolved_pool_[i]) return false;
    }
    return true;
  }

  // Builds the arms for `pool` and starts learning afresh (a new pool is a new problem).
  void resolve(std::span<const PoolMember> pool) {
    if (pool.empty()) throw ConfigError(owner_ + ": the pool is empty, there is no target to plan for");
    const int pool_size = static_cast<int>(pool.size());
    std::vector<Plan> arms;
    if (listed_arms_.empty()) {
      const std::int64_t count = specrouter::count_plans(pool_size, limits_);
      if (count > max_arms_) {
        throw ConfigError(owner_ + ": a pool of " + std::to_string(pool_size) + " models with max_chain_length " +
                          std::to_string(limits_.max_chain_length) + " and max_draft_length " +
                          std::to_string(limits_.max_draft_length) + " has " + std::to_string(count) +
                          " plans, above max_arms " + std::to_string(max_arms_) +
                          "; lower the limits or list the arms");
      }
      arms = specrouter::enumerate_plans(pool_size, limits_);
    } else {
      const Plan target_only{{pool_size - 1}, {}};
      bool has_target_only = false;
      for (const std::string& text : listed_arms_) {
        Plan arm = parse_arm(owner_, text, pool);
        for (const Plan& earlier : arms) {
          if (earlier.chain == arm.chain && earlier.draft_lengths == arm.draft_lengths) {
            throw ConfigError(owner_ + ": arms lists " + specrouter::plan_to_string(arm) + " twice ('" + text + "')");
          }
        }
        has_target_only = has_target_only || arm.chain == target_only.chain;
        arms.push_back(std::move(arm));
      }
      if (!has_target_only) arms.insert(arms.begin(), target_only);
      if (static_cast<int>(arms.size()) > max_arms_) {
        throw ConfigError(owner_ + ": arms has " + std::to_string(arms.size()) + " plans, above max_arms " +
                          std::to_string(max_arms_));
      }
    }
    if (forgetting_ == Forgetting::kWindow && window_ <= static_cast<int>(arms.size())) {
      throw ConfigError(owner_ + ": window is " + std::to_string(window_) + " steps, must exceed the " +
                        std::to_string(arms.size()) + " arms, or arms fall out of it before they are compared");
    }
    arms_ = std::move(arms);
    history_.emplace(static_cast<int>(arms_.size()), forgetting_, discount_, window_);
    largest_reward_ = 0;
    resolved_pool_.clear();
    for (const PoolMember& model : pool) resolved_pool_.push_back(model.name);
  }

  int arm_of(const Plan& plan) const {
    for (std::size_t i = 0; i < arms_.size(); ++i) {
      if (arms_[i].chain == plan.chain && arms_[i].draft_lengths == plan.draft_lengths) return static_cast<int>(i);
    }
    return -1;
  }

  // What rewards are divided by: the configured scale, else the largest reward seen
  // (1 before any, or when every step committed nothing).
  double current_scale() const {
    if (reward_scale_ > 0) return reward_scale_;
    return largest_reward_ > 0 ? largest_reward_ : 1.0;
  }

  std::string owner_;                             // "scheduler 'bandit'", for messages
  std::vector<std::string> listed_arms_;          // as configured; empty = enumerate
  specrouter::PlanSearchLimits limits_;           // the enumerated arms
  int max_arms_;                                  // refuse more arms than this
  Forgetting forgetting_;
  double discount_;                               // read for Forgetting::kDiscount
  int window_;                                    // read for Forgetting::kWindow
  double reward_scale_;                           // 0 = the largest reward seen
  specrouter::bandit::PolicySettings settings_;
  std::mt19937_64 rng_;                           // Thompson's draws

  std::vector<std::string> resolved_pool_;        // pool names the arms were built for
  std::vector<Plan> arms_;                        // [arms]
  std::optional<specrouter::bandit::ArmHistory> history_;  // empty until the first plan()
  double largest_reward_ = 0;                     // tokens per second
};

}  // namespace

SPECROUTER_PLUGIN(registrar) {
  using specrouter::float_param;
  using specrouter::int_param;
  using specrouter::string_param;
  registrar.add<specrouter::Scheduler>(
      {"bandit",
       "learns the plan with the most committed tokens per second from observed steps (discounted UCB or "
       "Thompson sampling over plans)",
       {string_param("policy", "ucb", "ucb (UCB1 index) or thompson (Gaussian Thompson sampling)"),
        string_param("forgetting", "discount",
                     "none (stationary), discount (weights decay by `discount` per step) or window (last `window` "
                     "steps)"),
        float_param("discount", 0.99, "per-step weight decay with forgetting: discount, in (0, 1)"),
        int_param("window", 200, "steps remembered with forgetting: window (more than the number of arms)"),
        float_param("exploration", 0.05, "UCB's c in mean + c sqrt(ln n / n_i), on normalised rewards (>= 0)"),
        float_param("min_std", 0.05, "Thompson: floor on an arm's normalised reward std (> 0)"),
        float_param("reward_scale", 0.0,
                    "tokens per second that normalise to 1; 0 = the largest reward seen so far"),
        specrouter::string_list_param("arms", {},
                                      "plans to choose among, as 'small:1 medium:3 target'; empty = every plan "
                                      "within the limits (target-only is always an arm)"),
        int_param("max_draft_length", 4, "longest draft of an enumerated arm (>= 1)"),
        int_param("max_chain_length", 3, "most models in an enumerated arm's chain, target included; 0 = whole pool"),
        int_param("max_arms", 256, "refuse more arms than this"),
        int_param("seed", 0, "seed of Thompson sampling's random draws")}},
      [](const specrouter::Params& params) { return std::make_unique<BanditScheduler>(params); });
}
