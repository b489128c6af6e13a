#pragma once

/// @file
/// @brief The predicted time per committed target token of a plan, composed level by
/// level up the chain.
///
/// Level 1 of a chain drafts autoregressively; level i+1 produces tokens by speculative
/// decoding with the sub-chain below as its drafter. With per-token acceptance rate a
/// between consecutive levels and draft length k, one round of level i+1 costs
/// `k * T_i + cost(M_{i+1}, k+1 tokens)` and commits `(1 - a^(k+1)) / (1 - a)` tokens on
/// average, so
///
///     T_1     = cost(M_1, 1 token)
///     T_{i+1} = (k_i * T_i + cost(M_{i+1}, k_i + 1 tokens)) / ((1 - a_i^(k_i+1)) / (1 - a_i))
///
/// The derivation, its assumptions and what they ignore are in
/// docs/design/chain_cost_model.md.

#include <string>
#include <vector>

#include "specrouter/scheduler.h"
#include "specrouter/scheduling/performance_estimates.h"

namespace specrouter {

/// The batch a plan is predicted for: every sequence runs the same plan in lock step.
struct BatchShape {
  int batch_size = 1;         ///< sequences in the step (>= 1)
  double context_length = 0;  ///< mean cached positions per sequence (>= 0)
};

/// Expected tokens one verification round commits when each of `draft_length` drafted
/// tokens is accepted with probability `acceptance`, independently, until the first
/// rejection: the accepted prefix plus the recovered or bonus token,
/// `(1 - a^(k+1)) / (1 - a)`, which is `k + 1` at a = 1 and 1 at a = 0.
double expected_tokens_per_round(double acceptance, int draft_length);

/// Time per token of a level drafted for by a sub-chain that produces tokens at
/// `drafter_seconds_per_token`: `(draft_length * drafter_seconds_per_token + verify_seconds)
/// / expected_tokens_per_round(acceptance, draft_length)`, where `verify_seconds` is the
/// level's pass over `draft_length + 1` tokens. Increasing in `drafter_seconds_per_token`,
/// which is what makes the chain search a dynamic programme.
double level_seconds_per_token(double drafter_seconds_per_token, int draft_length,
                               double verify_seconds, double acceptance);

/// The prediction for one level of a chain.
struct LevelPrediction {
  int model = 0;                         ///< pool index of the level's model
  int draft_length = 0;                  ///< tokens it receives per round from below (0 at level 1)
  double acceptance = 1;                 ///< rate it accepts the level below's tokens (1 at level 1)
  double expected_tokens_per_round = 1;  ///< tokens it commits per round
  double round_seconds = 0;              ///< drafting below plus its own pass, per round
  double seconds_per_token = 0;          ///< round_seconds / expected_tokens_per_round
};

/// The prediction for a whole plan, level by level, bottom first.
struct ChainPrediction {
  std::vector<LevelPrediction> levels;  ///< one per chain model, cheapest first

  /// Predicted seconds per committed target token for each sequence of the batch (the
  /// top level's time per token).
  double seconds_per_token() const { return levels.back().seconds_per_token; }
};

/// Predicts `plan` level by level. Throws UsageError when the plan does not fit the pool
/// the estimates cover (see check_plan), when `batch` is invalid, or when the estimates
/// return a negative or non-finite time or a rate outside [0, 1].
ChainPrediction predict_chain(const Plan& plan, const PerformanceEstimates& estimates, BatchShape batch);

/// Predicted seconds per committed target token of `plan` for each sequence of the batch;
/// `predict_chain(plan, estimates, batch).seconds_per_token()`.
double predict_time_per_token(const Plan& plan, const PerformanceEstimates& estimates, BatchShape batch);

/// Throws UsageError, naming the plan and the fault, unless `plan.chain` is a strictly
/// increasing list of pool indices ending at the target `pool_size - 1` and
/// `plan.draft_lengths` has one entry >= 1 per level below the target, and
/// `plan.drafter_length` is >= 0 or kExecutorDrafterLength.
void check_plan(const Plan& plan, int pool_size);

/// `chain [0, 2] draft_lengths [4]`, for messages and logs.
std::string plan_to_string(const Plan& plan);

}  // namespace specrouter
