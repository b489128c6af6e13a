#pragma once

/// @file
/// @brief PerformanceEstimates learned online from step results (ForwardProfiler and
/// SimilarityTracker together), saved to and loaded from a JSON profile.
///
/// The design, the math and the profile format are in
/// docs/design/profiler_and_similarity.md.

#include <filesystem>
#include <string>
#include <vector>

#include "specrouter/decoding/step_executor.h"
#include "specrouter/scheduling/acceptance_beliefs.h"
#include "specrouter/scheduling/forward_profiler.h"
#include "specrouter/scheduling/performance_estimates.h"
#include "specrouter/scheduling/similarity_tracker.h"

namespace specrouter {

/// Tuning of OnlineEstimates.
struct OnlineEstimatesOptions {
  ForwardProfilerOptions profiler;       ///< the forward-cost fits
  SimilarityTrackerOptions similarity;   ///< the similarity and acceptance estimates
  /// Beta beliefs over acceptance (prior_strength > 0): then acceptance rates are the
  /// beliefs' means and snapshots carry the beliefs; with the default (off) the rates are
  /// the similarity tracker's predictions.
  AcceptanceBeliefOptions beliefs;
};

/// Estimates that learn from every step: forward costs from its ModelCalls, acceptance
/// from its LevelStats.
///
/// Schedulers should plan with snapshot(), a fixed table of the current numbers, so that
/// one plan() call sees one consistent set even if steps are observed meanwhile. In
/// frozen mode (a loaded profile, or after freeze()) observe() changes nothing, so
/// repeated runs make identical decisions.
class OnlineEstimates final : public PerformanceEstimates {
 public:
  /// Estimates for the pool models `model_names` (pool order, target last; at least one,
  /// unique). Throws UsageError for empty or repeated names or bad options.
  explicit OnlineEstimates(std::vector<std::string> model_names, OnlineEstimatesOptions options = {});

  /// Learns from one step (no-op when frozen): its pool-model calls and the records of
  /// its levels, under `request_class` (and under "").
  void observe(const StepResult& step, const std::string& request_class = "");

  /// The current estimates for `request_class` as a fixed table.
  FrozenEstimates snapshot(const std::string& request_class = "") const;

  /// Stops (true) or resumes (false) learning.
  void set_frozen(bool frozen) { frozen_ = frozen; }
  /// Whether observe() is a no-op.
  bool frozen() const { return frozen_; }

  /// The options it was made with.
  const OnlineEstimatesOptions& options() const { return options_; }

  /// Writes the options, the whole state (every fit, pair and the calibration) and the current
  /// snapshot for "" as JSON to `path`. Throws ConfigError naming the file when it
  /// cannot be written.
  void save(const std::filesystem::path& path) const;
  /// Reads a profile written by save() (options included), frozen unless `frozen` is
  /// false; its predictions equal those of the saved estimates exactly. Throws
  /// ConfigError naming the file and key when the file is missing, not JSON, of another
  /// format or version, or has a missing, mistyped or invalid entry, and when
  /// `expected_model_names` is not empty and differs from the profile's models.
  static OnlineEstimates load(const std::filesystem::path& path, const std::vector<std::string>& expected_model_names = {},
                              bool frozen = true);

  int pool_size() const override { return static_cast<int>(model_names_.size()); }
  double forward_seconds(int model, int tokens_per_sequence, int batch_size, double context_length) const override;
  double acceptance_rate(int drafter, int verifier) const override;
  std::optional<AcceptanceBelief> acceptance_belief(int drafter, int verifier) const override;

  /// The pool models' names, pool order.
  const std::vector<std::string>& model_names() const { return model_names_; }
  /// The forward-cost fits.
  const ForwardProfiler& profiler() const { return profiler_; }
  /// The forward-cost fits, for feeding a warm-up (warm_up_profile()).
  ForwardProfiler& profiler() { return profiler_; }
  /// The similarity and acceptance estimates.
  const SimilarityTracker& similarity() const { return similarity_; }
  /// The acceptance beliefs (enabled() when OnlineEstimatesOptions::beliefs sets a prior).
  const AcceptanceBeliefs& beliefs() const { return beliefs_; }

 private:
  std::vector<std::string> model_names_;
  OnlineEstimatesOptions options_;
  ForwardProfiler profiler_;
  SimilarityTracker similarity_;
  AcceptanceBeliefs beliefs_;
  bool frozen_ = false;
};

}  // namespace specrouter
