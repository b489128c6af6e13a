// The kit's own test: its checks fail on components that break the contract, so a plugin
// passing them means something. Each broken component is the smallest way to break one
// promise, and the check must report it (its failures are intercepted, not this test's).

#include <gmock/gmock.h>
#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>
#include <memory>
#include <random>
#include <span>
#include <thread>

#include "specrouter/conformance/conformance.h"
#include "specrouter/error.h"
#include "specrouter/plugin/registries.h"
#include "specrouter/sampling/sampling.h"

namespace {

namespace conformance = specrouter::conformance;
using specrouter::Plan;
using specrouter::SchedulingContext;
using specrouter::Verdict;
using specrouter::VerifyRequest;

// Verifies a linear draft greedily or by speculative sampling; `broken_bonus` draws the
// bonus token uniformly instead of from p, and `accept_everything` keeps every draft token.
class TextbookVerifier final : public specrouter::Verifier {
 public:
  TextbookVerifier(bool accept_everything, bool broken_bonus)
      : accept_everything_(accept_everything), broken_bonus_(broken_bonus) {}

  Verdict verify(const VerifyRequest& request, std::mt19937_64& rng) override {
    specrouter::check_verify_request(request, "verifier 'textbook'");
    if (!request.parents.empty()) throw specrouter::ConfigError("verifier 'textbook' verifies linear drafts only, not a tree");
    const auto& p = request.target_probs;
    const auto& q = request.draft_probs;
    Verdict verdict;
    for (std::int32_t i = 0; i < static_cast<std::int32_t>(request.draft_tokens.size()); ++i) {
      const specrouter::TokenId x = request.draft_tokens[i];
      const bool accepted = accept_everything_ ||
                            (request.greedy ? x == specrouter::argmax(p.row(i))
                                            : specrouter::next_uniform(rng) * (q.empty() ? 1.0 : q.row(i)[x]) < p.row(i)[x]);
      if (accepted) {
        verdict.accepted_path.push_back(i);
        continue;
      }
      std::vector<float> residual(p.row(i).begin(), p.row(i).end());
      if (!request.greedy) {
        for (std::size_t v = 0; v < residual.size(); ++v) {
          const float q_v = q.empty() ? (static_cast<specrouter::TokenId>(v) == x ? 1.0f : 0.0f) : q.row(i)[v];
          residual[v] = std::max(0.0f, residual[v] - q_v);
        }
      }
      verdict.next_token = request.greedy ? specrouter::argmax(p.row(i))
                                          : specrouter::sample_from_distribution(residual, specrouter::next_uniform(rng));
      return verdict;
    }
    const auto last = p.row(p.rows - 1);
    verdict.bonus = true;
    if (request.greedy) {
      verdict.next_token = specrouter::argmax(last);
    } else if (broken_bonus_) {
      verdict.next_token = static_cast<specrouter::TokenId>(rng() % static_cast<std::uint64_t>(p.vocab_size));
    } else {
      verdict.next_token = specrouter::sample_from_distribution(last, specrouter::next_uniform(rng));
    }
    return verdict;
  }

 private:
  bool accept_everything_, broken_bonus_;
};

// Drafts a fixed pattern (the last context token plus 1, 2, ...) but reports uniform rows, as
// if it had sampled them: verifiers then accept its tokens far too often.
class LyingDrafter final : public specrouter::Drafter {
 public:
  explicit LyingDrafter(std::int64_t vocab) : vocab_(vocab) {}
  std::vector<specrouter::Draft> propose(std::span<const specrouter::DraftRequest> requests,
                                         const specrouter::DraftContext&) override {
    std::vector<specrouter::Draft> drafts(requests.size());
    for (std::size_t r = 0; r < requests.size(); ++r) {
      for (int i = 0; i < requests[r].max_tokens; ++i) {
        drafts[r].tokens.push_back(static_cast<specrouter::TokenId>((requests[r].context.back() + i + 1) % vocab_));
        drafts[r].probs.insert(drafts[r].probs.end(), static_cast<std::size_t>(vocab_), 1.0f / static_cast<float>(vocab_));
      }
    }
    return drafts;
  }

 private:
  std::int64_t vocab_;
};

// Plans from a fixed rule, optionally slowly.
class RuleScheduler final : public specrouter::Scheduler {
 public:
  enum class Rule { kForgetsTheTarget, kAlwaysDrafts, kSlowButValid };
  explicit RuleScheduler(Rule rule) : rule_(rule) {}
  Plan plan(const SchedulingContext& context) override {
    const int target = static_cast<int>(context.pool.size()) - 1;
    if (rule_ == Rule::kSlowButValid) std::this_thread::sleep_for(std::chrono::milliseconds(3));
    if (target == 0) return {{0}, {}};
    if (rule_ == Rule::kForgetsTheTarget) return {{0}, {}};  // the chain must end at the target
    return {{0, target}, {2}};
  }

 private:
  Rule rule_;
};

specrouter::Registries broken_components() {
  specrouter::Registries registries;
  const auto verifier = [&](const std::string& name, bool accept_everything, bool broken_bonus) {
    registries.verifiers.add({nullptr, {"verifier", name, "conformance kit test", {}}, [=](const specrouter::Params&) {
                                return std::make_unique<TextbookVerifier>(accept_everything, broken_bonus);
                              }});
  };
  verifier("textbook", false, false);
  registries.drafters.add({nullptr,
                           {"drafter", "lying", "conformance kit test",
                            {specrouter::required_param("vocab_size", specrouter::ParamType::kInt, "the models' vocabulary")}},
                           [](const specrouter::Params& params) {
                             return std::make_unique<LyingDrafter>(params.get<std::int64_t>("vocab_size"));
                           }});
  verifier("accepts_everything", true, false);
  verifier("uniform_bonus", false, true);
  const auto scheduler = [&](const std::string& name, RuleScheduler::Rule rule) {
    registries.schedulers.add({nullptr, {"scheduler", name, "conformance kit test", {}},
                               [=](const specrouter::Params&) { return std::make_unique<RuleScheduler>(rule); }});
  };
  scheduler("forgets_the_target", RuleScheduler::Rule::kForgetsTheTarget);
  scheduler("always_drafts", RuleScheduler::Rule::kAlwaysDrafts);
  scheduler("slow", RuleScheduler::Rule::kSlowButValid);
  return registries;
}

const specrouter::Registries& registries() {
  static const specrouter::Registries registries = broken_components();
  return registries;
}

// The failures `check` reports, intercepted so that they do not fail this test.
std::vector<std::string> failures_of(const std::function<void()>& check) {
  ::testing::TestPartResultArray results;
  {
    ::testing::ScopedFakeTestPartResultReporter reporter(
        ::testing::ScopedFakeTestPartResultReporter::INTERCEPT_ONLY_CURRENT_THREAD, &results);
    check();
  }
  std::vector<std::string> messages;
  for (int i = 0; i < results.size(); ++i) messages.emplace_back(results.GetTestPartResult(i).message());
  return messages;
}

using ::testing::Contains;
using ::testing::HasSubstr;

// The positive control, written apart from the plugins (their own tests run the sampled
// check on the real verifiers).
TEST(ConformanceKit, ATextbookVerifierPasses) {
  conformance::expect_greedy_lossless_verifier(registries(), conformance::named("textbook"));
  conformance::expect_verifier_refuses_tree_drafts(registries(), conformance::named("textbook"));
  conformance::expect_verifier_refuses_malformed_requests(registries(), conformance::named("textbook"));
}

TEST(ConformanceKit, GreedyCheckCatchesAVerifierThatAcceptsEverything) {
  EXPECT_THAT(failures_of([] {
                conformance::expect_greedy_lossless_verifier(registries(), conformance::named("accepts_everything"));
              }),
              Contains(HasSubstr("verifier 'accepts_everything', 2-level chain: batched")));
}

TEST(ConformanceKit, SampledCheckCatchesAVerifierWithAWrongBonus) {
  EXPECT_THAT(failures_of([] {
                conformance::expect_sampling_lossless_verifier(registries(), conformance::named("uniform_bonus"));
              }),
              Contains(HasSubstr("p-value")));
}

TEST(ConformanceKit, SampledCheckCatchesADrafterReportingRowsItDidNotDrawFrom) {
  const conformance::Component lying{"lying", [](const conformance::TestModels& models) {
                                       return conformance::ParamOverrides{{"vocab_size", models.vocab_size}};
                                     }};
  EXPECT_THAT(failures_of([&] {
                conformance::expect_sampling_lossless_drafter(registries(), lying, {.verifiers = {"textbook"}});
              }),
              Contains(HasSubstr("p-value")));
}

TEST(ConformanceKit, SchedulerChecksCatchBrokenSchedulers) {
  EXPECT_THAT(failures_of([] { conformance::expect_valid_plans(registries(), conformance::named("forgets_the_target")); }),
              Contains(HasSubstr("invalid plan")));
  EXPECT_THAT(failures_of([] {
                conformance::expect_target_only_reachable(registries(), conformance::named("always_drafts"));
              }),
              Contains(HasSubstr("no target-only plan")));
  // 3 ms a call against a bound of 1 ms; a pool of 2 keeps the check short.
  EXPECT_THAT(failures_of([] {
                conformance::expect_plans_quickly(registries(), conformance::named("slow"),
                                                  {.max_pool_size = 2, .max_median_plan_seconds = 1e-3});
              }),
              Contains(HasSubstr("median plan() call")));
}

TEST(ConformanceKit, ParamCheckCatchesAComponentThatTakesAnything) {
  EXPECT_THAT(failures_of([] { conformance::expect_refuses_params(registries().verifiers, "textbook", {}, "anything"); }),
              Contains(HasSubstr("was created with parameters it should refuse")));
}

}  // namespace
