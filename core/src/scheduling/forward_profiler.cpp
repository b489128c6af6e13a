#include "specrouter/scheduling/forward_profiler.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "cost_table.h"
#include "specrouter/error.h"

namespace specrouter {

namespace {

constexpr int kTerms = 5;
constexpr int kMultiRowTerm = 4;
// Features are divided by these so that at typical shapes (a few tokens, a few
// sequences, hundreds of cached positions) all are of order one: the normal equations
// stay well conditioned and one ridge weight suits every coefficient.
constexpr std::array<double, kTerms> kFeatureScale = {1.0, 16.0, 1024.0, 16384.0, 1.0};
// The multi-row step is told apart from `fixed` only by comparing single-row passes with
// the others. Without enough of both kinds in memory (a run at batch 4, or of decoding
// at batch 1 only) the two features are one direction of the normal equations and the
// ridge alone would split the time between them, making a decode pass look half as
// expensive as anything measured. The step is then left out of the fit: `fixed` carries
// it, and a pass of the kind never seen is predicted like the passes seen.
constexpr double kMinPassesOfEachKind = 0.5;

std::array<double, kTerms> features(ForwardShape shape) {
  const double tokens = static_cast<double>(shape.tokens_per_sequence) * shape.batch_size;
  const double context = shape.context_length * shape.batch_size;
  return {1.0, tokens / kFeatureScale[1], context / kFeatureScale[2],
          tokens * shape.context_length / kFeatureScale[3], tokens > 1 ? 1.0 : 0.0};
}


void check_shape(ForwardShape shape, const char* where) {
  if (shape.tokens_per_sequence < 1 || shape.batch_size < 1 || !std::isfinite(shape.context_length) ||
      shape.context_length < 0) {
    throw UsageError(std::string(where) + ": shape (tokens_per_sequence " + std::to_string(shape.tokens_per_sequence) +
                     ", batch_size " + std::to_string(shape.batch_size) + ", context_length " +
                     detail::number(shape.context_length) + ") needs tokens >= 1, batch >= 1, context >= 0");
  }
}

// Solves the ridge-regularised normal equations restricted to the coefficients in
// `free_terms` (a bit mask); false when the restricted system is singular.
bool solve_restricted(const ForwardFitState& fit, double ridge, unsigned free_terms, std::array<double, kTerms>& theta) {
  int index[kTerms];
  int n = 0;
  for (int i = 0; i < kTerms; ++i) {
    if (free_terms & (1u << i)) index[n++] = i;
  }
  double a[kTerms][kTerms + 1];
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < n; ++j) {
      a[i][j] = fit.information[index[i] * kTerms + index[j]] + (i == j ? ridge : 0.0);
    }
    a[i][n] = fit.moment[index[i]];
  }
  for (int col = 0; col < n; ++col) {  // Gaussian elimination, partial pivoting
    int pivot = col;
    for (int row = col + 1; row < n; ++row) {
      if (std::abs(a[row][col]) > std::abs(a[pivot][col])) pivot = row;
    }
    if (!(std::abs(a[pivot][col]) > 0)) return false;
    if (pivot != col) std::swap(a[pivot], a[col]);
    for (int row = col + 1; row < n; ++row) {
      const double factor = a[row][col] / a[col][col];
      for (int k = col; k <= n; ++k) a[row][k] -= factor * a[col][k];
    }
  }
  theta.fill(0.0);
  for (int row = n - 1; row >= 0; --row) {
    double value = a[row][n];
    for (int k = row + 1; k < n; ++k) value -= a[row][k] * theta[index[k]];
    theta[index[row]] = value / a[row][row];
  }
  return std::all_of(theta.begin(), theta.end(), [](double v) { return std::isfinite(v); });
}

// θᵀ(R + ridge I)θ - 2θᵀr: the weighted squared error up to a constant.
double objective(const ForwardFitState& fit, double ridge, const std::array<double, kTerms>& theta) {
  double value = 0;
  for (int i = 0; i < kTerms; ++i) {
    for (int j = 0; j < kTerms; ++j) value += theta[i] * fit.information[i * kTerms + j] * theta[j];
    value += ridge * theta[i] * theta[i] - 2 * theta[i] * fit.moment[i];
  }
  return value;
}

}  // namespace

ForwardShape shape_of(const ModelCall& call) {
  if (call.pool_index == kDrafterCall || call.sequences < 1) {
    throw UsageError("shape_of: ModelCall of pool_index " + std::to_string(call.pool_index) + " with " +
                     std::to_string(call.sequences) + " sequences is not a forward pass of a pool model");
  }
  const double per_sequence = static_cast<double>(call.tokens) / call.sequences;
  return {std::max(1, static_cast<int>(std::lround(per_sequence))), call.sequences,
          static_cast<double>(call.context_positions) / call.sequences};
}

ForwardProfiler::ForwardProfiler(int pool_size, ForwardProfilerOptions options) : options_(options) {
  if (pool_size < 1) throw UsageError("ForwardProfiler: pool_size is " + std::to_string(pool_size) + ", must be >= 1");
  if (!(options_.forgetting_factor > 0 && options_.forgetting_factor <= 1)) {
    throw UsageError("ForwardProfiler: forgetting_factor is " + detail::number(options_.forgetting_factor) +
                     ", must be in (0, 1]");
  }
  if (!(options_.min_effective_observations >= 0) || !(options_.ridge >= 0) ||
      !(options_.fallback_smoothing > 0 && options_.fallback_smoothing <= 1) ||
      !(options_.unobserved_seconds_per_pass >= 0) || !std::isfinite(options_.unobserved_seconds_per_pass)) {
    throw UsageError("ForwardProfiler: min_effective_observations and ridge must be >= 0, fallback_smoothing in "
                     "(0, 1], unobserved_seconds_per_pass finite and >= 0");
  }
  fits_.resize(static_cast<std::size_t>(pool_size));
}

void ForwardProfiler::check_model(int model) const {
  if (model < 0 || model >= pool_size()) {
    throw UsageError("ForwardProfiler: model " + std::to_string(model) + " is outside the pool of " +
                     std::to_string(pool_size()));
  }
}

void ForwardProfiler::observe(int model, ForwardShape shape, double seconds) {
  check_model(model);
  check_shape(shape, "ForwardProfiler::observe");
  if (!std::isfinite(seconds) || seconds < 0) {
    throw UsageError("ForwardProfiler::observe: seconds is " + detail::number(seconds) + ", must be finite and >= 0");
  }
  ForwardFitState& fit = fits_[model];
  const double lambda = options_.forgetting_factor;
  const std::array<double, kTerms> x = features(shape);
  for (int i = 0; i < kTerms; ++i) {
    for (int j = 0; j < kTerms; ++j) fit.information[i * kTerms + j] = lambda * fit.information[i * kTerms + j] + x[i] * x[j];
    fit.moment[i] = lambda * fit.moment[i] + x[i] * seconds;
  }
  fit.weight = lambda * fit.weight + 1;
  fit.mean_seconds_per_pass = fit.observations == 0
                                  ? seconds
                                  : fit.mean_seconds_per_pass + options_.fallback_smoothing * (seconds - fit.mean_seconds_per_pass);
  if (fit.observations == 0) {
    fit.smallest = fit.largest = shape;
  } else {
    fit.smallest = {std::min(fit.smallest.tokens_per_sequence, shape.tokens_per_sequence),
                    std::min(fit.smallest.batch_size, shape.batch_size),
                    std::min(fit.smallest.context_length, shape.context_length)};
    fit.largest = {std::max(fit.largest.tokens_per_sequence, shape.tokens_per_sequence),
                   std::max(fit.largest.batch_size, shape.batch_size),
                   std::max(fit.largest.context_length, shape.context_length)};
  }
  ++fit.observations;
}

void ForwardProfiler::observe(const ModelCall& call) {
  if (call.pool_index == kDrafterCall) return;
  observe(call.pool_index, shape_of(call), call.seconds);
}

void ForwardProfiler::observe(const StepResult& step) {
  for (const ModelCall& call : step.calls) observe(call);
}

bool ForwardProfiler::is_fitted(int model) const {
  check_model(model);
  const ForwardFitState& fit = fits_[model];
  return fit.observations > 0 && fit.weight >= options_.min_effective_observations;
}

ForwardCost ForwardProfiler::cost(int model) const {
  check_model(model);
  const ForwardFitState& fit = fits_[model];
  if (fit.observations == 0) return ForwardCost{.fixed_seconds = options_.unobserved_seconds_per_pass};
  if (!is_fitted(model)) return ForwardCost{.fixed_seconds = fit.mean_seconds_per_pass};
  // Exact non-negative least squares: the constrained optimum is the unconstrained
  // optimum on its own support, so it is the best feasible one of the 32 restricted
  // solutions (θ = 0, the empty support, is always feasible).
  const double ridge = options_.ridge * fit.weight;
  // The step's feature is 0 or 1, so its diagonal entry is the weight of multi-row passes.
  const double multi_row_weight = fit.information[kMultiRowTerm * kTerms + kMultiRowTerm];
  const bool step_identified =
      multi_row_weight >= kMinPassesOfEachKind && fit.weight - multi_row_weight >= kMinPassesOfEachKind;
  std::array<double, kTerms> best{};
  double best_objective = 0;  // objective(θ = 0)
  for (unsigned free_terms = 1; free_terms < (1u << kTerms); ++free_terms) {
    if (!step_identified && (free_terms & (1u << kMultiRowTerm))) continue;
    std::array<double, kTerms> theta{};
    if (!solve_restricted(fit, ridge, free_terms, theta)) continue;
    if (std::any_of(theta.begin(), theta.end(), [](double v) { return v < 0; })) continue;
    const double value = objective(fit, ridge, theta);
    if (value < best_objective) {
      best_objective = value;
      best = theta;
    }
  }
  return ForwardCost{.fixed_seconds = best[0] / kFeatureScale[0],
                     .seconds_per_token = best[1] / kFeatureScale[1],
                     .seconds_per_context_position = best[2] / kFeatureScale[2],
                     .seconds_per_attended_pair = best[3] / kFeatureScale[3],
                     .multi_row_seconds = best[kMultiRowTerm] / kFeatureScale[kMultiRowTerm]};
}

double ForwardProfiler::predict(int model, ForwardShape shape) const {
  check_shape(shape, "ForwardProfiler::predict");
  return cost(model).seconds(shape.tokens_per_sequence, shape.batch_size, shape.context_length);
}

const ForwardFitState& ForwardProfiler::state(int model) const {
  check_model(model);
  return fits_[model];
}

void ForwardProfiler::restore(int model, const ForwardFitState& state) {
  check_model(model);
  const bool finite = std::all_of(state.information.begin(), state.information.end(),
                                  [](double v) { return std::isfinite(v); }) &&
                      std::all_of(state.moment.begin(), state.moment.end(), [](double v) { return std::isfinite(v); });
  if (!finite || !(state.weight >= 0) || !std::isfinite(state.weight) || state.observations < 0 ||
      !(state.mean_seconds_per_pass >= 0) || !std::isfinite(state.mean_seconds_per_pass)) {
    throw UsageError("ForwardProfiler::restore: state of model " + std::to_string(model) +
                     " has a non-finite or negative entry");
  }
  fits_[model] = state;
}

}  // namespace specrouter
