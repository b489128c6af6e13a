// Tests of the greedy scheduler, through the registry as the harness uses it.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "specrouter/error.h"
#include "specrouter/plugin/registries.h"
#include "specrouter/scheduler.h"
#include "specrouter/scheduling/performance_estimates.h"

// Defined by SPECROUTER_PLUGIN in greedy_scheduler.cpp.
void specrouter_register_greedy_scheduler(specrouter::PluginRegistrar& registrar);

namespace {

using specrouter::FrozenEstimates;
using specrouter::ParamValue;
using specrouter::Plan;
using specrouter::PoolMember;
using specrouter::Scheduler;
using specrouter::SchedulingContext;
using ::testing::HasSubstr;

const std::vector<PoolMember> kPool{{"small"}, {"medium"}, {"target"}};

// The constructed case. Costs per pass (ms, batch 1, no context terms): small 1; medium
// 5 + 1 per token; target 20 + 4 per token. Acceptance: small->medium 0.5,
// small->target 0.25, medium->target 0.75. Expected tokens per round E(a, k) = 1 + a + ... + a^k:
//   E(0.25, 1..3) = 1.25, 1.3125, 1.328125
//   E(0.5,  1..3) = 1.5,  1.75,   1.875
//   E(0.75, 1..3) = 1.75, 2.3125, 2.734375
// Every plan with draft lengths up to 3 (ms per committed token):
//   [target]                         20 + 4                             = 24
//   [small, target]      k = 1, 2, 3: (k x 1 + 20 + 4(k+1)) / E(0.25, k) = 23.20, 25.90, 29.36
//   [medium, target]     k = 1, 2, 3: (k x 6 + 20 + 4(k+1)) / E(0.75, k) = 19.43, 19.03, 19.75
//   medium drafted for by small, T_m(k1) = (k1 x 1 + 5 + (k1+1)) / E(0.5, k1) = 5.333, 5.714, 6.4
//   [small, medium, target] (k1, k2) = (k2 x T_m(k1) + 20 + 4(k2+1)) / E(0.75, k2):
//                        k1 = 1:  19.05, 18.45, 19.02
//                        k1 = 2:  19.27, 18.78, 19.43
//                        k1 = 3:  19.66, 19.37, 20.19
// Best: [small, medium, target] with (1, 2), 2048/111 = 18.45 ms; the best two-level plan
// is [medium, target] with k = 2 (19.03 ms), the best with the small drafter alone is
// k = 1 (23.20 ms), and plain decoding is the slowest but one (24 ms).
FrozenEstimates constructed_pool() {
  return FrozenEstimates({{1e-3, 0, 0, 0}, {5e-3, 1e-3, 0, 0}, {20e-3, 4e-3, 0, 0}},
                         {{0, 0.5, 0.25}, {0, 0, 0.75}, {0, 0, 0}});
}

class GreedySchedulerTest : public ::testing::Test {
 protected:
  GreedySchedulerTest() {
    specrouter::PluginRegistrar registrar;
    specrouter_register_greedy_scheduler(registrar);
    registrar.commit(registries_);
  }

  std::shared_ptr<Scheduler> make(const std::map<std::string, ParamValue>& overrides = {}) const {
    const auto& info = registries_.schedulers.at("greedy").info;
    return registries_.schedulers.create(
        "greedy", specrouter::Params::from_specs("scheduler 'greedy'", info.params, overrides));
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
      EXPECT_THAT(error.what(), HasSubstr("scheduler 'greedy'"));
      return error.what();
    }
    ADD_FAILURE() << "expected a ConfigError";
    return "";
  }

  specrouter::Registries registries_;
};

TEST_F(GreedySchedulerTest, PicksTheHandComputedBestPlan) {
  const FrozenEstimates pool = constructed_pool();
  const Plan plan = make({{"max_draft_length", std::int64_t{3}}})->plan(context(&pool));
  EXPECT_EQ(plan.chain, (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(plan.draft_lengths, (std::vector<int>{1, 2}));
}

TEST_F(GreedySchedulerTest, ChainLengthLimitSelectsTheBestShorterPlan) {
  const FrozenEstimates pool = constructed_pool();
  const Plan two = make({{"max_draft_length", std::int64_t{3}}, {"max_chain_length", std::int64_t{2}}})
                       ->plan(context(&pool));
  EXPECT_EQ(two.chain, (std::vector<int>{1, 2}));
  EXPECT_EQ(two.draft_lengths, (std::vector<int>{2}));
  const Plan one = make({{"max_chain_length", std::int64_t{1}}})->plan(context(&pool));
  EXPECT_EQ(one.chain, std::vector<int>{2});
}

TEST_F(GreedySchedulerTest, WithoutEstimatesPlansPlainDecoding) {
  const Plan plan = make()->plan(context(nullptr));
  EXPECT_EQ(plan.chain, std::vector<int>{2});
  EXPECT_TRUE(plan.draft_lengths.empty());
}

TEST_F(GreedySchedulerTest, PlainDecodingWhenNoDraftIsAccepted) {
  const FrozenEstimates pool({{1e-6, 0, 0, 0}, {1e-5, 0, 0, 0}, {20e-3, 4e-3, 0, 0}},
                             {{0, 0, 0}, {0, 0, 0}, {0, 0, 0}});
  EXPECT_EQ(make()->plan(context(&pool)).chain, std::vector<int>{2});
}

TEST_F(GreedySchedulerTest, PlainDecodingAtLargeBatches) {
  // The constructed pool at batch 256: the target alone costs 20 + 4 x 256 = 1044 ms per
  // token. Verifying one drafted token costs 20 + 4 x 512 = 2068 ms per round, more than
  // the 1.75 x 1044 = 1827 ms plain decoding takes for the 1.75 tokens the best pair
  // (medium->target, a = 0.75) commits per round at k = 1; each longer draft adds another
  // 1024 ms per round for less than one more token.
  const FrozenEstimates pool = constructed_pool();
  EXPECT_EQ(make()->plan(context(&pool, 256)).chain, std::vector<int>{2});
  EXPECT_EQ(make()->plan(context(&pool, 1)).chain, (std::vector<int>{0, 1, 2}));
}

TEST_F(GreedySchedulerTest, RefusesPoolsWithTooManyPlans) {
  const FrozenEstimates pool = constructed_pool();
  // Three models, chains up to 3, lengths up to 8: 1 + 2 x 8 + 64 = 81 plans.
  const std::string message =
      config_error([&] { make({{"max_plans", std::int64_t{80}}})->plan(context(&pool)); });
  EXPECT_THAT(message, HasSubstr("81 plans"));
  EXPECT_THAT(message, HasSubstr("max_plans 80"));
  EXPECT_NO_THROW(make({{"max_plans", std::int64_t{81}}})->plan(context(&pool)));
}

TEST_F(GreedySchedulerTest, RefusesBadParametersAndMismatchedEstimates) {
  EXPECT_THAT(config_error([&] { make({{"max_draft_length", std::int64_t{0}}}); }),
              HasSubstr("max_draft_length is 0"));
  EXPECT_THAT(config_error([&] { make({{"max_chain_length", std::int64_t{-1}}}); }),
              HasSubstr("max_chain_length is -1"));
  EXPECT_THAT(config_error([&] { make({{"max_plans", std::int64_t{0}}}); }), HasSubstr("max_plans is 0"));
  EXPECT_THAT(config_error([&] { make()->plan({{}, 1, 0, nullptr}); }), HasSubstr("pool is empty"));

  const FrozenEstimates two_models({{1e-3, 0, 0, 0}, {2e-3, 0, 0, 0}}, {{0, 0.5}, {0, 0}});
  EXPECT_THROW(make()->plan(context(&two_models)), specrouter::UsageError);
}

}  // namespace
