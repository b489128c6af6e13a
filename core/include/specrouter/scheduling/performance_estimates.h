#pragma once

/// @file
/// @brief What schedulers plan with: each pool model's forward-pass time and each
/// (drafter, verifier) pair's acceptance rate.
///
/// The interface is what the online profiler and the similarity tracker will implement;
/// FrozenEstimates is a fixed table of the same numbers, for tests, offline profiles and
/// simulation. See docs/design/chain_cost_model.md.

#include <optional>
#include <vector>

#include "specrouter/scheduling/acceptance_belief.h"

namespace specrouter {

/// A forward pass's time as a linear function of the work in it.
///
/// For a pass over `t` new tokens per sequence, `b` sequences and a mean of `L` cached
/// positions per sequence:
///
///     seconds = fixed + multi_row * [t*b > 1] + per_token * t*b + per_context_position * L*b
///               + per_attended_pair * t*L*b
///
/// `fixed` is what a pass costs however small it is (reading the weights, launching
/// kernels); `multi_row` is what a pass of more than one row (token) costs on top: a
/// single-token decode pass runs matrix-vector kernels, any larger pass matrix-matrix
/// kernels that pack the weights first, so one extra token costs far more than the next
/// ones (measured: a linear fit without this step overestimated decode passes by 50-60%
/// on CPU); `per_token` is the compute that grows with the tokens processed;
/// `per_context_position` is reading the KV cache; `per_attended_pair` is attention
/// compute. The form is linear in its coefficients, so a profiler can fit it to measured
/// passes by least squares; it captures why speculation stops paying at large batches
/// (the `t*b` term grows with the tokens verified, while the `fixed` term it amortises
/// does not).
struct ForwardCost {
  double fixed_seconds = 0;                ///< per pass, whatever its size
  double seconds_per_token = 0;            ///< per token processed, summed over the batch
  double seconds_per_context_position = 0;  ///< per cached position read, summed over the batch
  double seconds_per_attended_pair = 0;    ///< per (new token, cached position) pair, summed over the batch
  /// Per pass of more than one token in all (t*b > 1), on top of `fixed_seconds`. Last
  /// member so that brace-initialised costs written before it existed keep their meaning.
  double multi_row_seconds = 0;

  /// The predicted time of one pass over `tokens_per_sequence` new tokens for each of
  /// `batch_size` sequences with `context_length` cached positions on average.
  double seconds(int tokens_per_sequence, int batch_size, double context_length) const;
};

/// The scheduler's current beliefs about the pool: cost of a forward pass of each model,
/// and per-token acceptance rate of each drafter by each more expensive verifier.
///
/// Models are pool indices (cheapest first, target last). Implementations must return
/// finite, non-negative times and rates in [0, 1]; the cost model checks and refuses
/// anything else with UsageError. A scheduler reads an implementation for the duration
/// of one `plan()` call; implementations that update online should hand out a consistent
/// snapshot for that time.
class PerformanceEstimates {
 public:
  virtual ~PerformanceEstimates() = default;

  /// Number of pool models the estimates cover.
  virtual int pool_size() const = 0;

  /// Seconds one forward pass of pool model `model` takes over `tokens_per_sequence` new
  /// tokens for each of `batch_size` sequences with `context_length` cached positions on
  /// average.
  virtual double forward_seconds(int model, int tokens_per_sequence, int batch_size,
                                 double context_length) const = 0;

  /// Probability that verifier `verifier` accepts one token drafted by `drafter`
  /// (`drafter < verifier`), assumed the same at every position of a draft.
  virtual double acceptance_rate(int drafter, int verifier) const = 0;

  /// How sure the estimates are of acceptance_rate(): a Beta belief whose mean is the
  /// rate, or nothing when they hold a point estimate only. Schedulers that explore
  /// (Thompson sampling, thompson_sample.h) draw rates from it; the default is nothing.
  virtual std::optional<AcceptanceBelief> acceptance_belief(int drafter, int verifier) const {
    static_cast<void>(drafter);
    static_cast<void>(verifier);
    return std::nullopt;
  }
};

/// A fixed table of estimates: one ForwardCost per model and an acceptance matrix.
class FrozenEstimates final : public PerformanceEstimates {
 public:
  /// `costs[m]` is model m's cost; `acceptance[i][j]` is the acceptance rate of drafter i
  /// by verifier j, read only for i < j (the other entries may hold anything, a square
  /// matrix is the natural way to write it). Throws UsageError naming the entry when the
  /// sizes disagree, a coefficient is negative or not finite, or a used rate is outside
  /// [0, 1].
  FrozenEstimates(std::vector<ForwardCost> costs, std::vector<std::vector<double>> acceptance);
  /// Estimates with a belief per pair (`beliefs[i][j]`, read only for i < j); the
  /// acceptance rate of a pair is its belief's mean. Throws UsageError as the constructor,
  /// and for a belief whose α or β is not finite and > 0. (A named function, not a
  /// constructor overload, so that `FrozenEstimates({...}, {...})` stays unambiguous.)
  static FrozenEstimates with_beliefs(std::vector<ForwardCost> costs,
                                      std::vector<std::vector<AcceptanceBelief>> beliefs);

  int pool_size() const override;
  double forward_seconds(int model, int tokens_per_sequence, int batch_size,
                         double context_length) const override;
  double acceptance_rate(int drafter, int verifier) const override;
  std::optional<AcceptanceBelief> acceptance_belief(int drafter, int verifier) const override;

  /// The cost of model `model`.
  const ForwardCost& cost(int model) const;

 private:
  void check_model(int model, const char* argument) const;

  std::vector<ForwardCost> costs_;                // [pool_size]
  std::vector<std::vector<double>> acceptance_;  // [pool_size][pool_size], used above the diagonal
  std::vector<std::vector<AcceptanceBelief>> beliefs_;  // empty, or [pool_size][pool_size] like acceptance_
};

}  // namespace specrouter
