// The bandit scheduler against the conformance kit (docs/design/conformance_kit.md): valid
// plans for every pool and any estimates, plain decoding when speculation cannot pay, a
// quick decision.

#include <gtest/gtest.h>

#include <string>

#include "specrouter/conformance/conformance.h"
#include "specrouter/plugin/registries.h"

// Defined by SPECROUTER_PLUGIN in bandit_scheduler.cpp (linked statically).
void specrouter_register_bandit_scheduler(specrouter::PluginRegistrar& registrar);

namespace {

namespace conformance = specrouter::conformance;

const specrouter::Registries& registries() {
  static const specrouter::Registries registries = specrouter::conformance::registries_of(
      {&specrouter_register_bandit_scheduler});
  return registries;
}

TEST(BanditSchedulerConformance, PassesTheKit) {
  conformance::expect_scheduler_conforms(registries(), conformance::named("bandit"));
}

TEST(BanditSchedulerConformance, ThompsonSamplingPassesTheKit) {
  conformance::expect_scheduler_conforms(registries(),
                                         conformance::with_params("bandit", {{"policy", std::string("thompson")}}));
}

}  // namespace
