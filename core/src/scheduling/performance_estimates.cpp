#include "specrouter/scheduling/performance_estimates.h"

#include <cmath>
#include <string>
#include <utility>

#include "cost_table.h"
#include "specrouter/error.h"

namespace specrouter {

double ForwardCost::seconds(int tokens_per_sequence, int batch_size, double context_length) const {
  const double tokens = static_cast<double>(tokens_per_sequence) * batch_size;     // new tokens in the pass
  const double context = context_length * batch_size;                               // cached positions read
  return fixed_seconds + (tokens > 1 ? multi_row_seconds : 0.0) + seconds_per_token * tokens + seconds_per_context_position * context +
         seconds_per_attended_pair * tokens * context_length;
}

namespace {

void check_coefficient(double value, int model, const char* name) {
  if (!std::isfinite(value) || value < 0) {
    throw UsageError("FrozenEstimates: costs[" + std::to_string(model) + "]." + name + " is " +
                     detail::number(value) + ", must be finite and >= 0");
  }
}

}  // namespace

FrozenEstimates::FrozenEstimates(std::vector<ForwardCost> costs, std::vector<std::vector<double>> acceptance)
    : costs_(std::move(costs)), acceptance_(std::move(acceptance)) {
  const int models = static_cast<int>(costs_.size());
  if (models == 0) throw UsageError("FrozenEstimates: costs is empty, the pool needs at least the target");
  if (static_cast<int>(acceptance_.size()) != models) {
    throw UsageError("FrozenEstimates: acceptance has " + std::to_string(acceptance_.size()) +
                     " rows, costs has " + std::to_string(models) + " models");
  }
  for (int model = 0; model < models; ++model) {
    const ForwardCost& cost = costs_[model];
    check_coefficient(cost.fixed_seconds, model, "fixed_seconds");
    check_coefficient(cost.seconds_per_token, model, "seconds_per_token");
    check_coefficient(cost.seconds_per_context_position, model, "seconds_per_context_position");
    check_coefficient(cost.seconds_per_attended_pair, model, "seconds_per_attended_pair");
    check_coefficient(cost.multi_row_seconds, model, "multi_row_seconds");
    if (static_cast<int>(acceptance_[model].size()) != models) {
      throw UsageError("FrozenEstimates: acceptance[" + std::to_string(model) + "] has " +
                       std::to_string(acceptance_[model].size()) + " entries, costs has " +
                       std::to_string(models) + " models");
    }
    for (int verifier = model + 1; verifier < models; ++verifier) {
      const double rate = acceptance_[model][verifier];
      if (!(rate >= 0 && rate <= 1)) {  // also refuses NaN
        throw UsageError("FrozenEstimates: acceptance[" + std::to_string(model) + "][" +
                         std::to_string(verifier) + "] is " + detail::number(rate) + ", must be in [0, 1]");
      }
    }
  }
}

namespace {

// The means of `beliefs`, in the acceptance matrix's shape; each belief used is checked.
std::vector<std::vector<double>> belief_means(const std::vector<std::vector<AcceptanceBelief>>& beliefs) {
  std::vector<std::vector<double>> means(beliefs.size());
  for (std::size_t drafter = 0; drafter < beliefs.size(); ++drafter) {
    means[drafter].assign(beliefs[drafter].size(), 0.0);
    for (std::size_t verifier = drafter + 1; verifier < beliefs[drafter].size(); ++verifier) {
      const AcceptanceBelief& belief = beliefs[drafter][verifier];
      if (!(belief.alpha > 0) || !(belief.beta > 0) || !std::isfinite(belief.alpha) || !std::isfinite(belief.beta)) {
        throw UsageError("FrozenEstimates: beliefs[" + std::to_string(drafter) + "][" + std::to_string(verifier) +
                         "] is Beta(" + detail::number(belief.alpha) + ", " + detail::number(belief.beta) +
                         "), both must be finite and > 0");
      }
      means[drafter][verifier] = belief.mean();
    }
  }
  return means;
}

}  // namespace

FrozenEstimates FrozenEstimates::with_beliefs(std::vector<ForwardCost> costs,
                                              std::vector<std::vector<AcceptanceBelief>> beliefs) {
  FrozenEstimates estimates(std::move(costs), belief_means(beliefs));
  estimates.beliefs_ = std::move(beliefs);
  return estimates;
}

std::optional<AcceptanceBelief> FrozenEstimates::acceptance_belief(int drafter, int verifier) const {
  acceptance_rate(drafter, verifier);  // checks the pair
  if (beliefs_.empty()) return std::nullopt;
  return beliefs_[drafter][verifier];
}

int FrozenEstimates::pool_size() const { return static_cast<int>(costs_.size()); }

double FrozenEstimates::forward_seconds(int model, int tokens_per_sequence, int batch_size,
                                        double context_length) const {
  check_model(model, "model");
  return costs_[model].seconds(tokens_per_sequence, batch_size, context_length);
}

double FrozenEstimates::acceptance_rate(int drafter, int verifier) const {
  check_model(drafter, "drafter");
  check_model(verifier, "verifier");
  if (drafter >= verifier) {
    throw UsageError("FrozenEstimates::acceptance_rate: drafter " + std::to_string(drafter) +
                     " must be cheaper than (below) verifier " + std::to_string(verifier));
  }
  return acceptance_[drafter][verifier];
}

const ForwardCost& FrozenEstimates::cost(int model) const {
  check_model(model, "model");
  return costs_[model];
}

void FrozenEstimates::check_model(int model, const char* argument) const {
  if (model < 0 || model >= pool_size()) {
    throw UsageError("FrozenEstimates: " + std::string(argument) + " " + std::to_string(model) +
                     " is not a pool index (pool size " + std::to_string(pool_size()) + ")");
  }
}

}  // namespace specrouter
