// The n-gram drafter against the conformance kit (docs/design/conformance_kit.md): lossless
// greedy and sampled speculation, paired with the token and tree verifiers, and bad
// parameters refused.

#include <gtest/gtest.h>

#include <cstdint>

#include "specrouter/conformance/conformance.h"
#include "specrouter/plugin/registries.h"

// Defined by SPECROUTER_PLUGIN in each plugin's source (static libraries linked to this
// test): the drafter, and the verifiers the kit pairs it with.
void specrouter_register_ngram_drafter(specrouter::PluginRegistrar& registrar);
void specrouter_register_token_verifier(specrouter::PluginRegistrar& registrar);
void specrouter_register_tree_verifier(specrouter::PluginRegistrar& registrar);

namespace {

namespace conformance = specrouter::conformance;

const specrouter::Registries& registries() {
  static const specrouter::Registries registries = specrouter::conformance::registries_of(
      {&specrouter_register_ngram_drafter, &specrouter_register_token_verifier, &specrouter_register_tree_verifier});
  return registries;
}

TEST(NgramDrafterConformance, GreedySpeculationIsLossless) {
  conformance::expect_greedy_lossless_drafter(registries(), conformance::named("ngram"), {.verifiers = {"token", "tree"}});
}

TEST(NgramDrafterConformance, SampledSpeculationIsLossless) {
  conformance::expect_sampling_lossless_drafter(registries(), conformance::named("ngram"));
}

TEST(NgramDrafterConformance, BadParametersAreRefused) {
  conformance::expect_refuses_params(registries().drafters, "ngram", {{"max_ngram", std::int64_t{0}}}, "max_ngram");
  conformance::expect_refuses_params(registries().drafters, "ngram",
                                     {{"min_ngram", std::int64_t{3}}, {"max_ngram", std::int64_t{2}}}, "min_ngram");
}

}  // namespace
