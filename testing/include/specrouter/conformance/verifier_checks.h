#pragma once

/// @file
/// @brief Conformance checks every verifier passes: lossless greedy and sampled
/// verification up chains of 1 to 3 models, and clear refusals of requests it cannot take.
///
/// Call them from the verifier's own GoogleTest:
///
/// @code
/// TEST(TokenVerifierConformance, SampledDecodingIsLossless) {
///   specrouter::conformance::expect_sampling_lossless_verifier(registries(), specrouter::conformance::named("token"));
/// }
/// @endcode
///
/// What is checked and why: docs/design/conformance_kit.md.

#include <optional>

#include "specrouter/conformance/component.h"
#include "specrouter/plugin/registries.h"

namespace specrouter::conformance {

/// Where a verifier's drafts come from besides the pool models of the chain.
struct VerifierCheckOptions {
  /// A drafter of the registries that drafts trees (e.g. the model drafter with
  /// `branching`), for a verifier of tree drafts; empty: only the linear drafts of the
  /// chains' pool models are verified.
  std::optional<Component> tree_drafter;
};

/// Greedy speculative decoding verified by the verifier at every level of `[target]`,
/// `[medium, target]` and `[small, medium, target]` (and, with a tree drafter, of the same
/// chains with tree drafts below them) commits exactly what the target alone decodes
/// greedily, for a ragged batch and single sequences, with every model's K/V a prefix of
/// the committed tokens after every step and per-level statistics that add up.
/// `registries` must hold the verifier (and the tree drafter of `options`).
void expect_greedy_lossless_verifier(const Registries& registries, const Component& verifier,
                                     const VerifierCheckOptions& options = {});

/// Sampled speculative decoding verified by the verifier is lossless: the first two
/// committed tokens follow the target's distribution (chi-square over 24,000 seeded
/// trials, p-value above 1e-4) for `[small, target]`, for `[small, medium, target]` with
/// temperature, top-k and top-p, and, with a tree drafter, for tree drafts below the
/// target; drafts are accepted sometimes and rejected sometimes. The same test rejects the
/// verifier made deliberately wrong (a rejection's token drawn from the target's
/// distribution instead of the residual), so it has the power to catch such a verifier.
void expect_sampling_lossless_verifier(const Registries& registries, const Component& verifier,
                                       const VerifierCheckOptions& options = {});

/// The verifier refuses a tree draft (two roots) with a specrouter::Error whose message
/// names it (`verifier 'token'` for the token verifier) and says "tree": for verifiers of
/// linear drafts only, so that pairing them with a tree drafter fails at the first step,
/// clearly.
void expect_verifier_refuses_tree_drafts(const Registries& registries, const Component& verifier);

/// The verifier refuses malformed requests with a specrouter::Error naming it: a draft
/// token outside the vocabulary, target rows that are not one more than the draft
/// tokens, sampled draft rows of the wrong shape, a parent index that is not an earlier
/// node. Nothing is read out of bounds on the way (run it under a sanitizer to know).
void expect_verifier_refuses_malformed_requests(const Registries& registries, const Component& verifier);

}  // namespace specrouter::conformance
