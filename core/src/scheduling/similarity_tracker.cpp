#include "specrouter/scheduling/similarity_tracker.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <tuple>
#include <utility>

#include "cost_table.h"
#include "specrouter/error.h"

namespace specrouter {

namespace {

bool in_unit_interval(double value) { return value >= 0 && value <= 1; }

bool has_similarity(const SimilarityPairState& state) { return state.tv_positions > 0; }
bool has_acceptance(const SimilarityPairState& state) { return state.accepted + state.rejections > 0; }

}  // namespace

bool SimilarityPairKey::operator<(const SimilarityPairKey& other) const {
  return std::tie(request_class, drafter, verifier) < std::tie(other.request_class, other.drafter, other.verifier);
}

SimilarityTracker::SimilarityTracker(int pool_size, SimilarityTrackerOptions options)
    : pool_size_(pool_size), options_(options) {
  if (pool_size < 1) throw UsageError("SimilarityTracker: pool_size is " + std::to_string(pool_size) + ", must be >= 1");
  const bool valid = options_.tv_smoothing > 0 && options_.tv_smoothing <= 1 && options_.acceptance_forgetting > 0 &&
                     options_.acceptance_forgetting <= 1 && options_.calibration_forgetting > 0 &&
                     options_.calibration_forgetting <= 1 && options_.min_calibration_weight >= 0 &&
                     options_.min_calibration_spread >= 0 && in_unit_interval(options_.default_acceptance);
  if (!valid) {
    throw UsageError("SimilarityTracker: tv_smoothing and the forgetting factors must be in (0, 1], "
                     "min_calibration_weight and min_calibration_spread >= 0, default_acceptance in [0, 1]");
  }
}

void SimilarityTracker::check_pair(int drafter, int verifier, const char* where) const {
  if (drafter < 0 || verifier >= pool_size_ || drafter >= verifier) {
    throw UsageError(std::string(where) + ": pair (drafter " + std::to_string(drafter) + ", verifier " +
                     std::to_string(verifier) + ") needs 0 <= drafter < verifier < " + std::to_string(pool_size_));
  }
}

void SimilarityTracker::observe(const StepResult& step, const std::string& request_class) {
  for (const SequenceStepResult& sequence : step.sequences) {
    for (std::size_t level = 1; level < sequence.levels.size(); ++level) {
      observe(sequence.levels[level - 1].pool_index, sequence.levels[level].pool_index, sequence.levels[level],
              request_class);
    }
  }
}

void SimilarityTracker::observe(int drafter, int verifier, const LevelStats& level, const std::string& request_class) {
  check_pair(drafter, verifier, "SimilarityTracker::observe");
  if (level.accepted < 0 || level.recovered < 0 || level.accepted > level.drafted || level.tv_positions < 0 ||
      !std::isfinite(level.tv_distance_sum) || level.tv_distance_sum < 0 ||
      level.tv_distance_sum > level.tv_positions + 1e-9) {
    throw UsageError("SimilarityTracker::observe: LevelStats of pair (" + std::to_string(drafter) + ", " +
                     std::to_string(verifier) + ") has accepted " + std::to_string(level.accepted) + " of drafted " +
                     std::to_string(level.drafted) + ", recovered " + std::to_string(level.recovered) +
                     ", tv_distance_sum " + detail::number(level.tv_distance_sum) + " over " +
                     std::to_string(level.tv_positions) + " positions");
  }
  // A rejection is a round with a draft that ended in a recovered token (a round with an
  // empty draft ends in a bonus token, LevelStats::bonus).
  const double rejections = level.drafted > 0 ? level.recovered : 0;
  const double mean_tv = level.tv_positions > 0 ? std::min(1.0, level.tv_distance_sum / level.tv_positions) : 0;

  auto update = [&](SimilarityPairState& state) {
    if (level.tv_positions > 0) {
      const double step_weight =
          state.tv_positions == 0 ? 1.0 : 1.0 - std::pow(1.0 - options_.tv_smoothing, level.tv_positions);
      state.tv_mean += step_weight * (mean_tv - state.tv_mean);
      state.tv_positions += level.tv_positions;
    }
    state.accepted = options_.acceptance_forgetting * state.accepted + level.accepted;
    state.rejections = options_.acceptance_forgetting * state.rejections + rejections;
    ++state.records;
  };
  update(pairs_[{"", drafter, verifier}]);
  if (!request_class.empty()) update(pairs_[{request_class, drafter, verifier}]);

  // One calibration point per record with both a similarity and an acceptance: weighted
  // by the record's acceptance events, since a record of many is a better estimate.
  const double events = level.accepted + rejections;
  if (level.tv_positions > 0 && events > 0) {
    const double x = 1.0 - mean_tv;
    const double y = level.accepted / events;
    const double decay = options_.calibration_forgetting;
    calibration_.weight = decay * calibration_.weight + events;
    calibration_.sum_x = decay * calibration_.sum_x + events * x;
    calibration_.sum_y = decay * calibration_.sum_y + events * y;
    calibration_.sum_xx = decay * calibration_.sum_xx + events * x * x;
    calibration_.sum_xy = decay * calibration_.sum_xy + events * x * y;
  }
}

const SimilarityPairState* SimilarityTracker::find(int drafter, int verifier, const std::string& request_class) const {
  if (!request_class.empty()) {
    auto it = pairs_.find({request_class, drafter, verifier});
    if (it != pairs_.end()) return &it->second;
  }
  auto it = pairs_.find({"", drafter, verifier});
  return it == pairs_.end() ? nullptr : &it->second;
}

std::optional<double> SimilarityTracker::similarity(int drafter, int verifier, const std::string& request_class) const {
  check_pair(drafter, verifier, "SimilarityTracker::similarity");
  const SimilarityPairState* state = find(drafter, verifier, request_class);
  if (state != nullptr && !has_similarity(*state)) state = find(drafter, verifier, "");
  if (state == nullptr || !has_similarity(*state)) return std::nullopt;
  return 1.0 - state->tv_mean;
}

std::optional<double> SimilarityTracker::observed_acceptance(int drafter, int verifier,
                                                             const std::string& request_class) const {
  check_pair(drafter, verifier, "SimilarityTracker::observed_acceptance");
  const SimilarityPairState* state = find(drafter, verifier, request_class);
  if (state != nullptr && !has_acceptance(*state)) state = find(drafter, verifier, "");
  if (state == nullptr || !has_acceptance(*state)) return std::nullopt;
  return state->accepted / (state->accepted + state->rejections);
}

Calibration SimilarityTracker::calibration() const {
  const CalibrationState& c = calibration_;
  Calibration fit;
  if (c.weight <= 0) return fit;
  const double mean_x = c.sum_x / c.weight;
  const double mean_y = c.sum_y / c.weight;
  const double variance_x = std::max(0.0, c.sum_xx / c.weight - mean_x * mean_x);
  const double covariance = c.sum_xy / c.weight - mean_x * mean_y;
  if (variance_x > 0) {
    fit.slope = covariance / variance_x;
    fit.intercept = mean_y - fit.slope * mean_x;
  } else {
    fit.intercept = mean_y;
  }
  fit.ready = c.weight >= options_.min_calibration_weight &&
              std::sqrt(variance_x) >= std::max(options_.min_calibration_spread, 1e-12);
  return fit;
}

std::optional<double> SimilarityTracker::mapped(double similarity) const {
  if (options_.mapping == AcceptanceMapping::kSampling) return similarity;
  const Calibration fit = calibration();
  if (!fit.ready) return std::nullopt;
  return std::clamp(fit.intercept + fit.slope * similarity, 0.0, 1.0);
}

AcceptancePrediction SimilarityTracker::predicted_acceptance(int drafter, int verifier,
                                                             const std::string& request_class) const {
  check_pair(drafter, verifier, "SimilarityTracker::predicted_acceptance");
  if (const std::optional<double> score = similarity(drafter, verifier, request_class)) {
    if (const std::optional<double> rate = mapped(*score)) return {*rate, AcceptanceSource::kSimilarity};
  }
  if (const std::optional<double> rate = observed_acceptance(drafter, verifier, request_class)) {
    return {*rate, AcceptanceSource::kObserved};
  }
  if (!options_.neighbour_prior) return {options_.default_acceptance, AcceptanceSource::kDefault};
  // The nearest pair sharing the drafter or the verifier that has an estimate of its
  // own: the closest in pool order, the one sharing the verifier first on a tie (same
  // verifier, a drafter one step larger or smaller is the closest analogue).
  int best_distance = pool_size_ + 1;
  std::optional<double> best;
  for (int shared_verifier = 1; shared_verifier >= 0; --shared_verifier) {
    for (int other = 0; other < pool_size_; ++other) {
      const int d = shared_verifier ? other : drafter;
      const int v = shared_verifier ? verifier : other;
      if (d >= v || (d == drafter && v == verifier)) continue;
      const int distance = std::abs(shared_verifier ? d - drafter : v - verifier);
      if (distance >= best_distance) continue;
      std::optional<double> rate;
      if (const std::optional<double> score = similarity(d, v, request_class)) rate = mapped(*score);
      if (!rate) rate = observed_acceptance(d, v, request_class);
      if (rate) {
        best_distance = distance;
        best = rate;
      }
    }
  }
  if (best) return {*best, AcceptanceSource::kNeighbour};
  return {options_.default_acceptance, AcceptanceSource::kDefault};
}

std::optional<double> SimilarityTracker::calibration_error(int drafter, int verifier,
                                                           const std::string& request_class) const {
  const std::optional<double> score = similarity(drafter, verifier, request_class);
  const std::optional<double> observed = observed_acceptance(drafter, verifier, request_class);
  if (!score || !observed) return std::nullopt;
  const std::optional<double> rate = mapped(*score);
  if (!rate) return std::nullopt;
  return std::abs(*rate - *observed);
}

std::optional<double> SimilarityTracker::mean_calibration_error(const std::string& request_class) const {
  double sum = 0;
  int pairs = 0;
  for (const auto& [key, state] : pairs_) {
    if (key.request_class != request_class) continue;
    if (const std::optional<double> error = calibration_error(key.drafter, key.verifier, request_class)) {
      sum += *error;
      ++pairs;
    }
  }
  if (pairs == 0) return std::nullopt;
  return sum / pairs;
}

void SimilarityTracker::restore(std::map<SimilarityPairKey, SimilarityPairState> pairs, CalibrationState calibration) {
  for (const auto& [key, state] : pairs) {
    check_pair(key.drafter, key.verifier, "SimilarityTracker::restore");
    const bool valid = in_unit_interval(state.tv_mean) && state.tv_positions >= 0 && state.accepted >= 0 &&
                       std::isfinite(state.accepted) && state.rejections >= 0 && std::isfinite(state.rejections) &&
                       state.records >= 0;
    if (!valid) {
      throw UsageError("SimilarityTracker::restore: pair (" + std::to_string(key.drafter) + ", " +
                       std::to_string(key.verifier) + ") of class '" + key.request_class +
                       "' has a negative or non-finite entry or tv_mean outside [0, 1]");
    }
  }
  for (double value : {calibration.weight, calibration.sum_x, calibration.sum_y, calibration.sum_xx, calibration.sum_xy}) {
    if (!std::isfinite(value)) throw UsageError("SimilarityTracker::restore: calibration has a non-finite sum");
  }
  if (calibration.weight < 0) throw UsageError("SimilarityTracker::restore: calibration weight is negative");
  pairs_ = std::move(pairs);
  calibration_ = calibration;
}

}  // namespace specrouter
