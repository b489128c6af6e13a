#pragma once

// Shared by the tree verifier's tests: the verifier made through a registry as the harness
// makes it, and a chi-square goodness-of-fit test.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "specrouter/plugin/registries.h"
#include "specrouter/verifier.h"

// Defined by SPECROUTER_PLUGIN in tree_verifier.cpp.
void specrouter_register_tree_verifier(specrouter::PluginRegistrar& registrar);

namespace tree_verifier_test {

using specrouter::ProbabilityRows;
using specrouter::TokenId;
using specrouter::Verdict;
using specrouter::VerifyRequest;
using Tokens = std::vector<TokenId>;
using Parents = std::vector<std::int32_t>;

// The tree verifier, registered and created as the harness does.
inline std::shared_ptr<specrouter::Verifier> make_tree_verifier(specrouter::Registries& registries) {
  specrouter::PluginRegistrar registrar;
  specrouter_register_tree_verifier(registrar);
  registrar.commit(registries);
  const auto& info = registries.verifiers.at("tree").info;
  return registries.verifiers.create("tree", specrouter::Params::from_specs("verifier 'tree'", info.params));
}

// P(X >= statistic) for X ~ chi-square(df): the regularized upper incomplete gamma
// Q(df/2, statistic/2), from Q(1, y) = e^-y or Q(1/2, y) = erfc(sqrt y) and
// Q(a + 1, y) = Q(a, y) + y^a e^-y / Gamma(a + 1). Exact for every integer df >= 1.
inline double chi_square_p_value(double statistic, int df) {
  const double y = statistic / 2;
  double a = df % 2 == 0 ? 1.0 : 0.5;
  double tail = df % 2 == 0 ? std::exp(-y) : std::erfc(std::sqrt(y));
  for (; a < df / 2.0; a += 1) tail += std::exp(a * std::log(y) - y - std::lgamma(a + 1));
  return tail;
}

// Goodness of fit of `observed` counts to the probabilities `expected` (same length).
// Categories of expected count below 5, where the chi-square approximation is poor, are
// pooled into one; a category of probability 0 must never be observed (p-value 0 if it
// is). Returns 1 when fewer than two categories remain.
inline double goodness_of_fit(const std::vector<std::int64_t>& observed, const std::vector<double>& expected) {
  std::int64_t total = 0;
  for (std::int64_t n : observed) total += n;
  double statistic = 0, pooled_mean = 0;
  std::int64_t pooled_observed = 0;
  int categories = 0;
  for (std::size_t c = 0; c < observed.size(); ++c) {
    if (expected[c] == 0) {
      if (observed[c] > 0) return 0;  // an impossible outcome happened
      continue;
    }
    const double mean = static_cast<double>(total) * expected[c];
    if (mean < 5) {
      pooled_mean += mean;
      pooled_observed += observed[c];
      continue;
    }
    statistic += (observed[c] - mean) * (observed[c] - mean) / mean;
    ++categories;
  }
  if (pooled_mean > 0) {
    statistic += (pooled_observed - pooled_mean) * (pooled_observed - pooled_mean) / pooled_mean;
    ++categories;
  }
  return categories < 2 ? 1.0 : chi_square_p_value(statistic, categories - 1);
}

}  // namespace tree_verifier_test
