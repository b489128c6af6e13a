#pragma once

// Private to core/src/scheduling: checked reads of PerformanceEstimates, and the table of
// every forward-pass time a plan search needs, read once per search.

#include <string>
#include <vector>

#include "specrouter/scheduler.h"
#include "specrouter/scheduling/chain_cost.h"
#include "specrouter/scheduling/performance_estimates.h"

namespace specrouter::detail {

// `value` as %g writes it ("1.5", "2e-05", "nan"), for messages.
std::string number(double value);

// Throws UsageError unless batch_size >= 1 and context_length is finite and >= 0.
void check_batch(BatchShape batch);

// estimates.forward_seconds(...), refused with UsageError unless finite and >= 0.
double checked_forward_seconds(const PerformanceEstimates& estimates, int model, int tokens_per_sequence,
                               BatchShape batch);

// estimates.acceptance_rate(...), refused with UsageError unless in [0, 1].
double checked_acceptance_rate(const PerformanceEstimates& estimates, int drafter, int verifier);

// Every number a search over plans with draft lengths up to `max_draft_length` reads,
// fetched and checked once: n + n*K forward times and n*(n-1)/2 rates. Predictions from
// the table are bit-identical to predict_chain's, since both compose the same values with
// level_seconds_per_token in the same order.
class ChainCostTable {
 public:
  ChainCostTable(const PerformanceEstimates& estimates, BatchShape batch, int max_draft_length);

  int pool_size() const { return pool_size_; }
  int max_draft_length() const { return max_draft_length_; }

  // A pass of `model` over one token per sequence: its time per token when it drafts alone.
  double single_token_seconds(int model) const { return single_token_seconds_[model]; }
  // A pass of `model` verifying `draft_length` (1..K) tokens, i.e. over draft_length + 1.
  double verify_seconds(int model, int draft_length) const {
    return verify_seconds_[model * max_draft_length_ + draft_length - 1];
  }
  double acceptance(int drafter, int verifier) const { return acceptance_[drafter * pool_size_ + verifier]; }

  // predict_time_per_token of a plan known to be valid with lengths <= K (not re-checked).
  double seconds_per_token(const Plan& plan) const;

 private:
  int pool_size_;
  int max_draft_length_;
  std::vector<double> single_token_seconds_;  // [pool_size]
  std::vector<double> verify_seconds_;        // [pool_size, max_draft_length]
  std::vector<double> acceptance_;            // [pool_size, pool_size], above the diagonal
};

}  // namespace specrouter::detail
