// The draft_length_table scheduler against the conformance kit (docs/design/conformance_kit.md): valid
// plans for every pool and any estimates, plain decoding when speculation cannot pay, a
// quick decision.

#include <gtest/gtest.h>

#include "specrouter/conformance/conformance.h"
#include "specrouter/plugin/registries.h"

// Defined by SPECROUTER_PLUGIN in draft_length_table_scheduler.cpp (linked statically).
void specrouter_register_draft_length_table_scheduler(specrouter::PluginRegistrar& registrar);

namespace {

namespace conformance = specrouter::conformance;

const specrouter::Registries& registries() {
  static const specrouter::Registries registries = specrouter::conformance::registries_of(
      {&specrouter_register_draft_length_table_scheduler});
  return registries;
}

// The default table drafts up to batch 8 and decodes plainly from batch 9, with the pool's
// cheapest model and the target: a pool of one model has nothing to draft with.
const conformance::SchedulerCheckOptions kPoolsWithADrafter{.min_pool_size = 2};

TEST(DraftLengthTableSchedulerConformance, PassesTheKit) {
  conformance::expect_scheduler_conforms(registries(), conformance::named("draft_length_table"), kPoolsWithADrafter);
}

}  // namespace
