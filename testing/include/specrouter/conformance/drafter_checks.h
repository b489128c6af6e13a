#pragma once

/// @file
/// @brief Conformance checks every drafter passes: speculative decoding with it is
/// lossless, greedy and sampled.
///
/// Call them from the drafter's own GoogleTest; they report through gtest assertions
/// (EXPECT_*), so one call is one test's worth of checks:
///
/// @code
/// TEST(NgramDrafterConformance, GreedyDecodingIsLossless) {
///   specrouter::conformance::expect_greedy_lossless_drafter(registries(), specrouter::conformance::named("ngram"));
/// }
/// @endcode
///
/// What is checked and why: docs/design/conformance_kit.md.

#include <string>
#include <vector>

#include "specrouter/conformance/component.h"
#include "specrouter/plugin/registries.h"

namespace specrouter::conformance {

/// How a drafter is paired for its checks.
struct DrafterCheckOptions {
  /// Verifiers of the registries to verify the drafter's drafts with, in turn (the first
  /// one for the sampled check). A tree drafter needs a tree verifier ("tree").
  std::vector<std::string> verifiers = {"token"};
  /// Tokens the drafter is asked for per round (DraftRequest::max_tokens).
  int draft_length = 3;
};

/// Greedy speculative decoding with the drafter below every chain (the target alone,
/// `[medium, target]`, `[small, medium, target]`) commits exactly what the target alone
/// decodes greedily, token for token, for a ragged batch of three prompts and for two of
/// them alone; after every step every model's K/V is a prefix of the committed tokens
/// (the state manager's debug checks on) and the per-level statistics add up; and the
/// drafter proposed something. `registries` must hold the drafter and the verifiers of
/// `options`.
void expect_greedy_lossless_drafter(const Registries& registries, const Component& drafter,
                                    const DrafterCheckOptions& options = {});

/// Sampled speculative decoding with the drafter is lossless: the first two tokens
/// committed after a fixed prompt follow the target's own distribution (chi-square over
/// 24,000 seeded trials, p-value above 1e-4), below `[medium, target]` with plain
/// sampling and directly below the target with temperature and top-k; and the same test
/// rejects a deliberately broken verifier (one that draws a rejection's token from the
/// target's distribution instead of the residual), so it has the power to catch a
/// drafter whose reported distributions are wrong. Uses the first verifier of `options`.
void expect_sampling_lossless_drafter(const Registries& registries, const Component& drafter,
                                      const DrafterCheckOptions& options = {});

}  // namespace specrouter::conformance
