#include "specrouter/conformance/chi_square.h"

#include <cmath>

namespace specrouter::conformance {

double chi_square_p_value(double statistic, int df) {
  if (df <= 0) return 1.0;
  // Q(df/2, statistic/2) from Q(1, y) = e^-y or Q(1/2, y) = erfc(sqrt y) and
  // Q(a + 1, y) = Q(a, y) + y^a e^-y / Gamma(a + 1).
  const double y = statistic / 2;
  double a = df % 2 == 0 ? 1.0 : 0.5;
  double tail = df % 2 == 0 ? std::exp(-y) : std::erfc(std::sqrt(y));
  for (; a < df / 2.0; a += 1) tail += std::exp(a * std::log(y) - y - std::lgamma(a + 1));
  return tail;
}

double goodness_of_fit(std::span<const std::int64_t> observed, std::span<const double> expected) {
  std::int64_t total = 0;
  for (std::int64_t n : observed) total += n;
  double statistic = 0;
  int cells = 0;
  double pooled_mean = 0;
  std::int64_t pooled_observed = 0;
  for (std::size_t v = 0; v < observed.size(); ++v) {
    if (expected[v] <= 0) {
      if (observed[v] > 0) return 0;  // an impossible outcome happened
      continue;
    }
    const double mean = static_cast<double>(total) * expected[v];
    if (mean < 5) {
      pooled_mean += mean;
      pooled_observed += observed[v];
      continue;
    }
    statistic += (observed[v] - mean) * (observed[v] - mean) / mean;
    ++cells;
  }
  if (pooled_mean > 0) {
    statistic += (pooled_observed - pooled_mean) * (pooled_observed - pooled_mean) / pooled_mean;
    ++cells;
  }
  return chi_square_p_value(statistic, cells - 1);
}

}  // namespace specrouter::conformance
