// The n-gram language-model drafter against the conformance kit
// (docs/design/conformance_kit.md): trained on what the kit's target says, greedy and
// sampling, lossless with the token verifier; bad parameters refused.

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "specrouter/conformance/conformance.h"
#include "specrouter/plugin/registries.h"

// Defined by SPECROUTER_PLUGIN in each plugin's source (static libraries linked to this
// test): the drafter, and the verifier the kit pairs it with.
void specrouter_register_ngram_lm_drafter(specrouter::PluginRegistrar& registrar);
void specrouter_register_token_verifier(specrouter::PluginRegistrar& registrar);

namespace {

namespace conformance = specrouter::conformance;

const specrouter::Registries& registries() {
  static const specrouter::Registries registries = specrouter::conformance::registries_of(
      {&specrouter_register_ngram_lm_drafter, &specrouter_register_token_verifier});
  return registries;
}

// Trained on the kit's text of what its target says, in its vocabulary.
conformance::Component trained_on_the_target(bool sample) {
  return {"ngram_lm", [sample](const conformance::TestModels& models) {
            return conformance::ParamOverrides{{"training_file", models.target_text.string()},
                                               {"vocab_size", models.vocab_size},
                                               {"order", std::int64_t{3}},
                                               {"sample", sample}};
          }};
}

TEST(NgramLmDrafterConformance, GreedySpeculationIsLossless) {
  conformance::expect_greedy_lossless_drafter(registries(), trained_on_the_target(false));
}

// Sampled drafts carry the rows they were drawn from; the verifier must see exactly those.
TEST(NgramLmDrafterConformance, SampledSpeculationIsLossless) {
  conformance::expect_sampling_lossless_drafter(registries(), trained_on_the_target(true));
}

TEST(NgramLmDrafterConformance, BadParametersAreRefused) {
  // Checked before the training file is read, so none needs to exist.
  conformance::expect_refuses_params(registries().drafters, "ngram_lm",
                                     {{"training_file", std::string("unread.txt")}, {"temperature", 0.0}}, "temperature");
  conformance::expect_refuses_params(registries().drafters, "ngram_lm",
                                     {{"training_file", std::string("unread.txt")}, {"order", std::int64_t{0}}}, "order");
}

}  // namespace
