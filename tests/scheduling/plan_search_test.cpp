// The plan searches: enumeration is complete and ordered, and the dynamic programme
// finds the same minimal predicted time (and the same plan, when it is unique) as
// predicting every plan, on random pools; plain decoding wins when no draft can pay.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "specrouter/error.h"
#include "specrouter/scheduling/chain_cost.h"
#include "specrouter/scheduling/performance_estimates.h"
#include "specrouter/scheduling/plan_search.h"

namespace specrouter {
namespace {

using ::testing::HasSubstr;

// Uniform in [0, 1) from the top 53 bits of one draw: the same on every standard library.
double uniform01(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }
double uniform(std::mt19937_64& rng, double low, double high) { return low + (high - low) * uniform01(rng); }

// A random pool of `models`: costs grow with the index (each term of each model is the
// previous model's times a factor in [1, 6]), context terms present or not, rates uniform
// in [0, 1] with exact 0 and 1 mixed in.
FrozenEstimates random_pool(std::mt19937_64& rng, int models) {
  std::vector<ForwardCost> costs;
  ForwardCost cost{uniform(rng, 1e-4, 2e-3), uniform(rng, 0, 1e-4), 0, 0};
  const bool context_terms = uniform01(rng) < 0.5;
  if (context_terms) {
    cost.seconds_per_context_position = uniform(rng, 0, 1e-7);
    cost.seconds_per_attended_pair = uniform(rng, 0, 1e-9);
  }
  for (int model = 0; model < models; ++model) {
    costs.push_back(cost);
    cost.fixed_seconds *= uniform(rng, 1, 6);
    cost.seconds_per_token *= uniform(rng, 1, 6);
    cost.seconds_per_context_position *= uniform(rng, 1, 6);
    cost.seconds_per_attended_pair *= uniform(rng, 1, 6);
  }
  std::vector<std::vector<double>> acceptance(models, std::vector<double>(models, 0.0));
  for (int drafter = 0; drafter < models; ++drafter) {
    for (int verifier = drafter + 1; verifier < models; ++verifier) {
      const double pick = uniform01(rng);
      acceptance[drafter][verifier] = pick < 0.05 ? 0.0 : pick < 0.1 ? 1.0 : uniform01(rng);
    }
  }
  return FrozenEstimates(std::move(costs), std::move(acceptance));
}

BatchShape random_batch(std::mt19937_64& rng) {
  constexpr int kBatches[] = {1, 1, 2, 4, 16, 64, 256};
  return {kBatches[rng() % std::size(kBatches)], std::floor(uniform(rng, 0, 4096))};
}

TEST(EnumeratePlans, CountsAndListsEveryValidPlanOnceInOrder) {
  for (int pool_size = 1; pool_size <= 6; ++pool_size) {
    for (int max_draft_length : {1, 2, 3}) {
      for (int max_chain_length = 0; max_chain_length <= pool_size + 1; ++max_chain_length) {
        const PlanSearchLimits limits{max_draft_length, max_chain_length};
        const std::vector<Plan> plans = enumerate_plans(pool_size, limits);
        const std::string where = "pool " + std::to_string(pool_size) + " K " + std::to_string(max_draft_length) +
                                  " D " + std::to_string(max_chain_length);
        ASSERT_EQ(static_cast<std::int64_t>(plans.size()), count_plans(pool_size, limits)) << where;

        // Count by definition: chains of d drafters out of pool_size - 1, times K^d.
        const int max_models = max_chain_length == 0 ? pool_size : std::min(max_chain_length, pool_size);
        std::int64_t expected = 0;
        for (int drafters = 0; drafters < max_models; ++drafters) {
          double chains = 1;
          for (int i = 0; i < drafters; ++i) chains = chains * (pool_size - 1 - i) / (i + 1);
          expected += static_cast<std::int64_t>(std::llround(chains * std::pow(max_draft_length, drafters)));
        }
        EXPECT_EQ(static_cast<std::int64_t>(plans.size()), expected) << where;

        std::set<std::pair<std::vector<int>, std::vector<int>>> seen;
        for (std::size_t i = 0; i < plans.size(); ++i) {
          const Plan& plan = plans[i];
          EXPECT_NO_THROW(check_plan(plan, pool_size)) << where << " " << plan_to_string(plan);
          EXPECT_LE(static_cast<int>(plan.chain.size()), max_models) << where;
          for (int length : plan.draft_lengths) EXPECT_LE(length, max_draft_length) << where;
          EXPECT_TRUE(seen.insert({plan.chain, plan.draft_lengths}).second) << where << " twice: " << plan_to_string(plan);
          if (i > 0) {  // by depth, then chain, then lengths
            const Plan& previous = plans[i - 1];
            const auto key = [](const Plan& p) { return std::tuple(p.chain.size(), p.chain, p.draft_lengths); };
            EXPECT_LT(key(previous), key(plan)) << where;
          }
        }
        EXPECT_EQ(plans.front().chain, std::vector<int>{pool_size - 1}) << "plain decoding comes first, " << where;
      }
    }
  }
}

TEST(EnumeratePlans, CountSaturatesAndLimitsAreChecked) {
  EXPECT_EQ(count_plans(6, {8, 0}), 59049);  // (8 + 1)^5: each of 5 drafters absent or one of 8 lengths
  EXPECT_EQ(count_plans(200, {1000, 0}), std::numeric_limits<std::int64_t>::max());
  EXPECT_THROW(count_plans(0, {}), UsageError);
  EXPECT_THROW(count_plans(3, {0, 0}), UsageError);
  EXPECT_THROW(count_plans(3, {4, -1}), UsageError);
}

// The acceptance test of the dynamic programme: on random pools of 1..6 models, draft
// lengths up to 1..8 and chain length limits, it reaches the minimum over all plans (to
// 1e-12 relative) and, where that minimum is unique (the runner-up is 1e-9 slower), the
// same plan; and the time it reports is the prediction of the plan it returns.
TEST(BestPlanDp, EqualsEnumerationOnRandomPools) {
  std::mt19937_64 rng(20250512);
  int instances = 0;
  int compared_plans = 0;
  int multi_level_winners = 0;
  int target_only_winners = 0;
  for (int instance = 0; instance < 1500; ++instance) {
    const int models = 1 + static_cast<int>(rng() % 6);
    const FrozenEstimates pool = random_pool(rng, models);
    const BatchShape batch = random_batch(rng);
    const PlanSearchLimits limits{1 + static_cast<int>(rng() % 8), static_cast<int>(rng() % (models + 1))};
    const std::string where = "instance " + std::to_string(instance) + ": " + std::to_string(models) +
                              " models, K " + std::to_string(limits.max_draft_length) + ", D " +
                              std::to_string(limits.max_chain_length) + ", batch " + std::to_string(batch.batch_size);

    // Brute force, keeping the two best times.
    double best = std::numeric_limits<double>::infinity();
    double runner_up = best;
    Plan best_plan;
    for (const Plan& plan : enumerate_plans(models, limits)) {
      const double seconds = predict_time_per_token(plan, pool, batch);
      if (seconds < best) {
        runner_up = best;
        best = seconds;
        best_plan = plan;
      } else if (seconds < runner_up) {
        runner_up = seconds;
      }
    }

    const PredictedPlan dp = best_plan_dp(pool, batch, limits);
    ++instances;
    EXPECT_NEAR(dp.seconds_per_token, best, 1e-12 * best) << where;
    EXPECT_DOUBLE_EQ(dp.seconds_per_token, predict_time_per_token(dp.plan, pool, batch)) << where;
    const int max_models = limits.max_chain_length == 0 ? models : limits.max_chain_length;
    EXPECT_LE(static_cast<int>(dp.plan.chain.size()), max_models) << where;
    if (runner_up > best * (1 + 1e-9)) {
      ++compared_plans;
      EXPECT_EQ(dp.plan.chain, best_plan.chain) << where;
      EXPECT_EQ(dp.plan.draft_lengths, best_plan.draft_lengths) << where;
    }

    const PredictedPlan enumerated = best_plan_by_enumeration(pool, batch, limits);
    EXPECT_EQ(enumerated.seconds_per_token, best) << where;
    EXPECT_EQ(enumerated.plan.chain, best_plan.chain) << where;

    multi_level_winners += best_plan.chain.size() >= 3;
    target_only_winners += best_plan.chain.size() == 1;
  }
  // The instances must exercise the interesting cases, or the test proves little.
  EXPECT_GE(compared_plans, 1000);
  EXPECT_GE(multi_level_winners, 100);
  EXPECT_GE(target_only_winners, 100);
  std::printf("%d instances, %d with a unique best plan compared; best plan: %d multi-level, %d plain decoding\n",
              instances, compared_plans, multi_level_winners, target_only_winners);
}

TEST(BestPlanDp, PlainDecodingWhenNoDraftIsAccepted) {
  // Rates all 0: every round commits one token and pays for its draft, so no plan beats
  // the target alone, however cheap the drafters.
  const FrozenEstimates pool({{1e-6, 0, 0, 0}, {1e-5, 0, 0, 0}, {1e-2, 1e-4, 0, 0}},
                             {{0, 0, 0}, {0, 0, 0}, {0, 0, 0}});
  for (const auto& search : {best_plan_dp, best_plan_by_enumeration}) {
    const PredictedPlan best = search(pool, {1, 0}, {8, 0});
    EXPECT_EQ(best.plan.chain, std::vector<int>{2});
    EXPECT_TRUE(best.plan.draft_lengths.empty());
    EXPECT_DOUBLE_EQ(best.seconds_per_token, 1e-2 + 1e-4);
  }
}

TEST(BestPlanDp, ExactTiesKeepPlainDecoding) {
  // Free drafters that are never accepted and a target whose pass costs the same for any
  // number of tokens: every plan costs exactly 10 ms per token, and plain decoding stays.
  const FrozenEstimates pool({{0, 0, 0, 0}, {0, 0, 0, 0}, {1e-2, 0, 0, 0}}, {{0, 0, 0}, {0, 0, 0}, {0, 0, 0}});
  for (const PlanSearchLimits limits : {PlanSearchLimits{4, 0}, PlanSearchLimits{4, 2}}) {
    for (const auto& search : {best_plan_dp, best_plan_by_enumeration}) {
      const PredictedPlan best = search(pool, {1, 0}, limits);
      EXPECT_EQ(best.plan.chain, std::vector<int>{2});
      EXPECT_EQ(best.seconds_per_token, 1e-2);
    }
  }
}

TEST(BestPlanDp, PlainDecodingAtLargeBatchesSpeculationAtSmallOnes) {
  // Drafter: 2 ms per pass + 0.1 ms per token in the batch; target: 20 ms + 1 ms per
  // token; rate 0.8 (expected tokens per round 1.8 at k = 1, 3.3616 at k = 4).
  //   batch 1:   alone 21 ms; [drafter, target] k = 4: (4 x 2.1 + (20 + 5)) / 3.3616 = 9.94 ms.
  //   batch 256: alone 20 + 256 = 276 ms; k = 1: (27.6 + (20 + 512)) / 1.8 = 310.9 ms, and
  //   each longer draft adds 27.6 + 256 ms per round for at most 0.8^k more tokens.
  const FrozenEstimates pool({{2e-3, 1e-4, 0, 0}, {20e-3, 1e-3, 0, 0}}, {{0, 0.8}, {0, 0}});
  const PredictedPlan small = best_plan_dp(pool, {1, 0}, {8, 0});
  EXPECT_EQ(small.plan.chain, (std::vector<int>{0, 1}));
  const PredictedPlan large = best_plan_dp(pool, {256, 0}, {8, 0});
  EXPECT_EQ(large.plan.chain, std::vector<int>{1});
  EXPECT_DOUBLE_EQ(large.seconds_per_token, 20e-3 + 256e-3);
  EXPECT_EQ(best_plan_by_enumeration(pool, {256, 0}, {8, 0}).plan.chain, std::vector<int>{1});
}

TEST(BestPlanDp, ChainLengthLimitIsRespected) {
  // The same three-model pool as chain_cost_test: unlimited, [small, medium, target] with
  // lengths (1, 2) is best (18.45 ms); limited to two models, [medium, target] with k = 2
  // (19.03 ms); limited to one, plain decoding (24 ms).
  const FrozenEstimates pool({{1e-3, 0, 0, 0}, {5e-3, 1e-3, 0, 0}, {20e-3, 4e-3, 0, 0}},
                             {{0, 0.5, 0.25}, {0, 0, 0.75}, {0, 0, 0}});
  const auto chain_of = [&](int max_chain_length) { return best_plan_dp(pool, {}, {3, max_chain_length}).plan; };
  EXPECT_EQ(chain_of(0).chain, (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(chain_of(0).draft_lengths, (std::vector<int>{1, 2}));
  EXPECT_EQ(chain_of(3).chain, (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(chain_of(2).chain, (std::vector<int>{1, 2}));
  EXPECT_EQ(chain_of(2).draft_lengths, (std::vector<int>{2}));
  EXPECT_EQ(chain_of(1).chain, std::vector<int>{2});
}

TEST(BestPlanDp, OnePoolModelIsPlainDecoding) {
  const FrozenEstimates pool({{3e-3, 0, 0, 0}}, {{0}});
  const PredictedPlan best = best_plan_dp(pool, {}, {8, 0});
  EXPECT_EQ(best.plan.chain, std::vector<int>{0});
  EXPECT_EQ(best.seconds_per_token, 3e-3);
}

}  // namespace
}  // namespace specrouter
