// The SGLang-adaptive scheduler: SGLang's adaptive speculative steps (--speculative-adaptive,
// python/sglang/srt/speculative/adaptive_spec_params.py, AdaptiveStepSlot) on a fixed
// 2-level chain. It keeps an exponential moving average of the draft tokens each
// sequence got accepted per step and moves the draft length K over a ladder of tiers:
//
//   scheduler: {plugin: sglang_adaptive, chain: [draft, target], tiers: [1, 3, 5, 7]}
//
// After each observed step of its chain with K > 0,
//   accepted = committed_tokens / (batch_size x target_passes) - 1   (clamped to [0, K])
//   ema      = (1 - ema_alpha) ema + ema_alpha accepted
// After `warmup_steps` steps, every `update_interval` steps (the least number of steps
// between two switches) it decides:
//   - down: while the tier below, K', has ema <= K' - 0.5 + down_hysteresis (for K' = 0:
//     0.5 + down_hysteresis), step down to it (several tiers at once if need be);
//   - else up: while ema > K - 0.5 + up_hysteresis, step up (drafts accepted in full
//     ask for a longer draft);
//   - at K = 0 (plain decoding, nothing to measure) it steps up one tier to probe.
// The EMA starts at K0 - 1 for the initial tier K0. See docs/design/engine_controllers.md.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <span>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "specrouter/error.h"
#include "specrouter/plugin/plugin_api.h"
#include "specrouter/scheduler.h"
#include "specrouter/scheduling/pool_names.h"

namespace {

using specrouter::ConfigError;
using specrouter::PoolMember;

constexpr std::int64_t kMaxDraftLength = 1'000'000;

std::string number(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

// SGLang's tier ladder: the EMA of accepted draft tokens per sequence and step, and the
// rule that moves the draft length over `tiers`. Knows nothing of pools or plans.
class TierLadder {
 public:
  struct Settings {
    std::vector<int> tiers;  // increasing, >= 0
    int initial_tier = 0;    // index into tiers
    double ema_alpha = 0.2;
    int warmup_steps = 10;
    int update_interval = 5;
    double up_hysteresis = 0.0;
    double down_hysteresis = -0.25;
  };

  explicit TierLadder(Settings settings) : settings_(std::move(settings)) { reset(); }

  // Back to the initial tier, the EMA at its neutral value, no steps seen.
  void reset() {
    tier_ = settings_.initial_tier;
    ema_ = static_cast<double>(draft_length()) - 1;
    steps_ = 0;
  }

  int draft_length() const { return settings_.tiers[static_cast<std::size_t>(tier_)]; }

  // One step that ran draft length `ran` (0 = target only) and got `accepted` draft
  // tokens accepted per sequence; then, when due, the tier decision.
  void record(int ran, double accepted) {
    if (ran > 0) {
      accepted = std::clamp(accepted, 0.0, static_cast<double>(ran));
      ema_ = (1 - settings_.ema_alpha) * ema_ + settings_.ema_alpha * accepted;
    }
    ++steps_;
    if (steps_ <= settings_.warmup_steps) return;
    if ((steps_ - settings_.warmup_steps) % settings_.update_interval != 0) return;
    decide();
  }

 private:
  void decide() {
    const std::vector<int>& tiers = settings_.tiers;
    const int top = static_cast<int>(tiers.size()) - 1;
    if (draft_length() == 0) {
      // Plain decoding measures no acceptance: probe the next tier up, starting its EMA
      // at that tier's neutral value if it never had one.
      tier_ = std::min(tier_ + 1, top);
      if (draft_length() > 0 && ema_ < 0) ema_ = static_cast<double>(draft_length()) - 1;
      return;
    }
    const int before = tier_;
    while (tier_ > 0) {
      const int lower = tiers[static_cast<std::size_t>(tier_ - 1)];
      const double drop_at = (lower == 0 ? 0.5 : lower - 0.5) + settings_.down_hysteresis;
      if (ema_ > drop_at) break;
      --tier_;
    }
    if (tier_ < before) return;
    while (tier_ < top && ema_ > draft_length() - 0.5 + settings_.up_hysteresis) ++tier_;
  }

  Settings settings_;
  int tier_ = 0;            // index of the current draft length in tiers
  double ema_ = 0;          // accepted draft tokens per sequence and step, smoothed
  std::int64_t steps_ = 0;  // steps recorded since the last reset
};

// Reads and checks the ladder's parameters.
TierLadder::Settings ladder_settings(const specrouter::Params& params) {
  const std::string& owner = params.owner();
  TierLadder::Settings settings;
  const auto& tiers = params.get<std::vector<std::int64_t>>("tiers");
  if (tiers.empty()) {
    throw ConfigError(owner + ": tiers is empty; give the draft lengths to move between, e.g. [1, 3, 5, 7]");
  }
  for (std::size_t i = 0; i < tiers.size(); ++i) {
    const std::string at = "tiers[" + std::to_string(i) + "]";
    if (tiers[i] < 0 || tiers[i] > kMaxDraftLength) {
      throw ConfigError(owner + ": " + at + " is " + std::to_string(tiers[i]) + ", must be in [0, " +
                        std::to_string(kMaxDraftLength) + "] (0 = target-only decoding)");
    }
    if (i > 0 && tiers[i] <= tiers[i - 1]) {
      throw ConfigError(owner + ": " + at + " is " + std::to_string(tiers[i]) + ", must exceed tiers[" +
                        std::to_string(i - 1) + "] (" + std::to_string(tiers[i - 1]) +
                        "): tiers increase, each draft length once");
    }
    settings.tiers.push_back(static_cast<int>(tiers[i]));
  }

  const std::int64_t initial = params.get<std::int64_t>("initial_draft_length");
  if (initial < 0) {
    if (initial != -1) {
      throw ConfigError(owner + ": initial_draft_length is " + std::to_string(initial) +
                        ", must be one of the tiers or -1 (the middle tier)");
    }
    settings.initial_tier = static_cast<int>(settings.tiers.size() / 2);
  } else {
    const auto found = std::find(settings.tiers.begin(), settings.tiers.end(), initial);
    if (found == settings.tiers.end()) {
      throw ConfigError(owner + ": initial_draft_length is " + std::to_string(initial) +
                        ", not one of the tiers (or -1, the middle tier)");
    }
    settings.initial_tier = static_cast<int>(found - settings.tiers.begin());
  }

  settings.ema_alpha = params.get<double>("ema_alpha");
  if (!std::isfinite(settings.ema_alpha) || settings.ema_alpha <= 0 || settings.ema_alpha > 1) {
    throw ConfigError(owner + ": ema_alpha is " + number(settings.ema_alpha) + ", must be in (0, 1]");
  }
  settings.warmup_steps = static_cast<int>(params.get_int_in("warmup_steps", 0, 1'000'000'000));
  settings.update_interval = static_cast<int>(params.get_int_in("update_interval", 1, 1'000'000'000));
  for (const char* key : {"up_hysteresis", "down_hysteresis"}) {
    const double value = params.get<double>(key);
    if (!std::isfinite(value)) throw ConfigError(owner + ": " + key + " is " + number(value) + ", must be finite");
  }
  settings.up_hysteresis = params.get<double>("up_hysteresis");
  settings.down_hysteresis = params.get<double>("down_hysteresis");
  return settings;
}

class SglangAdaptiveScheduler final : public specrouter::Scheduler {
 public:
  explicit SglangAdaptiveScheduler(const specrouter::Params& params)
      : owner_(params.owner()),
        chain_names_(params.get<std::vector<std::string>>("chain")),
        ladder_(ladder_settings(params)) {
    if (!chain_names_.empty() && chain_names_.size() != 2) {
      throw ConfigError(owner_ + ": chain has " + std::to_string(chain_names_.size()) +
                        " models, must have 2, a drafting model and the target (empty = the pool's cheapest model "
                        "and the target): SGLang adapts the one draft length of a 2-level chain");
    }
  }

  specrouter::Plan plan(const specrouter::SchedulingContext& context) override {
    if (!resolved_for(context.pool)) resolve(context.pool);
    const int draft_length = ladder_.draft_length();
    if (draft_length == 0) return {{chain_.back()}, {}};
    return {chain_, {draft_length}};
  }

  // Steps of another chain (a plan this scheduler did not make) are ignored.
  void observe(const specrouter::StepOutcome& outcome) override {
    if (outcome.batch_size < 1) {
      throw specrouter::UsageError(owner_ + ": observed a step of " + std::to_string(outcome.batch_size) +
                                   " sequences, must be >= 1");
    }
    if (outcome.committed_tokens < 0) {
      throw specrouter::UsageError(owner_ + ": observed " + std::to_string(outcome.committed_tokens) +
                                   " committed tokens, must be >= 0");
    }
    if (chain_.empty()) return;  // nothing planned yet
    const specrouter::Plan& ran = outcome.plan;
    const bool target_only = ran.chain.size() == 1 && ran.chain.front() == chain_.back();
    if (!target_only && (ran.chain != chain_ || ran.draft_lengths.size() != 1)) return;
    const int draft_length = target_only ? 0 : ran.draft_lengths.front();
    // One round per target pass: each sequence commits its accepted drafts plus one token.
    const double rounds = static_cast<double>(outcome.batch_size) * std::max(outcome.target_passes, 1);
    ladder_.record(draft_length, static_cast<double>(outcome.committed_tokens) / rounds - 1);
  }

 private:
  bool resolved_for(std::span<const PoolMember> pool) const {
    return !resolved_pool_.empty() && std::ranges::equal(pool, resolved_pool_, {}, &PoolMember::name);
  }

  // Maps the chain to pool indices and starts afresh (a new pool is a new problem).
  void resolve(std::span<const PoolMember> pool) {
    chain_ = specrouter::resolve_drafting_chain(pool, chain_names_, owner_);  // two names, checked at construction
    ladder_.reset();
    resolved_pool_.clear();
    for (const PoolMember& model : pool) resolved_pool_.push_back(model.name);
  }

  std::string owner_;                       // "scheduler 'sglang_adaptive'", for messages
  std::vector<std::string> chain_names_;    // as configured; empty = cheapest model and target
  TierLadder ladder_;
  std::vector<std::string> resolved_pool_;  // pool names `chain_` was resolved for
  std::vector<int> chain_;                  // {drafter, target} pool indices; empty until planned
};

}  // namespace

SPECROUTER_PLUGIN(registrar) {
  using specrouter::float_param;
  using specrouter::int_param;
  registrar.add<specrouter::Scheduler>(
      {"sglang_adaptive",
       "SGLang's adaptive speculative steps: the draft length of a 2-level chain moves over tiers with an EMA of "
       "the accepted length (hysteresis, a decision every update_interval steps)",
       {specrouter::string_list_param("chain", {},
                                      "the drafting model and the target; empty = the pool's cheapest model and "
                                      "the target"),
        specrouter::int_list_param("tiers", {1, 3, 5, 7},
                                   "draft lengths to move between, increasing (0 = target-only decoding)"),
        int_param("initial_draft_length", -1, "the tier to start at; -1 = the middle tier, tiers[size / 2]"),
        float_param("ema_alpha", 0.2, "weight of the newest step in the EMA of accepted draft tokens, in (0, 1]"),
        int_param("warmup_steps", 10, "steps observed before the first decision (>= 0)"),
        int_param("update_interval", 5, "steps between decisions, so the least between two switches (>= 1)"),
        float_param("up_hysteresis", 0.0, "step up from K when the EMA exceeds K - 0.5 + up_hysteresis"),
        float_param("down_hysteresis", -0.25,
                    "step down to the tier K' below when the EMA is at most K' - 0.5 + down_hysteresis")}},
      [](const specrouter::Params& params) { return std::make_unique<SglangAdaptiveScheduler>(params); });
}
