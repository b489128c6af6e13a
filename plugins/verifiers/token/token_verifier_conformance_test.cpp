// The token verifier against the conformance kit (docs/design/conformance_kit.md):
// lossless greedy and sampled verification up chains of 1 to 3 models, tree drafts and
// malformed requests refused with errors that name it.

#include <gtest/gtest.h>

#include "specrouter/conformance/conformance.h"
#include "specrouter/plugin/registries.h"

// Defined by SPECROUTER_PLUGIN in token_verifier.cpp (linked statically).
void specrouter_register_token_verifier(specrouter::PluginRegistrar& registrar);

namespace {

namespace conformance = specrouter::conformance;

const specrouter::Registries& registries() {
  static const specrouter::Registries registries = specrouter::conformance::registries_of(
      {&specrouter_register_token_verifier});
  return registries;
}

TEST(TokenVerifierConformance, GreedyVerificationIsLossless) {
  conformance::expect_greedy_lossless_verifier(registries(), conformance::named("token"));
}

TEST(TokenVerifierConformance, SampledVerificationIsLossless) {
  conformance::expect_sampling_lossless_verifier(registries(), conformance::named("token"));
}

// It verifies linear drafts only: paired with a tree drafter, the first step says so.
TEST(TokenVerifierConformance, TreeDraftsAreRefused) {
  conformance::expect_verifier_refuses_tree_drafts(registries(), conformance::named("token"));
}

TEST(TokenVerifierConformance, MalformedRequestsAreRefused) {
  conformance::expect_verifier_refuses_malformed_requests(registries(), conformance::named("token"));
}

}  // namespace
