// The static scheduler against the conformance kit (docs/design/conformance_kit.md): valid
// plans for every pool and any estimates, plain decoding when speculation cannot pay, a
// quick decision.

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "specrouter/conformance/conformance.h"
#include "specrouter/plugin/registries.h"

// Defined by SPECROUTER_PLUGIN in static_scheduler.cpp (linked statically).
void specrouter_register_static_scheduler(specrouter::PluginRegistrar& registrar);

namespace {

namespace conformance = specrouter::conformance;

const specrouter::Registries& registries() {
  static const specrouter::Registries registries = specrouter::conformance::registries_of(
      {&specrouter_register_static_scheduler});
  return registries;
}

// A chain over the whole pool, two tokens drafted per level: the plan every step.
conformance::Component whole_pool_chain() {
  return {"static", [](const conformance::TestModels& models) {
            return conformance::ParamOverrides{
                {"chain", models.pool_names},
                {"draft_lengths", std::vector<std::int64_t>(models.pool_names.size() - 1, 2)}};
          }};
}

TEST(StaticSchedulerConformance, PlansTheConfiguredChainValidlyAndQuickly) {
  conformance::expect_valid_plans(registries(), whole_pool_chain());
  conformance::expect_plans_quickly(registries(), whole_pool_chain());
}

// Its default chain is the target alone.
TEST(StaticSchedulerConformance, DefaultsToTargetOnlyDecoding) {
  conformance::expect_target_only_reachable(registries(), conformance::named("static"));
}

TEST(StaticSchedulerConformance, BadParametersAreRefused) {
  conformance::expect_refuses_params(registries().schedulers, "static",
                                     {{"chain", std::vector<std::string>{"target"}},
                                      {"draft_lengths", std::vector<std::int64_t>{2}}},
                                     "draft_lengths");
}

}  // namespace
