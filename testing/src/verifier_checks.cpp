#include "specrouter/conformance/verifier_checks.h"

#include <gtest/gtest.h>

#include <functional>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "greedy_run.h"
#include "make_component.h"
#include "sampling_run.h"
#include "specrouter/error.h"
#include "test_models.h"

namespace specrouter::conformance {
namespace {

using detail::kMedium;
using detail::kSmall;
using detail::kTarget;

// Expects `verify` to throw a specrouter::Error whose message names `owner` (and holds
// `also`, when given); `what` says which request it was.
void expect_refusal(const std::function<void()>& verify, const std::string& owner, const std::string& what,
                    const std::string& also = "") {
  try {
    verify();
    ADD_FAILURE() << owner << " accepted " << what;
  } catch (const Error& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find(owner), std::string::npos) << what << ": the message does not name " << owner << ": " << message;
    if (!also.empty()) {
      EXPECT_NE(message.find(also), std::string::npos) << what << ": \"" << also << "\" missing: " << message;
    }
  } catch (const std::exception& error) {
    ADD_FAILURE() << owner << " refused " << what << " with an exception that is not a specrouter::Error: " << error.what();
  }
}

// Uniform rows over a vocabulary of 4: [rows, 4].
std::vector<float> uniform_rows(std::int64_t rows) { return std::vector<float>(static_cast<std::size_t>(rows * 4), 0.25f); }

}  // namespace

void expect_greedy_lossless_verifier(const Registries& registries, const Component& verifier,
                                     const VerifierCheckOptions& options) {
  const TestModels& models = detail::greedy_world().description;
  for (int levels = 1; levels <= 3; ++levels) {
    const std::string label = "verifier '" + verifier.name + "', " + std::to_string(levels) + "-level chain";
    SCOPED_TRACE(label);
    detail::expect_greedy_case_lossless({label, detail::make_component(registries.verifiers, verifier, models), nullptr,
                                         3, detail::chain_of_levels(levels), nullptr});
  }
  if (!options.tree_drafter) return;
  std::int64_t drafted = 0;
  for (int levels = 1; levels <= 3; ++levels) {
    const std::string label = "verifier '" + verifier.name + "', tree drafts of drafter '" +
                              options.tree_drafter->name + "' below a " + std::to_string(levels) + "-level chain";
    SCOPED_TRACE(label);
    drafted += detail::expect_greedy_case_lossless(
        {label, detail::make_component(registries.verifiers, verifier, models),
         detail::make_component(registries.drafters, *options.tree_drafter, models), 3, detail::chain_of_levels(levels),
         nullptr});
  }
  EXPECT_GT(drafted, 0) << "the tree drafter proposed nothing";
}

void expect_sampling_lossless_verifier(const Registries& registries, const Component& verifier,
                                       const VerifierCheckOptions& options) {
  const TestModels& models = detail::sampling_world().description;
  const std::shared_ptr<Verifier> under_test = detail::make_component(registries.verifiers, verifier, models);
  const std::string name = "verifier '" + verifier.name + "'";

  const detail::SamplingCase two_levels{name + ", [small, target] drafting 3", {.temperature = 1.0}, under_test,
                                        nullptr, 3, {{kSmall, kTarget}, {3}}, nullptr};
  const detail::SamplingOutcome two = detail::run_sampling_case(two_levels);
  EXPECT_GT(two.p_value, detail::kSignificance) << two_levels.label << ": " << two.describe();
  EXPECT_GT(two.accepted[1], 0) << two_levels.label << ": nothing accepted; " << two.describe();
  EXPECT_LT(two.accepted[1], two.drafted[1]) << two_levels.label << ": nothing rejected; " << two.describe();

  // Filters apply at every level and zero some tokens, which the residuals must respect.
  const detail::SamplingCase three_levels{name + ", [small, medium, target] drafting 1, 3, filtered",
                                          {.temperature = 0.7, .top_k = 6, .top_p = 0.9}, under_test, nullptr, 3,
                                          {{kSmall, kMedium, kTarget}, {1, 3}}, nullptr};
  const detail::SamplingOutcome three = detail::run_sampling_case(three_levels);
  EXPECT_GT(three.p_value, detail::kSignificance) << three_levels.label << ": " << three.describe();
  EXPECT_GT(three.accepted[2], 0) << three_levels.label << ": nothing accepted at the target; " << three.describe();

  if (options.tree_drafter) {
    const detail::SamplingCase trees{name + ", tree drafts of drafter '" + options.tree_drafter->name + "' below [target]",
                                     {.temperature = 1.0}, under_test,
                                     detail::make_component(registries.drafters, *options.tree_drafter, models), 2,
                                     {{kTarget}, {}}, nullptr};
    const detail::SamplingOutcome tree = detail::run_sampling_case(trees);
    EXPECT_GT(tree.p_value, detail::kSignificance) << trees.label << ": " << tree.describe();
    EXPECT_GT(tree.accepted[0], 0) << trees.label << ": no tree node accepted; " << tree.describe();
  }

  // The control: the verifier made wrong must fail the same test, or passing proves nothing.
  detail::SamplingCase broken = two_levels;
  broken.label = name + " skipping the residual (must fail)";
  broken.verifier = detail::residual_skipping(under_test);
  const detail::SamplingOutcome control = detail::run_sampling_case(broken);
  EXPECT_LT(control.p_value, detail::kSignificance)
      << broken.label << ": the test did not catch a broken verifier; " << control.describe();
}

void expect_verifier_refuses_tree_drafts(const Registries& registries, const Component& verifier) {
  const std::shared_ptr<Verifier> under_test = detail::make_component(registries.verifiers, verifier, TestModels{});
  const std::string owner = detail::owner_of(registries.verifiers, verifier.name);
  const std::vector<TokenId> tokens = {1, 2};
  const std::vector<std::int32_t> two_roots = {-1, -1};
  const std::vector<float> p = uniform_rows(3);
  for (const bool greedy : {true, false}) {
    VerifyRequest request;
    request.draft_tokens = tokens;
    request.parents = two_roots;
    request.target_probs = {p.data(), 3, 4};
    request.greedy = greedy;
    std::mt19937_64 rng(1);
    expect_refusal([&] { under_test->verify(request, rng); }, owner,
                   std::string("a tree draft of two roots, ") + (greedy ? "greedy" : "sampling"), "tree");
  }
}

void expect_verifier_refuses_malformed_requests(const Registries& registries, const Component& verifier) {
  const std::shared_ptr<Verifier> under_test = detail::make_component(registries.verifiers, verifier, TestModels{});
  const std::string owner = detail::owner_of(registries.verifiers, verifier.name);
  const std::vector<float> three_rows = uniform_rows(3), two_rows = uniform_rows(2), one_row = uniform_rows(1);
  std::mt19937_64 rng(1);
  const auto refuses = [&](const VerifyRequest& request, const std::string& what) {
    expect_refusal([&] { under_test->verify(request, rng); }, owner, what);
  };

  // A request of `tokens` over a vocabulary of 4; `parents`, `draft_rows` may be empty.
  const auto request = [](std::span<const TokenId> tokens, std::span<const std::int32_t> parents,
                          const std::vector<float>& target_rows, const std::vector<float>& draft_rows, bool greedy) {
    VerifyRequest made;
    made.draft_tokens = tokens;
    made.parents = parents;
    made.target_probs = {target_rows.data(), static_cast<std::int64_t>(target_rows.size() / 4), 4};
    if (!draft_rows.empty()) made.draft_probs = {draft_rows.data(), static_cast<std::int64_t>(draft_rows.size() / 4), 4};
    made.greedy = greedy;
    return made;
  };
  const std::vector<TokenId> outside = {7}, two_tokens = {1, 2};
  const std::vector<std::int32_t> later_parent = {1, -1};
  refuses(request(outside, {}, two_rows, {}, true), "draft token 7 in a vocabulary of 4");
  refuses(request(two_tokens, {}, two_rows, {}, true), "2 draft tokens with 2 target rows (3 needed)");
  refuses(request(two_tokens, {}, three_rows, one_row, false), "2 sampled draft tokens with 1 draft row");
  refuses(request(two_tokens, later_parent, three_rows, {}, true), "a draft whose first node's parent is the second node");
}

}  // namespace specrouter::conformance
