#pragma once

/// @file
/// @brief Per (drafter, verifier) pair of pool models: the moving average of the
/// total-variation distance between their distributions, the observed acceptance rate,
/// and the map from one to the other that predicts acceptance.
///
/// The design and the math are in docs/design/profiler_and_similarity.md.

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "specrouter/decoding/step_executor.h"

namespace specrouter {

/// How a pair's similarity becomes a predicted acceptance rate.
enum class AcceptanceMapping {
  /// Speculative sampling accepts a token drafted from q with probability 1 - D_TV(p, q),
  /// so α = SimScore exactly.
  kSampling,
  /// Greedy verification accepts when the argmaxes agree, which similarity only
  /// correlates with: α = clamp(a + b·SimScore, 0, 1), (a, b) fitted online to the
  /// observed acceptance rates.
  kGreedy,
};

/// Tuning of SimilarityTracker.
struct SimilarityTrackerOptions {
  AcceptanceMapping mapping = AcceptanceMapping::kGreedy;  ///< how similarity maps to acceptance
  /// Weight of each compared position in the moving average of D_TV: a level's record of
  /// n positions with mean distance d moves the average by (1 - (1 - w)^n) toward d.
  double tv_smoothing = 0.02;
  /// Factor by which the accepted/rejection counts behind α̂ decay per record of the pair.
  double acceptance_forgetting = 0.99;
  /// Factor by which the calibration fit's sums decay per record (any pair).
  double calibration_forgetting = 0.995;
  /// Least weight (rejection plus acceptance events) the calibration fit needs.
  double min_calibration_weight = 32;
  /// Least standard deviation of SimScore among the fit's records: below it the slope
  /// cannot be told from noise and the calibration is not used.
  double min_calibration_spread = 0.01;
  /// Acceptance of a pair with no observation (and, with neighbour_prior, no observed
  /// neighbour).
  double default_acceptance = 0.5;
  /// A pair with no observation borrows the nearest observed pair's estimate (true), or
  /// takes default_acceptance (false). Adaptive runs set false with an optimistic
  /// default, so a scheduler that plans by prediction tries every pair before trusting
  /// it (optimism in the face of uncertainty) instead of never running a model whose
  /// neighbour looked poor.
  bool neighbour_prior = true;
};

/// A pair of pool models (drafter below verifier) for one request class ("" = all).
struct SimilarityPairKey {
  std::string request_class;  ///< the class its records came with; "" holds every record
  int drafter = 0;            ///< pool index of the level below
  int verifier = 0;           ///< pool index of the level above

  /// Ordered by class, then drafter, then verifier.
  bool operator<(const SimilarityPairKey& other) const;
};

/// What the tracker holds about one pair.
struct SimilarityPairState {
  double tv_mean = 0;                  ///< moving average of D_TV per compared position
  std::int64_t tv_positions = 0;       ///< compared positions seen (0: no similarity yet)
  double accepted = 0;                 ///< decayed count of accepted tokens
  double rejections = 0;               ///< decayed count of rounds that ended in a rejection
  std::int64_t records = 0;            ///< LevelStats records seen
};

/// The online fit α ≈ a + b·SimScore: exponentially weighted sums of the regression.
struct CalibrationState {
  double weight = 0;     ///< Σ w
  double sum_x = 0;      ///< Σ w·x (x = SimScore of a record)
  double sum_y = 0;      ///< Σ w·y (y = the record's acceptance rate)
  double sum_xx = 0;     ///< Σ w·x²
  double sum_xy = 0;     ///< Σ w·x·y
};

/// A fitted calibration line.
struct Calibration {
  bool ready = false;   ///< enough weight and spread to be used
  double intercept = 0;  ///< a
  double slope = 0;      ///< b
};

/// Where a predicted acceptance rate came from.
enum class AcceptanceSource {
  kSimilarity,  ///< mapped from the pair's SimScore
  kObserved,    ///< the pair's α̂ (no similarity, or greedy calibration not ready)
  kNeighbour,   ///< the nearest observed pair sharing the drafter or the verifier
  kDefault,     ///< SimilarityTrackerOptions::default_acceptance
};

/// A predicted acceptance rate and its provenance.
struct AcceptancePrediction {
  double rate = 0;                                   ///< in [0, 1]
  AcceptanceSource source = AcceptanceSource::kDefault;  ///< where it came from
};

/// Tracks similarity and acceptance per ordered pair of pool models from step results.
class SimilarityTracker {
 public:
  /// A tracker for a pool of `pool_size` models. Throws UsageError for bad options.
  explicit SimilarityTracker(int pool_size, SimilarityTrackerOptions options = {});

  /// Number of pool models.
  int pool_size() const { return pool_size_; }
  /// The options it was made with.
  const SimilarityTrackerOptions& options() const { return options_; }

  /// Adds the records of every level above the first of every sequence of `step`
  /// (level 0's drafter is the bottom drafter, not a pool model), under `request_class`
  /// and under "".
  void observe(const StepResult& step, const std::string& request_class = "");
  /// Adds one level's record for the pair (drafter, verifier). Throws UsageError for a
  /// pair out of range or not drafter < verifier, or counts that do not add up.
  void observe(int drafter, int verifier, const LevelStats& level, const std::string& request_class = "");

  /// SimScore = 1 - E[D_TV] of the pair, if any position was compared (the class's own
  /// record if it has one, else the "" record).
  std::optional<double> similarity(int drafter, int verifier, const std::string& request_class = "") const;
  /// α̂ = accepted / (accepted + rejections), the geometric maximum-likelihood rate, if
  /// any acceptance or rejection was seen.
  std::optional<double> observed_acceptance(int drafter, int verifier, const std::string& request_class = "") const;
  /// The acceptance rate schedulers should plan with, and where it came from: the mapped
  /// similarity, else α̂, else a neighbour's, else the default.
  AcceptancePrediction predicted_acceptance(int drafter, int verifier, const std::string& request_class = "") const;

  /// The current greedy calibration line (also fitted in sampling mode, for reports).
  Calibration calibration() const;
  /// |similarity-mapped rate − α̂| for the pair, if it has both.
  std::optional<double> calibration_error(int drafter, int verifier, const std::string& request_class = "") const;
  /// Mean of calibration_error() over the class's pairs that have one.
  std::optional<double> mean_calibration_error(const std::string& request_class = "") const;

  /// Every pair's state (for saving and reports).
  const std::map<SimilarityPairKey, SimilarityPairState>& pairs() const { return pairs_; }
  /// The calibration sums (for saving).
  const CalibrationState& calibration_state() const { return calibration_; }
  /// Replaces the whole state (for loading). Throws UsageError for a pair out of range
  /// or a negative or non-finite entry.
  void restore(std::map<SimilarityPairKey, SimilarityPairState> pairs, CalibrationState calibration);

 private:
  void check_pair(int drafter, int verifier, const char* where) const;
  const SimilarityPairState* find(int drafter, int verifier, const std::string& request_class) const;
  std::optional<double> mapped(double similarity) const;

  int pool_size_;
  SimilarityTrackerOptions options_;
  std::map<SimilarityPairKey, SimilarityPairState> pairs_;
  CalibrationState calibration_;
};

}  // namespace specrouter
