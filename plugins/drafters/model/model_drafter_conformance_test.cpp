// The model drafter against the conformance kit (docs/design/conformance_kit.md): drafting
// chains with the kit's cheapest model (token and tree verifiers), stopping early on its
// confidence, and drafting token trees (tree verifier), all lossless, greedy and sampled;
// bad parameters refused.

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "specrouter/conformance/conformance.h"
#include "specrouter/plugin/registries.h"

// Defined by SPECROUTER_PLUGIN in each plugin's source (static libraries linked to this
// test): the drafter, and the verifiers the kit pairs it with.
void specrouter_register_model_drafter(specrouter::PluginRegistrar& registrar);
void specrouter_register_token_verifier(specrouter::PluginRegistrar& registrar);
void specrouter_register_tree_verifier(specrouter::PluginRegistrar& registrar);

namespace {

namespace conformance = specrouter::conformance;

const specrouter::Registries& registries() {
  static const specrouter::Registries registries = specrouter::conformance::registries_of(
      {&specrouter_register_model_drafter, &specrouter_register_token_verifier, &specrouter_register_tree_verifier});
  return registries;
}

// The model drafter running the kit's cheapest model, with `extra` parameters.
conformance::Component cheapest_model_drafter(conformance::ParamOverrides extra = {}) {
  return {"model", [extra](const conformance::TestModels& models) {
            conformance::ParamOverrides params = extra;
            params["model"] = models.cheapest();
            return params;
          }};
}

TEST(ModelDrafterConformance, GreedyChainDraftsAreLossless) {
  conformance::expect_greedy_lossless_drafter(registries(), cheapest_model_drafter(), {.verifiers = {"token", "tree"}});
}

TEST(ModelDrafterConformance, GreedyTreeDraftsAreLossless) {
  conformance::expect_greedy_lossless_drafter(
      registries(), cheapest_model_drafter({{"branching", std::vector<std::int64_t>{3, 2, 1}}}), {.verifiers = {"tree"}});
}

TEST(ModelDrafterConformance, SampledChainDraftsAreLossless) {
  conformance::expect_sampling_lossless_drafter(registries(), cheapest_model_drafter());
}

// Whether a token is drafted is decided from the distribution before it is drawn.
TEST(ModelDrafterConformance, SampledDraftsStoppingOnConfidenceAreLossless) {
  conformance::expect_sampling_lossless_drafter(registries(), cheapest_model_drafter({{"min_confidence", 0.5}}));
}

TEST(ModelDrafterConformance, SampledTreeDraftsAreLossless) {
  conformance::expect_sampling_lossless_drafter(
      registries(), cheapest_model_drafter({{"branching", std::vector<std::int64_t>{3, 2}}}), {.verifiers = {"tree"}});
}

TEST(ModelDrafterConformance, BadParametersAreRefused) {
  conformance::expect_refuses_params(registries().drafters, "model",
                                     {{"model", std::string("small")}, {"min_confidence", 1.5}}, "min_confidence");
  conformance::expect_refuses_params(
      registries().drafters, "model",
      {{"model", std::string("small")}, {"branching", std::vector<std::int64_t>{0}}}, "branching");
}

}  // namespace
