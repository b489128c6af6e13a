// The chain cost model: expected tokens per round, the level-by-level composition, and
// checked reads of the estimates it composes. Derivation: docs/design/chain_cost_model.md.

#include "specrouter/scheduling/chain_cost.h"

#include <cmath>
#include <cstdio>
#include <string>

#include "cost_table.h"
#include "specrouter/error.h"

namespace specrouter {

namespace {

std::string list(const std::vector<int>& values) {
  std::string out = "[";
  for (std::size_t i = 0; i < values.size(); ++i) out += (i ? ", " : "") + std::to_string(values[i]);
  return out + "]";
}

}  // namespace

double expected_tokens_per_round(double acceptance, int draft_length) {
  if (!(acceptance >= 0 && acceptance <= 1)) {
    throw UsageError("expected_tokens_per_round: acceptance " + detail::number(acceptance) + " is not in [0, 1]");
  }
  if (draft_length < 0) {
    throw UsageError("expected_tokens_per_round: draft_length " + std::to_string(draft_length) + " is negative");
  }
  // sum_{m=0..k} a^m = (1 - a^(k+1)) / (1 - a). Written with expm1/log1p so it stays
  // accurate as a approaches 1, where 1 - a^(k+1) would cancel; 1 - a is exact there.
  const double rejection = 1 - acceptance;
  if (rejection == 0) return draft_length + 1.0;
  return -std::expm1((draft_length + 1.0) * std::log1p(-rejection)) / rejection;
}

double level_seconds_per_token(double drafter_seconds_per_token, int draft_length, double verify_seconds,
                               double acceptance) {
  const double round_seconds = draft_length * drafter_seconds_per_token + verify_seconds;
  return round_seconds / expected_tokens_per_round(acceptance, draft_length);
}

void check_plan(const Plan& plan, int pool_size) {
  const auto refuse = [&](const std::string& fault) {
    throw UsageError("plan " + plan_to_string(plan) + " for a pool of " + std::to_string(pool_size) +
                     " models: " + fault);
  };
  if (plan.chain.empty()) refuse("the chain is empty, it must end at the target");
  for (std::size_t level = 0; level < plan.chain.size(); ++level) {
    const int model = plan.chain[level];
    if (model < 0 || model >= pool_size) refuse("chain[" + std::to_string(level) + "] is not a pool index");
    if (level > 0 && model <= plan.chain[level - 1]) {
      refuse("chain[" + std::to_string(level) + "] does not follow pool order (strictly increasing indices)");
    }
  }
  if (plan.chain.back() != pool_size - 1) refuse("the chain does not end at the target, pool index " +
                                                 std::to_string(pool_size - 1));
  if (plan.draft_lengths.size() + 1 != plan.chain.size()) {
    refuse("draft_lengths needs " + std::to_string(plan.chain.size() - 1) + " entries, one per level below the target");
  }
  for (std::size_t level = 0; level < plan.draft_lengths.size(); ++level) {
    if (plan.draft_lengths[level] < 1) refuse("draft_lengths[" + std::to_string(level) + "] is below 1");
  }
  if (plan.drafter_length < kExecutorDrafterLength) {
    refuse("drafter_length is " + std::to_string(plan.drafter_length) +
           "; it must be >= 0, or kExecutorDrafterLength (-1) for the executor's");
  }
}

std::string plan_to_string(const Plan& plan) {
  std::string text = "chain " + list(plan.chain) + " draft_lengths " + list(plan.draft_lengths);
  if (plan.drafter_length != kExecutorDrafterLength) text += " drafter_length " + std::to_string(plan.drafter_length);
  return text;
}

ChainPrediction predict_chain(const Plan& plan, const PerformanceEstimates& estimates, BatchShape batch) {
  detail::check_batch(batch);
  check_plan(plan, estimates.pool_size());

  ChainPrediction prediction;
  LevelPrediction bottom;  // drafts alone: one pass per token
  bottom.model = plan.chain.front();
  bottom.round_seconds = detail::checked_forward_seconds(estimates, bottom.model, 1, batch);
  bottom.seconds_per_token = bottom.round_seconds;
  prediction.levels.push_back(bottom);

  for (std::size_t level = 1; level < plan.chain.size(); ++level) {
    const LevelPrediction& below = prediction.levels.back();
    LevelPrediction current;
    current.model = plan.chain[level];
    current.draft_length = plan.draft_lengths[level - 1];
    current.acceptance = detail::checked_acceptance_rate(estimates, below.model, current.model);
    const double verify_seconds =
        detail::checked_forward_seconds(estimates, current.model, current.draft_length + 1, batch);
    current.expected_tokens_per_round = expected_tokens_per_round(current.acceptance, current.draft_length);
    current.round_seconds = current.draft_length * below.seconds_per_token + verify_seconds;
    current.seconds_per_token =
        level_seconds_per_token(below.seconds_per_token, current.draft_length, verify_seconds, current.acceptance);
    prediction.levels.push_back(current);
  }
  return prediction;
}

double predict_time_per_token(const Plan& plan, const PerformanceEstimates& estimates, BatchShape batch) {
  return predict_chain(plan, estimates, batch).seconds_per_token();
}

namespace detail {

std::string number(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", value);
  return text;
}

void check_batch(BatchShape batch) {
  if (batch.batch_size < 1) {
    throw UsageError("batch_size " + std::to_string(batch.batch_size) + " is below 1");
  }
  if (!std::isfinite(batch.context_length) || batch.context_length < 0) {
    throw UsageError("context_length " + detail::number(batch.context_length) + " must be finite and >= 0");
  }
}

double checked_forward_seconds(const PerformanceEstimates& estimates, int model, int tokens_per_sequence,
                               BatchShape batch) {
  const double seconds = estimates.forward_seconds(model, tokens_per_sequence, batch.batch_size, batch.context_length);
  if (!std::isfinite(seconds) || seconds < 0) {
    throw UsageError("estimates: forward_seconds(model " + std::to_string(model) + ", " +
                     std::to_string(tokens_per_sequence) + " tokens, batch " + std::to_string(batch.batch_size) +
                     ", context " + detail::number(batch.context_length) + ") is " + detail::number(seconds) +
                     ", must be finite and >= 0");
  }
  return seconds;
}

double checked_acceptance_rate(const PerformanceEstimates& estimates, int drafter, int verifier) {
  const double rate = estimates.acceptance_rate(drafter, verifier);
  if (!(rate >= 0 && rate <= 1)) {
    throw UsageError("estimates: acceptance_rate(drafter " + std::to_string(drafter) + ", verifier " +
                     std::to_string(verifier) + ") is " + detail::number(rate) + ", must be in [0, 1]");
  }
  return rate;
}

ChainCostTable::ChainCostTable(const PerformanceEstimates& estimates, BatchShape batch, int max_draft_length)
    : pool_size_(estimates.pool_size()), max_draft_length_(max_draft_length) {
  check_batch(batch);
  if (pool_size_ < 1) throw UsageError("estimates cover " + std::to_string(pool_size_) + " models, need >= 1");
  if (max_draft_length < 1) {
    throw UsageError("max_draft_length " + std::to_string(max_draft_length) + " is below 1");
  }
  single_token_seconds_.resize(pool_size_);
  verify_seconds_.resize(static_cast<std::size_t>(pool_size_) * max_draft_length_);
  acceptance_.assign(static_cast<std::size_t>(pool_size_) * pool_size_, 0.0);
  for (int model = 0; model < pool_size_; ++model) {
    single_token_seconds_[model] = checked_forward_seconds(estimates, model, 1, batch);
    for (int length = 1; length <= max_draft_length_; ++length) {
      verify_seconds_[model * max_draft_length_ + length - 1] = checked_forward_seconds(estimates, model, length + 1, batch);
    }
    for (int verifier = model + 1; verifier < pool_size_; ++verifier) {
      acceptance_[model * pool_size_ + verifier] = checked_acceptance_rate(estimates, model, verifier);
    }
  }
}

double ChainCostTable::seconds_per_token(const Plan& plan) const {
  double seconds = single_token_seconds(plan.chain.front());
  for (std::size_t level = 1; level < plan.chain.size(); ++level) {
    const int length = plan.draft_lengths[level - 1];
    seconds = level_seconds_per_token(seconds, length, verify_seconds(plan.chain[level], length),
                                      acceptance(plan.chain[level - 1], plan.chain[level]));
  }
  return seconds;
}

}  // namespace detail
}  // namespace specrouter
