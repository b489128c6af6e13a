#include "specrouter/conformance/collaboration_checks.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "greedy_run.h"
#include "make_component.h"
#include "sampling_run.h"
#include "test_models.h"

namespace specrouter::conformance {
namespace {

using detail::kMedium;
using detail::kSmall;
using detail::kTarget;

// The verifier every level runs with: the reference one, so a failure is the scheme's.
const Component kTokenVerifier = named("token");

}  // namespace

void expect_greedy_lossless_collaboration(const Registries& registries, const Component& collaboration,
                                          const CollaborationCheckOptions& options) {
  const TestModels& models = detail::greedy_world().description;
  const std::shared_ptr<Collaboration> scheme = detail::make_component(registries.collaborations, collaboration, models);
  const std::string name = "collaboration '" + collaboration.name + "'";
  for (const bool with_drafter : {false, true}) {
    if (with_drafter && !options.drafter) continue;
    for (int levels = 1; levels <= 3; ++levels) {
      const std::string label = name + ", " + std::to_string(levels) + "-level chain" +
                                (with_drafter ? ", drafter '" + options.drafter->name + "' below" : "");
      SCOPED_TRACE(label);
      detail::GreedyCase greedy_case{label, detail::make_component(registries.verifiers, kTokenVerifier, models),
                                     with_drafter ? detail::make_component(registries.drafters, *options.drafter, models)
                                                  : nullptr,
                                     3, detail::chain_of_levels(levels), scheme};
      detail::expect_greedy_case_lossless(greedy_case);
    }
  }
}

void expect_sampling_lossless_collaboration(const Registries& registries, const Component& collaboration) {
  const TestModels& models = detail::sampling_world().description;
  const std::shared_ptr<Collaboration> scheme = detail::make_component(registries.collaborations, collaboration, models);
  const std::shared_ptr<Verifier> token = detail::make_component(registries.verifiers, kTokenVerifier, models);
  const std::string name = "collaboration '" + collaboration.name + "'";

  const detail::SamplingCase two_levels{name + ", [small, target] drafting 3", {.temperature = 1.0}, token, nullptr, 3,
                                        {{kSmall, kTarget}, {3}}, scheme};
  const detail::SamplingOutcome two = detail::run_sampling_case(two_levels);
  EXPECT_GT(two.p_value, detail::kSignificance) << two_levels.label << ": " << two.describe();
  EXPECT_GT(two.accepted[1], 0) << two_levels.label << ": nothing accepted; " << two.describe();
  EXPECT_LT(two.accepted[1], two.drafted[1]) << two_levels.label << ": nothing rejected; " << two.describe();

  // Filters apply at every level and zero some tokens, which the residuals must respect.
  const detail::SamplingCase three_levels{name + ", [small, medium, target] drafting 1, 3, filtered",
                                          {.temperature = 0.7, .top_k = 6, .top_p = 0.9}, token, nullptr, 3,
                                          {{kSmall, kMedium, kTarget}, {1, 3}}, scheme};
  const detail::SamplingOutcome three = detail::run_sampling_case(three_levels);
  EXPECT_GT(three.p_value, detail::kSignificance) << three_levels.label << ": " << three.describe();

  // The control: the same scheme with a verifier that skips the residual must fail.
  detail::SamplingCase broken = two_levels;
  broken.label = name + " with a verifier skipping the residual (must fail)";
  broken.verifier = detail::residual_skipping(token);
  const detail::SamplingOutcome control = detail::run_sampling_case(broken);
  EXPECT_LT(control.p_value, detail::kSignificance)
      << broken.label << ": the test did not catch a broken verifier; " << control.describe();
}

}  // namespace specrouter::conformance
