#pragma once

/// @file
/// @brief What a scheduler believes about each pair's per-token acceptance rate: a Beta
/// posterior that starts from a prior (the pool's measured agreement) and forgets old
/// evidence, so that no single step decides and no pair is ruled out for good.
///
/// The rule, its parameters and its exploration behaviour are in
/// docs/design/robust_routing.md.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "specrouter/decoding/step_executor.h"
#include "specrouter/scheduling/acceptance_belief.h"

namespace specrouter {

/// Tuning of AcceptanceBeliefs.
struct AcceptanceBeliefOptions {
  /// Pseudo-tokens the prior is worth: a pair starts at Beta(s·m, s·(1 − m)) for its prior
  /// mean m. 0 turns beliefs off (OnlineEstimates then predicts acceptance from the
  /// similarity tracker alone, as before priors existed).
  double prior_strength = 0;
  /// Prior mean of a pair that `prior_means` leaves unset (NaN or absent).
  double default_prior_mean = 0.5;
  /// Prior mean per ordered pair, `[drafter][verifier]` by pool index, read only above the
  /// diagonal; NaN = default_prior_mean. May be empty.
  std::vector<std::vector<double>> prior_means;
  /// Factor every pair's evidence (accepted tokens and rejections, every class) is
  /// multiplied by per observed step, before the step's own counts are added: a pair
  /// remembers about 1/(1 − λ) steps of evidence (500 at 0.998), and one not run for
  /// that long is back near its prior, so a prediction-based scheduler tries it again.
  double forgetting = 0.998;
};

/// A pair of pool models (drafter below verifier) and the request class of the evidence
/// ("" = every class).
struct BeliefKey {
  std::string request_class;  ///< "" holds every record
  int drafter = 0;            ///< pool index of the level below
  int verifier = 0;           ///< pool index of the level above

  /// Ordered by class, then drafter, then verifier.
  bool operator<(const BeliefKey& other) const;
};

/// Decayed evidence of one pair and class.
struct BeliefEvidence {
  double accepted = 0;    ///< decayed count of accepted draft tokens
  double rejections = 0;  ///< decayed count of rounds that ended in a rejection
};

/// Beta beliefs over the acceptance rate of every ordered pair of pool models, per
/// request class.
///
/// The all-class belief of a pair is Beta(s·m + A, s·(1 − m) + R) for the prior mean m
/// and the pair's decayed evidence (A accepted tokens, R rejections). A class's belief
/// shrinks toward the all-class one: Beta(s·μ + A_c, s·(1 − μ) + R_c), μ the all-class
/// mean, so a class seen rarely plans like the whole workload and one seen often by its
/// own counts.
class AcceptanceBeliefs {
 public:
  /// Beliefs for a pool of `pool_size` models. Throws UsageError for a prior strength
  /// below 0, a mean or forgetting factor outside its range, or prior means of the wrong
  /// shape.
  AcceptanceBeliefs(int pool_size, AcceptanceBeliefOptions options);

  /// Whether beliefs are on (prior_strength > 0).
  bool enabled() const { return options_.prior_strength > 0; }
  /// The options it was made with.
  const AcceptanceBeliefOptions& options() const { return options_; }

  /// Decays all evidence by the forgetting factor, then adds the records of every level
  /// above the first of every sequence of `step` under `request_class` (when not empty)
  /// and under "". Level 0's drafter is the bottom drafter, not a pool model.
  void observe(const StepResult& step, const std::string& request_class = "");

  /// The pair's prior mean.
  double prior_mean(int drafter, int verifier) const;
  /// The belief for the pair under `request_class` ("" = all classes). Throws UsageError
  /// when beliefs are off or the pair is not drafter < verifier within the pool.
  AcceptanceBelief belief(int drafter, int verifier, const std::string& request_class = "") const;

  /// Every pair's evidence (for saving and reports).
  const std::map<BeliefKey, BeliefEvidence>& evidence() const { return evidence_; }
  /// Replaces the evidence (for loading). Throws UsageError for a pair out of range or a
  /// negative or non-finite count.
  void restore(std::map<BeliefKey, BeliefEvidence> evidence);

 private:
  void check_pair(int drafter, int verifier, const char* where) const;
  BeliefEvidence find(int drafter, int verifier, const std::string& request_class) const;

  int pool_size_;
  AcceptanceBeliefOptions options_;
  std::map<BeliefKey, BeliefEvidence> evidence_;
};

}  // namespace specrouter
