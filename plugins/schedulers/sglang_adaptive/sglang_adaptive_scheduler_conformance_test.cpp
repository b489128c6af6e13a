// The sglang_adaptive scheduler against the conformance kit (docs/design/conformance_kit.md): valid
// plans for every pool and any estimates, plain decoding when speculation cannot pay, a
// quick decision.

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "specrouter/conformance/conformance.h"
#include "specrouter/plugin/registries.h"

// Defined by SPECROUTER_PLUGIN in sglang_adaptive_scheduler.cpp (linked statically).
void specrouter_register_sglang_adaptive_scheduler(specrouter::PluginRegistrar& registrar);

namespace {

namespace conformance = specrouter::conformance;

const specrouter::Registries& registries() {
  static const specrouter::Registries registries = specrouter::conformance::registries_of(
      {&specrouter_register_sglang_adaptive_scheduler});
  return registries;
}

// Its chain is a drafting model and the target: a pool of one model is refused.
const conformance::SchedulerCheckOptions kPoolsWithADrafter{.min_pool_size = 2};

// With a tier of length 0, the EMA of accepted tokens moves it down to plain decoding.
TEST(SglangAdaptiveSchedulerConformance, PassesTheKit) {
  conformance::expect_scheduler_conforms(
      registries(), conformance::with_params("sglang_adaptive", {{"tiers", std::vector<std::int64_t>{0, 1, 3, 5}}}),
      kPoolsWithADrafter);
}

}  // namespace
