#include "specrouter/scheduling/online_estimates.h"

#include <set>
#include <string>
#include <utility>

#include "specrouter/error.h"

namespace specrouter {

OnlineEstimates::OnlineEstimates(std::vector<std::string> model_names, OnlineEstimatesOptions options)
    : model_names_(std::move(model_names)),
      options_(options),
      profiler_(static_cast<int>(model_names_.size()), options.profiler),
      similarity_(static_cast<int>(model_names_.size()), options.similarity),
      beliefs_(static_cast<int>(model_names_.size()), options.beliefs) {
  std::set<std::string> seen;
  for (const std::string& name : model_names_) {
    if (name.empty() || !seen.insert(name).second) {
      throw UsageError("OnlineEstimates: model name '" + name + "' is empty or repeated");
    }
  }
}

void OnlineEstimates::observe(const StepResult& step, const std::string& request_class) {
  if (frozen_) return;
  profiler_.observe(step);
  similarity_.observe(step, request_class);
  beliefs_.observe(step, request_class);
}

FrozenEstimates OnlineEstimates::snapshot(const std::string& request_class) const {
  const int models = pool_size();
  std::vector<ForwardCost> costs;
  for (int model = 0; model < models; ++model) costs.push_back(profiler_.cost(model));
  if (beliefs_.enabled()) {
    std::vector<std::vector<AcceptanceBelief>> beliefs(static_cast<std::size_t>(models),
                                                       std::vector<AcceptanceBelief>(models));
    for (int drafter = 0; drafter < models; ++drafter) {
      for (int verifier = drafter + 1; verifier < models; ++verifier) {
        beliefs[drafter][verifier] = beliefs_.belief(drafter, verifier, request_class);
      }
    }
    return FrozenEstimates::with_beliefs(std::move(costs), std::move(beliefs));
  }
  std::vector<std::vector<double>> acceptance(static_cast<std::size_t>(models), std::vector<double>(models, 0.0));
  for (int drafter = 0; drafter < models; ++drafter) {
    for (int verifier = drafter + 1; verifier < models; ++verifier) {
      acceptance[drafter][verifier] = similarity_.predicted_acceptance(drafter, verifier, request_class).rate;
    }
  }
  return FrozenEstimates(std::move(costs), std::move(acceptance));
}

double OnlineEstimates::forward_seconds(int model, int tokens_per_sequence, int batch_size, double context_length) const {
  return profiler_.predict(model, {tokens_per_sequence, batch_size, context_length});
}

double OnlineEstimates::acceptance_rate(int drafter, int verifier) const {
  if (beliefs_.enabled()) return beliefs_.belief(drafter, verifier).mean();
  return similarity_.predicted_acceptance(drafter, verifier).rate;
}

std::optional<AcceptanceBelief> OnlineEstimates::acceptance_belief(int drafter, int verifier) const {
  if (!beliefs_.enabled()) return std::nullopt;
  return beliefs_.belief(drafter, verifier);
}

}  // namespace specrouter
