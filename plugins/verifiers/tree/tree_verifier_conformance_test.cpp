// The tree verifier against the conformance kit (docs/design/conformance_kit.md):
// lossless greedy and sampled verification up chains of 1 to 3 models, of the chains'
// own drafts and of token trees from the model drafter; malformed requests refused.

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "specrouter/conformance/conformance.h"
#include "specrouter/plugin/registries.h"

// Defined by SPECROUTER_PLUGIN in each plugin's source (static libraries linked to this
// test): the verifier, and the drafter of the trees it verifies.
void specrouter_register_tree_verifier(specrouter::PluginRegistrar& registrar);
void specrouter_register_model_drafter(specrouter::PluginRegistrar& registrar);

namespace {

namespace conformance = specrouter::conformance;

const specrouter::Registries& registries() {
  static const specrouter::Registries registries = specrouter::conformance::registries_of(
      {&specrouter_register_tree_verifier, &specrouter_register_model_drafter});
  return registries;
}

// Top-k trees of the kit's cheapest model.
conformance::VerifierCheckOptions with_tree_drafts(std::vector<std::int64_t> branching) {
  return {.tree_drafter = conformance::Component{
              "model", [branching](const conformance::TestModels& models) {
                return conformance::ParamOverrides{{"model", models.cheapest()}, {"branching", branching}};
              }}};
}

TEST(TreeVerifierConformance, GreedyVerificationIsLossless) {
  conformance::expect_greedy_lossless_verifier(registries(), conformance::named("tree"), with_tree_drafts({3, 2, 1}));
}

TEST(TreeVerifierConformance, SampledVerificationIsLossless) {
  conformance::expect_sampling_lossless_verifier(registries(), conformance::named("tree"), with_tree_drafts({3, 2}));
}

TEST(TreeVerifierConformance, MalformedRequestsAreRefused) {
  conformance::expect_verifier_refuses_malformed_requests(registries(), conformance::named("tree"));
}

}  // namespace
