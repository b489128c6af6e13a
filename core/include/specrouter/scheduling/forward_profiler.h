#pragma once

/// @file
/// @brief Learns each pool model's ForwardCost online from the forward passes the step
/// executor measures (recursive least squares with exponential forgetting).
///
/// The design and the math are in docs/design/profiler_and_similarity.md.

#include <array>
#include <cstdint>
#include <vector>

#include "specrouter/decoding/step_executor.h"
#include "specrouter/scheduling/performance_estimates.h"

namespace specrouter {

/// The shape of one forward pass, as ForwardCost::seconds() takes it.
struct ForwardShape {
  int tokens_per_sequence = 1;  ///< new tokens per sequence (>= 1)
  int batch_size = 1;           ///< sequences in the pass (>= 1)
  double context_length = 0;    ///< mean cached positions per sequence (>= 0)
};

/// The shape of a measured forward call: tokens/sequences (rounded to the nearest
/// integer, at least 1), sequences, context_positions/sequences. Throws UsageError for a
/// drafter call or a call of no sequences.
ForwardShape shape_of(const ModelCall& call);

/// Tuning of ForwardProfiler.
struct ForwardProfilerOptions {
  /// Weight λ in (0, 1] each past observation loses per new one: the fit minimises
  /// Σ λ^(n-i) (y_i - x_iᵀθ)², remembering about 1/(1-λ) passes (50 at 0.98), so it
  /// follows a machine whose speed drifts (clock throttling, other tenants, a different
  /// kernel path) instead of averaging over the whole run. 1 = ordinary least squares.
  double forgetting_factor = 0.98;
  /// Effective observations (Σ λ^(n-i)) below which the fallback cost is used instead of
  /// the fit: five coefficients need more than five passes to be worth anything.
  double min_effective_observations = 8;
  /// Ridge weight per effective observation on the (scaled) coefficients: keeps the
  /// normal equations solvable when the shapes seen so far cannot separate two terms
  /// (batch 1 at a fixed context makes t*b and t*L*b proportional).
  double ridge = 1e-6;
  /// Weight of a new pass in the fallback's moving average of seconds per pass.
  double fallback_smoothing = 0.2;
  /// Cost of a model never observed: a pass of `unobserved_seconds_per_pass` whatever its
  /// size (a deliberately pessimistic 1 ms; run a warm-up to replace it).
  double unobserved_seconds_per_pass = 1e-3;
};

/// The profiler's whole state for one model: the exponentially weighted normal
/// equations and the fallback average. Public so profiles can be saved and restored
/// exactly; change it only through ForwardProfiler.
struct ForwardFitState {
  std::array<double, 25> information{};  ///< Σ λ^(n-i) x_i x_iᵀ, row-major 5x5, scaled features
  std::array<double, 5> moment{};        ///< Σ λ^(n-i) x_i y_i
  double weight = 0;                     ///< Σ λ^(n-i), the effective observation count
  std::int64_t observations = 0;         ///< passes observed, unweighted
  double mean_seconds_per_pass = 0;      ///< fallback: moving average of seconds per pass
  ForwardShape smallest{};               ///< per-field minimum of the shapes observed
  ForwardShape largest{};                ///< per-field maximum of the shapes observed
};

/// Learns ForwardCost coefficients of each pool model from measured passes.
///
/// Each pass of shape (t, b, L) taking y seconds is one observation of the linear model
/// `y = θ₀ + θ₁·t·b + θ₂·L·b + θ₃·t·L·b + θ₄·[t·b > 1]` (ForwardCost's terms). The profiler keeps the exponentially weighted
/// normal equations `R ← λR + xxᵀ`, `r ← λr + xy` (the information form of recursive
/// least squares, the same estimator as the covariance form) and solves them, with the
/// constraint θ ≥ 0, when asked for a cost: with five coefficients the non-negative
/// solution is found exactly by trying the 32 sets of free coefficients. Until enough
/// passes are seen it falls back to a size-independent moving average of seconds per pass.
class ForwardProfiler {
 public:
  /// A profiler for `pool_size` models (>= 1). Throws UsageError for bad options.
  explicit ForwardProfiler(int pool_size, ForwardProfilerOptions options = {});

  /// Number of models profiled.
  int pool_size() const { return static_cast<int>(fits_.size()); }
  /// The options it was made with.
  const ForwardProfilerOptions& options() const { return options_; }

  /// Adds one measured pass of pool model `model`. Throws UsageError for a model out of
  /// range, an invalid shape or a negative or non-finite time.
  void observe(int model, ForwardShape shape, double seconds);
  /// Adds a ModelCall of a pool model (shape_of()); bottom-drafter calls are ignored.
  void observe(const ModelCall& call);
  /// Adds every pool-model call of a step.
  void observe(const StepResult& step);

  /// The current cost of `model`: the non-negative fit, the fallback, or the
  /// unobserved cost (see is_fitted()). Coefficients are finite and >= 0.
  ForwardCost cost(int model) const;
  /// `cost(model).seconds(shape)`.
  double predict(int model, ForwardShape shape) const;
  /// Whether cost(model) comes from the fit (enough effective observations).
  bool is_fitted(int model) const;

  /// The model's whole state (for saving).
  const ForwardFitState& state(int model) const;
  /// Replaces the model's whole state (for loading). Throws UsageError for a non-finite
  /// or negative weight, count or average.
  void restore(int model, const ForwardFitState& state);

 private:
  void check_model(int model) const;

  ForwardProfilerOptions options_;
  std::vector<ForwardFitState> fits_;  // [pool_size]
};

}  // namespace specrouter
