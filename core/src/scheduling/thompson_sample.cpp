#include "specrouter/scheduling/thompson_sample.h"

#include <optional>
#include <string>

#include "specrouter/error.h"

namespace specrouter {

ThompsonSample::ThompsonSample(const PerformanceEstimates& estimates, std::mt19937_64& rng)
    : estimates_(estimates),
      rates_(static_cast<std::size_t>(estimates.pool_size()) * static_cast<std::size_t>(estimates.pool_size()), 0.0) {
  const int models = estimates.pool_size();
  for (int drafter = 0; drafter < models; ++drafter) {
    for (int verifier = drafter + 1; verifier < models; ++verifier) {
      const std::optional<AcceptanceBelief> belief = estimates.acceptance_belief(drafter, verifier);
      rates_[drafter * models + verifier] =
          belief ? belief->sample(rng) : estimates.acceptance_rate(drafter, verifier);
    }
  }
}

double ThompsonSample::acceptance_rate(int drafter, int verifier) const {
  const int models = pool_size();
  if (drafter < 0 || verifier >= models || drafter >= verifier) {
    throw UsageError("ThompsonSample::acceptance_rate: (" + std::to_string(drafter) + ", " + std::to_string(verifier) +
                     ") is not a pair of pool models with drafter < verifier < " + std::to_string(models));
  }
  return rates_[drafter * models + verifier];
}

}  // namespace specrouter
