// The out-of-tree drafter against the installed conformance kit: lossless greedy and
// sampled speculation, paired with the token verifier the SpecRouter installation brings.

#include <gtest/gtest.h>

#include <filesystem>

#include "specrouter/conformance/conformance.h"
#include "specrouter/plugin/plugin_loader.h"
#include "specrouter/plugin/registries.h"

// Defined by SPECROUTER_PLUGIN in reverse_drafter.cpp (reverse_drafter_static).
void specrouter_register_reverse_drafter(specrouter::PluginRegistrar& registrar);

namespace {

namespace conformance = specrouter::conformance;

// The drafter, linked statically, and the installed token verifier, loaded as the
// harness loads it.
const specrouter::Registries& registries() {
  static const specrouter::Registries registries = [] {
    specrouter::Registries made;
    specrouter::PluginLoader(made).load_file(std::filesystem::path(SPECROUTER_INSTALLED_PLUGIN_DIR) /
                                             "libtoken_verifier.so");
    specrouter::PluginRegistrar registrar;
    specrouter_register_reverse_drafter(registrar);
    registrar.commit(made);
    return made;
  }();
  return registries;
}

TEST(ReverseDrafterConformance, GreedySpeculationIsLossless) {
  conformance::expect_greedy_lossless_drafter(registries(), conformance::named("reverse"));
}

TEST(ReverseDrafterConformance, SampledSpeculationIsLossless) {
  conformance::expect_sampling_lossless_drafter(registries(), conformance::named("reverse"));
}

}  // namespace
