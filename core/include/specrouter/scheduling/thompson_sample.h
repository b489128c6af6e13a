#pragma once

/// @file
/// @brief One Thompson sample of a pool's estimates: every pair's acceptance rate drawn
/// from its belief, forward costs as they are. Planning the best plan of the sample, each
/// step anew, is Thompson sampling over plans (docs/design/robust_routing.md).

#include <random>
#include <vector>

#include "specrouter/scheduling/performance_estimates.h"

namespace specrouter {

/// `estimates` with each pair's acceptance rate replaced by one draw from its
/// acceptance_belief(); a pair without a belief keeps its rate. Forward times are read
/// through from `estimates`, which must outlive the sample.
class ThompsonSample final : public PerformanceEstimates {
 public:
  /// Draws every pair (drafter < verifier) in row-major order from `rng`, so the same
  /// rng state gives the same sample.
  ThompsonSample(const PerformanceEstimates& estimates, std::mt19937_64& rng);

  int pool_size() const override { return estimates_.pool_size(); }
  double forward_seconds(int model, int tokens_per_sequence, int batch_size, double context_length) const override {
    return estimates_.forward_seconds(model, tokens_per_sequence, batch_size, context_length);
  }
  /// The drawn rate. Throws UsageError for a pair that is not drafter < verifier.
  double acceptance_rate(int drafter, int verifier) const override;

 private:
  const PerformanceEstimates& estimates_;
  std::vector<double> rates_;  // [pool_size, pool_size], above the diagonal
};

}  // namespace specrouter
