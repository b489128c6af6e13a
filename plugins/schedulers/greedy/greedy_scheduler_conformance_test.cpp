// The greedy scheduler against the conformance kit (docs/design/conformance_kit.md): valid
// plans for every pool and any estimates, plain decoding when speculation cannot pay, a
// quick decision.

#include <gtest/gtest.h>

#include "specrouter/conformance/conformance.h"
#include "specrouter/plugin/registries.h"

// Defined by SPECROUTER_PLUGIN in greedy_scheduler.cpp (linked statically).
void specrouter_register_greedy_scheduler(specrouter::PluginRegistrar& registrar);

namespace {

namespace conformance = specrouter::conformance;

const specrouter::Registries& registries() {
  static const specrouter::Registries registries = specrouter::conformance::registries_of(
      {&specrouter_register_greedy_scheduler});
  return registries;
}

TEST(GreedySchedulerConformance, PassesTheKit) {
  conformance::expect_scheduler_conforms(registries(), conformance::named("greedy"));
}

}  // namespace
