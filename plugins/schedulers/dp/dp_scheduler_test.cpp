// Tests of the dp scheduler, through the registry as the harness uses it. The dynamic
// programme itself is tested against enumeration in tests/scheduling/plan_search_test.cpp;
// here: the plugin's parameters, its use of the context, and the same answers as predicting
// every plan.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "specrouter/error.h"
#include "specrouter/plugin/registries.h"
#include "specrouter/scheduler.h"
#include "specrouter/scheduling/chain_cost.h"
#include "specrouter/scheduling/performance_estimates.h"
#include "specrouter/scheduling/plan_search.h"

// Defined by SPECROUTER_PLUGIN in dp_scheduler.cpp.
void specrouter_register_dp_scheduler(specrouter::PluginRegistrar& registrar);

namespace {

using specrouter::FrozenEstimates;
using specrouter::ParamValue;
using specrouter::Plan;
using specrouter::PoolMember;
using specrouter::Scheduler;
using specrouter::SchedulingContext;
using ::testing::HasSubstr;

const std::vector<PoolMember> kPool{{"small"}, {"medium"}, {"target"}};

// The constructed case of greedy_scheduler_test.cpp, whose comment lists every plan's
// predicted time: best [small, medium, target] with (1, 2) at 18.45 ms; best two-level
// [medium, target] with k = 2 at 19.03 ms; plain decoding 24 ms.
FrozenEstimates constructed_pool() {
  return FrozenEstimates({{1e-3, 0, 0, 0}, {5e-3, 1e-3, 0, 0}, {20e-3, 4e-3, 0, 0}},
                         {{0, 0.5, 0.25}, {0, 0, 0.75}, {0, 0, 0}});
}

class DpSchedulerTest : public ::testing::Test {
 protected:
  DpSchedulerTest() {
    specrouter::PluginRegistrar registrar;
    specrouter_register_dp_scheduler(registrar);
    registrar.commit(registries_);
  }

  std::shared_ptr<Scheduler> make(const std::map<std::string, ParamValue>& overrides = {}) const {
    const auto& info = registries_.schedulers.at("dp").info;
    return registries_.schedulers.create("dp", specrouter::Params::from_specs("scheduler 'dp'", info.params, overrides));
  }

  static SchedulingContext context(const specrouter::PerformanceEstimates* estimates, int batch_size = 1,
                                   double context_length = 0) {
    return {kPool, batch_size, context_length, estimates};
  }

  template <class Attempt>
  static std::string config_error(Attempt attempt) {
    try {
      attempt();
    } catch (const specrouter::ConfigError& error) {
      EXPECT_THAT(error.what(), HasSubstr("scheduler 'dp'"));
      return error.what();
    }
    ADD_FAILURE() << "expected a ConfigError";
    return "";
  }

  specrouter::Registries registries_;
};

TEST_F(DpSchedulerTest, PicksTheHandComputedBestPlan) {
  const FrozenEstimates pool = constructed_pool();
  const Plan plan = make({{"max_draft_length", std::int64_t{3}}})->plan(context(&pool));
  EXPECT_EQ(plan.chain, (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(plan.draft_lengths, (std::vector<int>{1, 2}));
  const Plan two = make({{"max_draft_length", std::int64_t{3}}, {"max_chain_length", std::int64_t{2}}})
                       ->plan(context(&pool));
  EXPECT_EQ(two.chain, (std::vector<int>{1, 2}));
  EXPECT_EQ(two.draft_lengths, (std::vector<int>{2}));
}

TEST_F(DpSchedulerTest, ThompsonDrawsFromBeliefsAndNoneUsesTheirMeans) {
  // A pool whose only draft pair is uncertain: Beta(2, 2), mean 0.5. At the mean,
  // drafting loses (verifying k tokens costs more than it saves); a draw above about 0.8
  // makes it pay. Thompson sampling drafts on some steps, the means never.
  const std::vector<PoolMember> two{{"drafter"}, {"target"}};
  const FrozenEstimates uncertain =
      FrozenEstimates::with_beliefs({{1e-3, 0, 0, 0}, {10e-3, 8e-3, 0, 0}}, {{{1, 1}, {2, 2}}, {{1, 1}, {1, 1}}});
  const auto means = make({{"exploration", std::string("none")}});
  const auto thompson =
      make({{"exploration", std::string("thompson")}, {"exploration_budget", 1.0}, {"seed", std::int64_t{4}}});
  int drafted = 0;
  for (int step = 0; step < 200; ++step) {
    EXPECT_EQ(means->plan({two, 1, 0, &uncertain}).chain, std::vector<int>{1});
    drafted += thompson->plan({two, 1, 0, &uncertain}).chain.size() > 1;
  }
  EXPECT_GT(drafted, 5);
  EXPECT_LT(drafted, 100);
  // With a budget of 0.1, about one step in ten is planned with a draw: fewer drafts.
  const auto budgeted =
      make({{"exploration", std::string("thompson")}, {"exploration_budget", 0.1}, {"seed", std::int64_t{4}}});
  int budgeted_drafts = 0;
  for (int step = 0; step < 200; ++step) budgeted_drafts += budgeted->plan({two, 1, 0, &uncertain}).chain.size() > 1;
  EXPECT_LT(budgeted_drafts, drafted);
  EXPECT_THROW(make({{"exploration_budget", 1.5}}), specrouter::ConfigError);
  // The same seed draws the same plans.
  const auto again = make({{"exploration", std::string("thompson")}, {"seed", std::int64_t{4}}});
  const auto first = make({{"exploration", std::string("thompson")}, {"seed", std::int64_t{4}}});
  for (int step = 0; step < 50; ++step) {
    EXPECT_EQ(first->plan({two, 1, 0, &uncertain}).chain, again->plan({two, 1, 0, &uncertain}).chain);
  }
  try {
    make({{"exploration", std::string("epsilon")}});
    FAIL() << "an unknown exploration rule was accepted";
  } catch (const specrouter::ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr("exploration is 'epsilon'"));
  }
}

TEST_F(DpSchedulerTest, WithoutEstimatesPlansPlainDecoding) {
  const Plan plan = make()->plan(context(nullptr));
  EXPECT_EQ(plan.chain, std::vector<int>{2});
  EXPECT_TRUE(plan.draft_lengths.empty());
}

TEST_F(DpSchedulerTest, PlainDecodingWhenDraftsCannotPay) {
  const FrozenEstimates never_accepted({{1e-6, 0, 0, 0}, {1e-5, 0, 0, 0}, {20e-3, 4e-3, 0, 0}},
                                       {{0, 0, 0}, {0, 0, 0}, {0, 0, 0}});
  EXPECT_EQ(make()->plan(context(&never_accepted)).chain, std::vector<int>{2});
  const FrozenEstimates pool = constructed_pool();  // batch 256: see greedy_scheduler_test.cpp
  EXPECT_EQ(make()->plan(context(&pool, 256)).chain, std::vector<int>{2});
}

TEST_F(DpSchedulerTest, ContextLengthReachesTheCosts) {
  // The target's pass reads its KV cache at 0.01 ms per position; the drafter's is free.
  // At context 0 the pair [drafter, target] pays (k = 8, a = 0.9); at context 100,000
  // each target pass costs 1,000 ms more whatever it verifies, so drafting pays more,
  // and the best draft gets longer.
  const FrozenEstimates pool({{1e-3, 0, 0, 0}, {10e-3, 5e-3, 1e-5, 0}}, {{0, 0.9}, {0, 0}});
  const std::vector<PoolMember> two{{"drafter"}, {"target"}};
  const auto scheduler = make();
  const Plan short_context = scheduler->plan({two, 1, 0, &pool});
  const Plan long_context = scheduler->plan({two, 1, 100000, &pool});
  ASSERT_EQ(short_context.chain, (std::vector<int>{0, 1}));
  ASSERT_EQ(long_context.chain, (std::vector<int>{0, 1}));
  EXPECT_LT(short_context.draft_lengths[0], long_context.draft_lengths[0]);
}

TEST_F(DpSchedulerTest, SamePlanAsPredictingEveryPlan) {
  std::mt19937_64 rng(7);
  const auto uniform01 = [&] { return static_cast<double>(rng() >> 11) * 0x1.0p-53; };
  const auto scheduler = make({{"max_draft_length", std::int64_t{5}}});
  for (int instance = 0; instance < 200; ++instance) {
    std::vector<specrouter::ForwardCost> costs;
    double fixed = 1e-3 * (0.1 + uniform01());
    for (int model = 0; model < 3; ++model, fixed *= 1 + 5 * uniform01()) costs.push_back({fixed, fixed * 0.01, 0, 0});
    const FrozenEstimates pool(costs, {{0, uniform01(), uniform01()}, {0, 0, uniform01()}, {0, 0, 0}});
    const int batch_size = 1 << (rng() % 9);
    const Plan plan = scheduler->plan(context(&pool, batch_size));
    const specrouter::PredictedPlan best = specrouter::best_plan_by_enumeration(pool, {batch_size, 0}, {5, 0});
    EXPECT_NEAR(specrouter::predict_time_per_token(plan, pool, {batch_size, 0}), best.seconds_per_token,
                1e-12 * best.seconds_per_token)
        << "instance " << instance;
  }
}

TEST_F(DpSchedulerTest, RefusesBadParametersAndMismatchedEstimates) {
  EXPECT_THAT(config_error([&] { make({{"max_draft_length", std::int64_t{0}}}); }),
              HasSubstr("max_draft_length is 0"));
  EXPECT_THAT(config_error([&] { make({{"max_chain_length", std::int64_t{-2}}}); }),
              HasSubstr("max_chain_length is -2"));
  EXPECT_THAT(config_error([&] { make()->plan({{}, 1, 0, nullptr}); }), HasSubstr("pool is empty"));
  const FrozenEstimates two_models({{1e-3, 0, 0, 0}, {2e-3, 0, 0, 0}}, {{0, 0.5}, {0, 0}});
  EXPECT_THROW(make()->plan(context(&two_models)), specrouter::UsageError);
}

}  // namespace
