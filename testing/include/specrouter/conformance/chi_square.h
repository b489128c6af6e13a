#pragma once
/// @file
/// @brief Pearson's chi-square goodness-of-fit test: the kit's sampled losslessness
/// checks use it, and so can a plugin's own statistical tests.

#include <cstdint>
#include <span>

namespace specrouter::conformance {

/// P(X >= statistic) for X ~ chi-square(df).
double chi_square_p_value(double statistic, int df);

/// Goodness of fit of `observed` counts to the distribution `expected`: the p-value. Cells
/// expecting fewer than 5 observations are pooled into one, as the test's approximation
/// requires; cells of expected mass 0 must be empty (otherwise 0 is returned) and do not
/// count as degrees of freedom.
double goodness_of_fit(std::span<const std::int64_t> observed, std::span<const double> expected);

}  // namespace specrouter::conformance
