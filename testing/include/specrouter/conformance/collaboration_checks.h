#pragma once

/// @file
/// @brief Conformance checks every collaboration scheme passes: whoever drafts and
/// whoever verifies, greedy decoding equals target-only decoding and sampled decoding
/// follows the target's distribution.
///
/// Call them from the scheme's own GoogleTest, with registries that hold the scheme, the
/// `token` verifier and any drafter named in the options:
///
/// @code
/// TEST(VerticalCascadeConformance, SampledDecodingIsLossless) {
///   specrouter::conformance::expect_sampling_lossless_collaboration(registries(), specrouter::conformance::named("vertical_cascade"));
/// }
/// @endcode
///
/// What is checked and why: docs/design/conformance_kit.md.

#include <optional>

#include "specrouter/conformance/component.h"
#include "specrouter/plugin/registries.h"

namespace specrouter::conformance {

/// What a collaboration scheme is run with besides the chains' pool models.
struct CollaborationCheckOptions {
  /// A drafter of the registries to run below the chains as well (e.g. `ngram`); empty:
  /// only chains of pool models.
  std::optional<Component> drafter;
};

/// Greedy speculative decoding with the scheme (and the `token` verifier) up chains of
/// `[target]`, `[medium, target]` and `[small, medium, target]`, with and without the
/// options' drafter below them, commits exactly what the target alone decodes greedily,
/// for a ragged batch and single sequences, with every model's K/V a prefix of the
/// committed tokens after every step. The per-level statistics of a scheme other than the
/// reference are its own test's to check: their shape is the scheme's choice.
void expect_greedy_lossless_collaboration(const Registries& registries, const Component& collaboration,
                                          const CollaborationCheckOptions& options = {});

/// Sampled speculative decoding with the scheme is lossless: the first two committed
/// tokens follow the target's distribution (chi-square over 24,000 seeded trials, p-value
/// above 1e-4) for `[small, target]` and for `[small, medium, target]` with temperature,
/// top-k and top-p, drafts being accepted sometimes and rejected sometimes. The same test
/// with the `token` verifier made deliberately wrong (a rejection's token drawn from the
/// target's distribution instead of the residual) must fail, so it has the power to catch
/// a scheme that passes the wrong distributions up.
void expect_sampling_lossless_collaboration(const Registries& registries, const Component& collaboration);

}  // namespace specrouter::conformance
