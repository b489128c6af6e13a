// The vertical cascade against the conformance kit (docs/design/conformance_kit.md): with the
// token verifier at every level, greedy decoding equals target-only decoding up chains of
// one to three models, with and without prompt lookup below them, and sampled decoding
// follows the target's distribution, a broken verifier being caught by the same test.

#include <gtest/gtest.h>

#include "specrouter/conformance/conformance.h"
#include "specrouter/plugin/registries.h"

// Defined by SPECROUTER_PLUGIN in each plugin's source (static libraries linked to this
// test): the scheme, and the verifier and drafter the kit runs it with.
void specrouter_register_vertical_cascade_collaboration(specrouter::PluginRegistrar& registrar);
void specrouter_register_token_verifier(specrouter::PluginRegistrar& registrar);
void specrouter_register_ngram_drafter(specrouter::PluginRegistrar& registrar);

namespace {

namespace conformance = specrouter::conformance;

const specrouter::Registries& registries() {
  static const specrouter::Registries registries = specrouter::conformance::registries_of(
      {&specrouter_register_vertical_cascade_collaboration, &specrouter_register_token_verifier, &specrouter_register_ngram_drafter});
  return registries;
}

TEST(VerticalCascadeConformance, GreedyDecodingIsLossless) {
  conformance::expect_greedy_lossless_collaboration(registries(), conformance::named("vertical_cascade"),
                                                    {.drafter = conformance::named("ngram")});
}

TEST(VerticalCascadeConformance, SampledDecodingIsLossless) {
  conformance::expect_sampling_lossless_collaboration(registries(), conformance::named("vertical_cascade"));
}

}  // namespace
