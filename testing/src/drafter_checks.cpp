#include "specrouter/conformance/drafter_checks.h"

#include <gtest/gtest.h>

#include "greedy_run.h"
#include "make_component.h"
#include "sampling_run.h"
#include "test_models.h"

namespace specrouter::conformance {

using detail::kMedium;
using detail::kTarget;

void expect_greedy_lossless_drafter(const Registries& registries, const Component& drafter,
                                    const DrafterCheckOptions& options) {
  const TestModels& models = detail::greedy_world().description;
  std::int64_t drafted = 0;
  for (const std::string& verifier : options.verifiers) {
    for (int levels = 1; levels <= 3; ++levels) {
      const std::string label = "drafter '" + drafter.name + "' with verifier '" + verifier + "', " +
                                std::to_string(levels) + "-level chain";
      SCOPED_TRACE(label);
      drafted += detail::expect_greedy_case_lossless(
          {label, detail::make_component(registries.verifiers, named(verifier), models),
           detail::make_component(registries.drafters, drafter, models), options.draft_length,
           detail::chain_of_levels(levels), nullptr});
    }
  }
  EXPECT_GT(drafted, 0) << "drafter '" << drafter.name << "' proposed nothing: the check did not exercise it";
}

void expect_sampling_lossless_drafter(const Registries& registries, const Component& drafter,
                                      const DrafterCheckOptions& options) {
  const TestModels& models = detail::sampling_world().description;
  const std::string& verifier_name = options.verifiers.at(0);
  const std::shared_ptr<Verifier> verifier = detail::make_component(registries.verifiers, named(verifier_name), models);
  const auto fresh_drafter = [&] { return detail::make_component(registries.drafters, drafter, models); };
  const std::string paired = "drafter '" + drafter.name + "' with verifier '" + verifier_name + "'";

  const detail::SamplingCase below_chain{paired + " below [medium, target]", {.temperature = 1.0}, verifier,
                                         fresh_drafter(), options.draft_length, {{kMedium, kTarget}, {3}}, nullptr};
  const detail::SamplingOutcome chain = detail::run_sampling_case(below_chain);
  EXPECT_GT(chain.p_value, detail::kSignificance) << below_chain.label << ": " << chain.describe();

  const detail::SamplingCase below_target{paired + " below [target], temperature 0.8, top-k 5",
                                          {.temperature = 0.8, .top_k = 5}, verifier, fresh_drafter(),
                                          options.draft_length, {{kTarget}, {}}, nullptr};
  const detail::SamplingOutcome alone = detail::run_sampling_case(below_target);
  EXPECT_GT(alone.p_value, detail::kSignificance) << below_target.label << ": " << alone.describe();

  EXPECT_GT(chain.drafted[0] + alone.drafted[0], 0) << paired << ": the drafter proposed nothing";
  EXPECT_GT(chain.accepted[0] + alone.accepted[0], 0) << paired << ": no drafted token was ever accepted";

  // The control: the same case with the verifier made wrong must fail, or the test above
  // could not have caught a wrong drafter either.
  detail::SamplingCase broken = below_chain;
  broken.label = paired + ", verifier skipping the residual (must fail)";
  broken.verifier = detail::residual_skipping(verifier);
  broken.drafter = fresh_drafter();
  const detail::SamplingOutcome control = detail::run_sampling_case(broken);
  EXPECT_LT(control.p_value, detail::kSignificance)
      << broken.label << ": the test did not catch a broken verifier, so it cannot vouch for the drafter; "
      << control.describe();
}

}  // namespace specrouter::conformance
