#pragma once

/// @file
/// @brief A Beta belief over one pair's per-token acceptance rate: what schedulers that
/// explore draw from (docs/design/robust_routing.md).

#include <random>

namespace specrouter {

/// A Beta(α, β) belief over a pair's per-token acceptance rate a.
///
/// Under the cost model's assumption that each drafted token is accepted with probability
/// a until the first rejection, a round that accepts n tokens and then rejects has
/// likelihood aⁿ(1 − a), and one accepted to the end aⁿ: the Beta family is conjugate, so
/// α counts accepted tokens and β rounds that ended in a rejection (plus the prior's
/// pseudo-counts).
struct AcceptanceBelief {
  double alpha = 1;  ///< prior pseudo-count plus accepted tokens (> 0)
  double beta = 1;   ///< prior pseudo-count plus rejections (> 0)

  /// α / (α + β).
  double mean() const { return alpha / (alpha + beta); }
  /// αβ / ((α + β)²(α + β + 1)).
  double variance() const;
  /// One draw from Beta(α, β) (two gamma draws; the same rng state gives the same rate on
  /// the same standard library).
  double sample(std::mt19937_64& rng) const;
};

}  // namespace specrouter
