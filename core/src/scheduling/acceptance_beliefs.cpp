#include "specrouter/scheduling/acceptance_beliefs.h"

#include <cmath>
#include <string>
#include <tuple>
#include <utility>

#include "specrouter/error.h"

namespace specrouter {

double AcceptanceBelief::variance() const {
  const double total = alpha + beta;
  return alpha * beta / (total * total * (total + 1));
}

double AcceptanceBelief::sample(std::mt19937_64& rng) const {
  // Beta(α, β) = X / (X + Y) for X ~ Gamma(α), Y ~ Gamma(β).
  const double x = std::gamma_distribution<double>(alpha, 1.0)(rng);
  const double y = std::gamma_distribution<double>(beta, 1.0)(rng);
  if (x + y <= 0) return mean();  // both underflowed: only possible for tiny α and β
  return x / (x + y);
}

bool BeliefKey::operator<(const BeliefKey& other) const {
  return std::tie(request_class, drafter, verifier) < std::tie(other.request_class, other.drafter, other.verifier);
}

AcceptanceBeliefs::AcceptanceBeliefs(int pool_size, AcceptanceBeliefOptions options)
    : pool_size_(pool_size), options_(std::move(options)) {
  if (pool_size_ < 1) throw UsageError("AcceptanceBeliefs: pool size " + std::to_string(pool_size_) + ", must be >= 1");
  if (!(options_.prior_strength >= 0) || !std::isfinite(options_.prior_strength)) {
    throw UsageError("AcceptanceBeliefs: prior_strength is " + std::to_string(options_.prior_strength) +
                     ", must be finite and >= 0");
  }
  if (!(options_.default_prior_mean > 0 && options_.default_prior_mean < 1)) {
    throw UsageError("AcceptanceBeliefs: default_prior_mean is " + std::to_string(options_.default_prior_mean) +
                     ", must be in (0, 1)");
  }
  if (!(options_.forgetting > 0 && options_.forgetting <= 1)) {
    throw UsageError("AcceptanceBeliefs: forgetting is " + std::to_string(options_.forgetting) + ", must be in (0, 1]");
  }
  const auto& means = options_.prior_means;
  if (!means.empty() && static_cast<int>(means.size()) != pool_size_) {
    throw UsageError("AcceptanceBeliefs: prior_means has " + std::to_string(means.size()) + " rows, the pool has " +
                     std::to_string(pool_size_) + " models");
  }
  for (std::size_t drafter = 0; drafter < means.size(); ++drafter) {
    if (static_cast<int>(means[drafter].size()) != pool_size_) {
      throw UsageError("AcceptanceBeliefs: prior_means[" + std::to_string(drafter) + "] has " +
                       std::to_string(means[drafter].size()) + " entries, the pool has " + std::to_string(pool_size_) +
                       " models");
    }
    for (int verifier = static_cast<int>(drafter) + 1; verifier < pool_size_; ++verifier) {
      const double mean = means[drafter][verifier];
      if (!std::isnan(mean) && !(mean > 0 && mean < 1)) {
        throw UsageError("AcceptanceBeliefs: prior_means[" + std::to_string(drafter) + "][" +
                         std::to_string(verifier) + "] is " + std::to_string(mean) + ", must be in (0, 1)");
      }
    }
  }
}

void AcceptanceBeliefs::observe(const StepResult& step, const std::string& request_class) {
  if (options_.forgetting < 1) {
    for (auto& [key, evidence] : evidence_) {
      evidence.accepted *= options_.forgetting;
      evidence.rejections *= options_.forgetting;
    }
  }
  for (const SequenceStepResult& sequence : step.sequences) {
    for (std::size_t level = 1; level < sequence.levels.size(); ++level) {
      const LevelStats& record = sequence.levels[level];
      const int drafter = sequence.levels[level - 1].pool_index;
      const int verifier = record.pool_index;
      check_pair(drafter, verifier, "AcceptanceBeliefs::observe");
      const auto add = [&](const std::string& cls) {
        BeliefEvidence& evidence = evidence_[BeliefKey{cls, drafter, verifier}];
        evidence.accepted += record.accepted;
        evidence.rejections += record.recovered;
      };
      if (!request_class.empty()) add(request_class);
      add("");
    }
  }
}

double AcceptanceBeliefs::prior_mean(int drafter, int verifier) const {
  check_pair(drafter, verifier, "AcceptanceBeliefs::prior_mean");
  if (options_.prior_means.empty()) return options_.default_prior_mean;
  const double mean = options_.prior_means[drafter][verifier];
  return std::isnan(mean) ? options_.default_prior_mean : mean;
}

AcceptanceBelief AcceptanceBeliefs::belief(int drafter, int verifier, const std::string& request_class) const {
  if (!enabled()) throw UsageError("AcceptanceBeliefs::belief: beliefs are off (prior_strength 0)");
  const double strength = options_.prior_strength;
  const double prior = prior_mean(drafter, verifier);
  const BeliefEvidence all = find(drafter, verifier, "");
  const AcceptanceBelief overall{strength * prior + all.accepted, strength * (1 - prior) + all.rejections};
  if (request_class.empty()) return overall;
  const BeliefEvidence own = find(drafter, verifier, request_class);
  const double shrink_to = overall.mean();
  return {strength * shrink_to + own.accepted, strength * (1 - shrink_to) + own.rejections};
}

void AcceptanceBeliefs::restore(std::map<BeliefKey, BeliefEvidence> evidence) {
  for (const auto& [key, counts] : evidence) {
    check_pair(key.drafter, key.verifier, "AcceptanceBeliefs::restore");
    if (!(counts.accepted >= 0) || !std::isfinite(counts.accepted) || !(counts.rejections >= 0) ||
        !std::isfinite(counts.rejections)) {
      throw UsageError("AcceptanceBeliefs::restore: pair (" + std::to_string(key.drafter) + ", " +
                       std::to_string(key.verifier) + ") of class '" + key.request_class +
                       "' has a negative or non-finite count");
    }
  }
  evidence_ = std::move(evidence);
}

void AcceptanceBeliefs::check_pair(int drafter, int verifier, const char* where) const {
  if (drafter < 0 || verifier >= pool_size_ || drafter >= verifier) {
    throw UsageError(std::string(where) + ": (" + std::to_string(drafter) + ", " + std::to_string(verifier) +
                     ") is not a pair of pool models with drafter < verifier < " + std::to_string(pool_size_));
  }
}

BeliefEvidence AcceptanceBeliefs::find(int drafter, int verifier, const std::string& request_class) const {
  const auto it = evidence_.find(BeliefKey{request_class, drafter, verifier});
  return it == evidence_.end() ? BeliefEvidence{} : it->second;
}

}  // namespace specrouter
