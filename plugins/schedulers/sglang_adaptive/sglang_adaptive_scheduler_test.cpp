// Tests of the SGLang-adaptive scheduler, through the registry as the harness uses it:
// exact draft-length sequences for given acceptance sequences, worked out by hand in the
// comments (EMA, thresholds, decision steps), and every parameter error.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "specrouter/config/compose.h"
#include "specrouter/config/validate.h"
#include "specrouter/error.h"
#include "specrouter/plugin/registries.h"
#include "specrouter/scheduler.h"

// Defined by SPECROUTER_PLUGIN in sglang_adaptive_scheduler.cpp.
void specrouter_register_sglang_adaptive_scheduler(specrouter::PluginRegistrar& registrar);

namespace {

using specrouter::ParamValue;
using specrouter::Plan;
using specrouter::PoolMember;
using specrouter::Scheduler;
using specrouter::StepOutcome;
using ::testing::HasSubstr;
using Names = std::vector<std::string>;
using Ints = std::vector<std::int64_t>;

const std::vector<PoolMember> kPool{{"small"}, {"medium"}, {"target"}};

class SglangAdaptiveTest : public ::testing::Test {
 protected:
  SglangAdaptiveTest() {
    specrouter::PluginRegistrar registrar;
    specrouter_register_sglang_adaptive_scheduler(registrar);
    registrar.commit(registries_);
  }

  const specrouter::ComponentInfo& info() const { return registries_.schedulers.at("sglang_adaptive").info; }

  std::shared_ptr<Scheduler> make(const std::map<std::string, ParamValue>& overrides = {}) const {
    return registries_.schedulers.create(
        "sglang_adaptive", specrouter::Params::from_specs("scheduler 'sglang_adaptive'", info().params, overrides));
  }

  // Plans a step of `batch_size` sequences, reports that each sequence got
  // `accepted(K)` draft tokens accepted per round over `target_passes` rounds, and
  // returns the draft length K the step ran (0 = target only).
  template <class Accepted>
  static int step(Scheduler& scheduler, Accepted accepted, int batch_size = 1, int target_passes = 1) {
    const Plan plan = scheduler.plan({kPool, batch_size});
    const int draft_length = plan.chain.size() == 1 ? 0 : plan.draft_lengths.front();
    StepOutcome outcome{.plan = plan, .batch_size = batch_size, .context_length = 100};
    outcome.committed_tokens = static_cast<std::int64_t>(batch_size) * target_passes * (accepted(draft_length) + 1);
    outcome.target_passes = target_passes;
    outcome.seconds = 0.01;
    scheduler.observe(outcome);
    return draft_length;
  }

  // The draft lengths of `steps` steps, each sequence accepting `accepted(K)` tokens.
  template <class Accepted>
  static std::vector<int> run(Scheduler& scheduler, int steps, Accepted accepted) {
    std::vector<int> lengths;
    for (int i = 0; i < steps; ++i) lengths.push_back(step(scheduler, accepted));
    return lengths;
  }

  static std::vector<int> repeat(int value, int times) {
    return std::vector<int>(static_cast<std::size_t>(times), value);
  }
  static std::vector<int> concat(std::vector<int> a, const std::vector<int>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
  }

  template <class Attempt>
  static std::string config_error(Attempt attempt) {
    try {
      attempt();
    } catch (const specrouter::ConfigError& error) {
      EXPECT_THAT(error.what(), HasSubstr("scheduler 'sglang_adaptive'"));
      return error.what();
    }
    ADD_FAILURE() << "expected a ConfigError";
    return "";
  }

  specrouter::Registries registries_;
};

const auto kAll = [](int draft_length) { return draft_length; };
const auto kNone = [](int) { return 0; };

TEST_F(SglangAdaptiveTest, StartsAtTheMiddleTierOnTheCheapestModel) {
  auto scheduler = make();
  const Plan plan = scheduler->plan({kPool, 1});
  EXPECT_EQ(plan.chain, (std::vector<int>{0, 2}));
  EXPECT_EQ(plan.draft_lengths, (std::vector<int>{5}));  // tiers [1, 3, 5, 7], tiers[4 / 2]
  const Plan medium = make({{"chain", Names{"medium", "target"}}, {"initial_draft_length", std::int64_t{3}}})
                          ->plan({kPool, 1});
  EXPECT_EQ(medium.chain, (std::vector<int>{1, 2}));
  EXPECT_EQ(medium.draft_lengths, (std::vector<int>{3}));
}

TEST_F(SglangAdaptiveTest, FullAcceptanceStepsUpAtTheFirstDecision) {
  // Defaults: EMA starts at 5 - 1 = 4 and after n fully accepted steps of K = 5 is
  // 5 - 0.8^n. The first decision is at step 15 (10 warm-up steps, then every 5):
  // 5 - 0.8^15 = 4.96 > 5 - 0.5, so K goes to 7 (and not past it: 4.96 <= 6.5). At 7
  // the EMA rises further; 7 is the top tier, and 4.96+ is far above the drop
  // threshold 5 - 0.5 - 0.25, so it stays.
  auto scheduler = make();
  EXPECT_EQ(run(*scheduler, 30, kAll), concat(repeat(5, 15), repeat(7, 15)));
}

TEST_F(SglangAdaptiveTest, NoAcceptanceDropsSeveralTiersAtOnce) {
  // EMA 4 x 0.8^n; at step 15 it is 0.14: at most 3 - 0.75 (drop to 3) and at most
  // 1 - 0.75 = 0.25 (drop to 1), so K falls from 5 to 1 in one decision, and stays at
  // the bottom tier.
  auto scheduler = make();
  EXPECT_EQ(run(*scheduler, 30, kNone), concat(repeat(5, 15), repeat(1, 15)));
}

TEST_F(SglangAdaptiveTest, HysteresisKeepsTheTierBetweenThresholds) {
  // 4 of 5 drafts accepted: the EMA stays at 4, between the drop threshold 2.25 and the
  // rise threshold 4.5.
  auto steady = make();
  EXPECT_EQ(run(*steady, 60, [](int) { return 4; }), repeat(5, 60));

  // 4.6 accepted per sequence (5 sequences committing 28 tokens a step): the EMA
  // 4.6 - 0.6 x 0.8^n passes 4.5 from step 9, so the decision at step 15 steps up; with
  // up_hysteresis 0.2 the threshold is 4.7 and it never does.
  const auto four_point_six = [](Scheduler& scheduler, int steps) {
    std::vector<int> lengths;
    for (int i = 0; i < steps; ++i) {
      const Plan plan = scheduler.plan({kPool, 5});
      lengths.push_back(plan.draft_lengths.front());
      StepOutcome outcome{.plan = plan, .batch_size = 5, .context_length = 100};
      outcome.committed_tokens = 28;
      outcome.target_passes = 1;
      outcome.seconds = 0.01;
      scheduler.observe(outcome);
    }
    return lengths;
  };
  EXPECT_EQ(four_point_six(*make(), 20), concat(repeat(5, 15), repeat(7, 5)));
  EXPECT_EQ(four_point_six(*make({{"up_hysteresis", 0.2}}), 40), repeat(5, 40));

  // Down: tiers [1, 3] from 3 (EMA 2), 0.4 accepted (5 sequences, 7 tokens): the EMA
  // 0.4 + 1.6 x 0.8^n never reaches the default threshold 1 - 0.5 - 0.25 = 0.25; with
  // down_hysteresis 0 the threshold is 0.5, passed from step 13, so step 15 drops.
  const auto zero_point_four = [](Scheduler& scheduler, int steps) {
    std::vector<int> lengths;
    for (int i = 0; i < steps; ++i) {
      const Plan plan = scheduler.plan({kPool, 5});
      lengths.push_back(plan.draft_lengths.front());
      StepOutcome outcome{.plan = plan, .batch_size = 5, .context_length = 100};
      outcome.committed_tokens = 7;
      outcome.target_passes = 1;
      outcome.seconds = 0.01;
      scheduler.observe(outcome);
    }
    return lengths;
  };
  const Ints one_three{1, 3};
  EXPECT_EQ(zero_point_four(*make({{"tiers", one_three}}), 40), repeat(3, 40));
  EXPECT_EQ(zero_point_four(*make({{"tiers", one_three}, {"down_hysteresis", 0.0}}), 20),
            concat(repeat(3, 15), repeat(1, 5)));
}

TEST_F(SglangAdaptiveTest, DecisionsOnlyEveryUpdateInterval) {
  // tiers [1, 2, 4] from 2, alpha 0.5, no warm-up, a decision every 3 steps. Full
  // acceptance: EMA 1 -> 1.5, 1.75, 1.875. It passes 2 - 0.5 at step 2 already, but the
  // first decision is at step 3 (-> 4, as 1.875 <= 3.5); then 2.94, 3.47, 3.73 at 4.
  auto scheduler = make({{"tiers", Ints{1, 2, 4}},
                         {"initial_draft_length", std::int64_t{2}},
                         {"ema_alpha", 0.5},
                         {"warmup_steps", std::int64_t{0}},
                         {"update_interval", std::int64_t{3}}});
  EXPECT_EQ(run(*scheduler, 8, kAll), (std::vector<int>{2, 2, 2, 4, 4, 4, 4, 4}));
}

TEST_F(SglangAdaptiveTest, TierZeroIsPlainDecodingAndIsProbedOutOf) {
  // tiers [0, 2] from 2 (EMA 1), alpha 0.5, a decision every step. No acceptance: EMA
  // 0.5 (> 0.5 - 0.25, stays), then 0.25 (drops to 0: target only). A target-only step
  // measures nothing and the next decision probes 2 again; full acceptance there gives
  // EMA 1.125, between the thresholds 0.25 and 1.5.
  auto scheduler = make({{"tiers", Ints{0, 2}},
                         {"initial_draft_length", std::int64_t{2}},
                         {"ema_alpha", 0.5},
                         {"warmup_steps", std::int64_t{0}},
                         {"update_interval", std::int64_t{1}}});
  std::vector<int> lengths;
  lengths.push_back(step(*scheduler, kNone));
  lengths.push_back(step(*scheduler, kNone));
  const Plan plain = scheduler->plan({kPool, 1});
  EXPECT_EQ(plain.chain, (std::vector<int>{2}));
  EXPECT_TRUE(plain.draft_lengths.empty());
  lengths.push_back(step(*scheduler, kNone));
  lengths.push_back(step(*scheduler, kAll));
  lengths.push_back(step(*scheduler, kAll));
  EXPECT_EQ(lengths, (std::vector<int>{2, 2, 0, 2, 2}));

  // Starting at 0, the EMA (-1) has no history: the first probe starts it at 1 - 1 = 0.
  // Full acceptance at 1: 0.5 (not above 0.5), then 0.75 (-> 3).
  auto from_zero = make({{"tiers", Ints{0, 1, 3}},
                         {"initial_draft_length", std::int64_t{0}},
                         {"ema_alpha", 0.5},
                         {"warmup_steps", std::int64_t{0}},
                         {"update_interval", std::int64_t{1}}});
  EXPECT_EQ(run(*from_zero, 5, kAll), (std::vector<int>{0, 1, 1, 3, 3}));
}

TEST_F(SglangAdaptiveTest, AcceptedLengthIsPerSequenceAndRound) {
  // tiers [1, 3, 5] from 3 (EMA 2), alpha 1 (the EMA is the last step), a decision
  // every step; accepted = committed / (batch x target passes) - 1.
  const std::map<std::string, ParamValue> settings{{"tiers", Ints{1, 3, 5}},
                                                   {"ema_alpha", 1.0},
                                                   {"warmup_steps", std::int64_t{0}},
                                                   {"update_interval", std::int64_t{1}}};
  const auto after_one_step = [&](std::int64_t committed, int target_passes) {
    auto scheduler = make(settings);
    const Plan plan = scheduler->plan({kPool, 4});
    EXPECT_EQ(plan.draft_lengths, (std::vector<int>{3}));
    StepOutcome outcome{.plan = plan, .batch_size = 4, .context_length = 100};
    outcome.committed_tokens = committed;
    outcome.target_passes = target_passes;
    outcome.seconds = 0.01;
    scheduler->observe(outcome);
    return scheduler->plan({kPool, 4}).draft_lengths.front();
  };
  EXPECT_EQ(after_one_step(16, 1), 5);  // 3 accepted: above 2.5, up
  EXPECT_EQ(after_one_step(16, 2), 3);  // 1 accepted: between 0.25 and 2.5
  EXPECT_EQ(after_one_step(4, 1), 1);   // 0 accepted: down
  EXPECT_EQ(after_one_step(400, 1), 5); // clamped to K = 3
}

TEST_F(SglangAdaptiveTest, IgnoresStepsOfOtherPlansAndStepsBeforeAnyPlan) {
  auto scheduler = make({{"warmup_steps", std::int64_t{0}}, {"update_interval", std::int64_t{1}}});
  StepOutcome early{.plan = {{0, 2}, {5}}, .batch_size = 1, .context_length = 100, .committed_tokens = 1, .target_passes = 1, .seconds = 0.01};
  scheduler->observe(early);  // nothing planned yet: ignored
  EXPECT_EQ(scheduler->plan({kPool, 1}).draft_lengths, (std::vector<int>{5}));
  StepOutcome other{.plan = {{1, 2}, {5}}, .batch_size = 1, .context_length = 100, .committed_tokens = 1, .target_passes = 1, .seconds = 0.01};  // medium drafting: not its chain
  for (int i = 0; i < 20; ++i) scheduler->observe(other);
  StepOutcome two_levels{.plan = {{0, 1, 2}, {5, 2}}, .batch_size = 1, .context_length = 100, .committed_tokens = 1, .target_passes = 1, .seconds = 0.01};
  for (int i = 0; i < 20; ++i) scheduler->observe(two_levels);
  EXPECT_EQ(scheduler->plan({kPool, 1}).draft_lengths, (std::vector<int>{5}));
}

TEST_F(SglangAdaptiveTest, ANewPoolStartsAfresh) {
  auto scheduler = make();
  EXPECT_EQ(run(*scheduler, 15, kNone).back(), 5);
  EXPECT_EQ(scheduler->plan({kPool, 1}).draft_lengths, (std::vector<int>{1}));
  const std::vector<PoolMember> other{{"a"}, {"b"}};
  const Plan fresh = scheduler->plan({other, 1});
  EXPECT_EQ(fresh.chain, (std::vector<int>{0, 1}));
  EXPECT_EQ(fresh.draft_lengths, (std::vector<int>{5}));
}

TEST_F(SglangAdaptiveTest, MethodConfigComposes) {
  specrouter::ComposeRequest request;
  request.config_dir = std::filesystem::path(SPECROUTER_SOURCE_DIR) / "configs";
  request.overrides = {"method=sglang_adaptive"};
  const specrouter::ComposedConfig config = specrouter::compose(request);
  ASSERT_EQ(specrouter::component_name(config, "scheduler"), "sglang_adaptive");
  auto scheduler =
      registries_.schedulers.create("sglang_adaptive", specrouter::validate_component(config, "scheduler", info()));
  const Plan plan = scheduler->plan({std::vector<PoolMember>{{"draft"}, {"mid"}, {"target"}}, 1});
  EXPECT_EQ(plan.chain, (std::vector<int>{0, 2}));
  EXPECT_EQ(plan.draft_lengths, (std::vector<int>{5}));
}

TEST_F(SglangAdaptiveTest, TiersMustIncreaseFromZeroOrAbove) {
  EXPECT_THAT(config_error([&] { make({{"tiers", Ints{}}}); }), HasSubstr("tiers is empty"));
  EXPECT_THAT(config_error([&] { make({{"tiers", Ints{1, 5, 3}}}); }),
              HasSubstr("tiers[2] is 3, must exceed tiers[1] (5)"));
  EXPECT_THAT(config_error([&] { make({{"tiers", Ints{2, 2}}}); }), HasSubstr("tiers[1] is 2"));
  EXPECT_THAT(config_error([&] { make({{"tiers", Ints{-1, 2}}}); }), HasSubstr("tiers[0] is -1"));
}

TEST_F(SglangAdaptiveTest, ParametersAreCheckedNamingTheKey) {
  EXPECT_THAT(config_error([&] { make({{"initial_draft_length", std::int64_t{4}}}); }),
              HasSubstr("initial_draft_length is 4, not one of the tiers"));
  EXPECT_THAT(config_error([&] { make({{"initial_draft_length", std::int64_t{-2}}}); }),
              HasSubstr("initial_draft_length is -2"));
  EXPECT_THAT(config_error([&] { make({{"ema_alpha", 0.0}}); }), HasSubstr("ema_alpha is 0, must be in (0, 1]"));
  EXPECT_THAT(config_error([&] { make({{"ema_alpha", 1.5}}); }), HasSubstr("ema_alpha is 1.5"));
  EXPECT_THAT(config_error([&] { make({{"warmup_steps", std::int64_t{-1}}}); }), HasSubstr("warmup_steps"));
  EXPECT_THAT(config_error([&] { make({{"update_interval", std::int64_t{0}}}); }), HasSubstr("update_interval"));
  EXPECT_THAT(config_error([&] { make({{"up_hysteresis", static_cast<double>(INFINITY)}}); }),
              HasSubstr("up_hysteresis is inf"));
  EXPECT_THAT(config_error([&] { make({{"down_hysteresis", static_cast<double>(NAN)}}); }),
              HasSubstr("down_hysteresis is nan"));
  EXPECT_THAT(config_error([&] { make({{"chain", Names{"small", "medium", "target"}}}); }),
              HasSubstr("chain has 3 models, must have 2"));
}

TEST_F(SglangAdaptiveTest, ChainErrorsNameTheModelAndThePool) {
  const auto plan_error = [&](const Names& chain, const std::vector<PoolMember>& pool = kPool) {
    auto scheduler = make({{"chain", chain}});
    return config_error([&] { scheduler->plan({pool, 1}); });
  };
  EXPECT_THAT(plan_error({"smal", "target"}), HasSubstr("'smal' is not a pool model (pool: small, medium, target)"));
  EXPECT_THAT(plan_error({"small", "medium"}), HasSubstr("ends at 'medium'"));
  EXPECT_THAT(plan_error({"target", "target"}), HasSubstr("pool order"));
  EXPECT_THAT(config_error([&] { make()->plan({std::vector<PoolMember>{{"only"}}, 1}); }),
              HasSubstr("holds only the target 'only'"));
}

TEST_F(SglangAdaptiveTest, ImpossibleOutcomesAreUsageErrors) {
  auto scheduler = make();
  const Plan plan = scheduler->plan({kPool, 1});
  EXPECT_THROW(scheduler->observe(StepOutcome{.plan = plan, .batch_size = 0, .context_length = 100, .committed_tokens = 1, .target_passes = 1, .seconds = 0.01}), specrouter::UsageError);
  EXPECT_THROW(scheduler->observe(StepOutcome{.plan = plan, .batch_size = 1, .context_length = 100, .committed_tokens = -1, .target_passes = 1, .seconds = 0.01}), specrouter::UsageError);
}

}  // namespace
