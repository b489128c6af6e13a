// The chain cost model against numbers worked out by hand: expected tokens per round at
// the edges (a = 0, a = 1) and in between, one- two- and three-level chains, the forward
// cost formula, and every refusal.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "specrouter/error.h"
#include "specrouter/scheduling/chain_cost.h"
#include "specrouter/scheduling/performance_estimates.h"

namespace specrouter {
namespace {

using ::testing::HasSubstr;

constexpr double kMs = 1e-3;

// Relative comparison for values computed in a different order from the hand formula.
void expect_close(double actual, double expected) { EXPECT_NEAR(actual, expected, 1e-12 * std::abs(expected)); }

template <class Attempt>
std::string usage_error(Attempt attempt) {
  try {
    attempt();
  } catch (const UsageError& error) {
    return error.what();
  }
  ADD_FAILURE() << "expected a UsageError";
  return "";
}

// Pool of three, costs in milliseconds: small 1 per pass; medium 5 + 1 per token; target
// 20 + 4 per token (batch 1, no context terms). Rates: small->medium 0.5, small->target
// 0.25, medium->target 0.75.
FrozenEstimates three_model_pool() {
  return FrozenEstimates({{1 * kMs, 0, 0, 0}, {5 * kMs, 1 * kMs, 0, 0}, {20 * kMs, 4 * kMs, 0, 0}},
                         {{0, 0.5, 0.25}, {0, 0, 0.75}, {0, 0, 0}});
}

TEST(ExpectedTokensPerRound, EdgesAndClosedForm) {
  for (int k : {0, 1, 3, 8}) {
    EXPECT_EQ(expected_tokens_per_round(0.0, k), 1.0) << "a = 0: only the recovered token, k = " << k;
    EXPECT_EQ(expected_tokens_per_round(1.0, k), k + 1.0) << "a = 1: every draft token plus the bonus, k = " << k;
  }
  expect_close(expected_tokens_per_round(0.5, 3), 1 + 0.5 + 0.25 + 0.125);   // 1.875
  expect_close(expected_tokens_per_round(0.75, 2), 1 + 0.75 + 0.5625);       // 2.3125
  expect_close(expected_tokens_per_round(0.9, 4), (1 - std::pow(0.9, 5)) / 0.1);
}

TEST(ExpectedTokensPerRound, MatchesTheSumOfPowersAndStaysAccurateNearOne) {
  for (double a : {0.01, 0.3, 0.77, 0.99, 0.999999}) {
    for (int k = 0; k <= 16; ++k) {
      double sum = 0;
      for (int m = 0; m <= k; ++m) sum += std::pow(a, m);
      EXPECT_NEAR(expected_tokens_per_round(a, k), sum, 1e-13 * sum) << "a " << a << " k " << k;
    }
  }
  // Near a = 1, 1 - a^(k+1) cancels; the sum is k + 1 - d * k(k+1)/2 + O(d^2) for a = 1 - d.
  const double d = 1e-12;
  EXPECT_NEAR(expected_tokens_per_round(1 - d, 5), 6 - d * 15, 1e-14);
}

TEST(ExpectedTokensPerRound, RefusesRatesOutsideTheUnitIntervalAndNegativeLengths) {
  EXPECT_THAT(usage_error([] { expected_tokens_per_round(1.5, 2); }), HasSubstr("acceptance 1.5"));
  EXPECT_THAT(usage_error([] { expected_tokens_per_round(-0.1, 2); }), HasSubstr("not in [0, 1]"));
  EXPECT_THAT(usage_error([] { expected_tokens_per_round(std::nan(""), 2); }), HasSubstr("not in [0, 1]"));
  EXPECT_THAT(usage_error([] { expected_tokens_per_round(0.5, -1); }), HasSubstr("draft_length -1"));
}

TEST(ForwardCost, IsLinearInTheWorkOfThePass) {
  const ForwardCost cost{2.0, 0.5, 0.01, 0.001};
  // 3 tokens x 4 sequences = 12 tokens; 100 positions x 4 = 400 read; 12 x 100 = 1200 pairs.
  expect_close(cost.seconds(3, 4, 100), 2.0 + 0.5 * 12 + 0.01 * 400 + 0.001 * 1200);
  expect_close(cost.seconds(1, 1, 0), 2.5);
}

TEST(PredictChain, TargetOnlyIsOneTargetPassPerToken) {
  const FrozenEstimates pool = three_model_pool();
  const ChainPrediction prediction = predict_chain({{2}, {}}, pool, {1, 0});
  ASSERT_EQ(prediction.levels.size(), 1u);
  expect_close(prediction.seconds_per_token(), 24 * kMs);  // 20 + 4 x 1
  EXPECT_EQ(prediction.levels[0].model, 2);
  EXPECT_EQ(prediction.levels[0].expected_tokens_per_round, 1.0);
}

TEST(PredictChain, TwoLevelsByHand) {
  const FrozenEstimates pool = three_model_pool();
  // [small, target], k = 3, a = 0.25: round = 3 x 1 + (20 + 4 x 4) = 39 ms;
  // tokens = 1 + 0.25 + 0.0625 + 0.015625 = 1.328125; T = 39 / 1.328125 = 29.3647... ms.
  expect_close(predict_time_per_token({{0, 2}, {3}}, pool, {1, 0}), 39 * kMs / 1.328125);
  // [medium, target], k = 2, a = 0.75: medium drafts alone at 5 + 1 = 6 ms per token;
  // round = 2 x 6 + (20 + 4 x 3) = 44 ms; tokens 2.3125; T = 19.027... ms.
  const ChainPrediction medium = predict_chain({{1, 2}, {2}}, pool, {1, 0});
  ASSERT_EQ(medium.levels.size(), 2u);
  expect_close(medium.levels[0].seconds_per_token, 6 * kMs);
  EXPECT_EQ(medium.levels[1].draft_length, 2);
  EXPECT_EQ(medium.levels[1].acceptance, 0.75);
  expect_close(medium.levels[1].round_seconds, 44 * kMs);
  expect_close(medium.levels[1].expected_tokens_per_round, 2.3125);
  expect_close(medium.seconds_per_token(), 44 * kMs / 2.3125);
}

TEST(PredictChain, ThreeLevelsComposeThroughTheMiddleLevelsTimePerToken) {
  const FrozenEstimates pool = three_model_pool();
  // [small, medium, target], k = (1, 2).
  // Medium from small: round = 1 x 1 + (5 + 1 x 2) = 8 ms, tokens 1.5: T_m = 16/3 ms.
  // Target from that: round = 2 x 16/3 + (20 + 4 x 3) = 128/3 ms, tokens 2.3125 = 37/16:
  // T = 2048/111 = 18.4504... ms.
  const ChainPrediction prediction = predict_chain({{0, 1, 2}, {1, 2}}, pool, {1, 0});
  ASSERT_EQ(prediction.levels.size(), 3u);
  expect_close(prediction.levels[0].seconds_per_token, 1 * kMs);
  expect_close(prediction.levels[1].seconds_per_token, 16.0 / 3 * kMs);
  expect_close(prediction.levels[2].round_seconds, 128.0 / 3 * kMs);
  expect_close(prediction.seconds_per_token(), 2048.0 / 111 * kMs);
}

TEST(PredictChain, EdgeRatesGiveTheirClosedForms) {
  // a = 0: every round commits one token and pays the whole draft: T = k c_d + c_v(k+1).
  // a = 1: every round commits k + 1: T = (k c_d + c_v(k+1)) / (k + 1).
  for (double rate : {0.0, 1.0}) {
    const FrozenEstimates pool({{2 * kMs, 0, 0, 0}, {30 * kMs, 3 * kMs, 0, 0}}, {{0, rate}, {0, 0}});
    for (int k = 1; k <= 6; ++k) {
      const double round = k * 2 * kMs + (30 + 3 * (k + 1)) * kMs;
      expect_close(predict_time_per_token({{0, 1}, {k}}, pool, {1, 0}), rate == 0 ? round : round / (k + 1));
    }
  }
}

TEST(PredictChain, BatchAndContextEnterThroughTheForwardCosts) {
  const FrozenEstimates pool({{1 * kMs, 0.1 * kMs, 0.001 * kMs, 0}, {10 * kMs, 1 * kMs, 0.01 * kMs, 0.0001 * kMs}},
                             {{0, 0.6}, {0, 0}});
  const BatchShape batch{8, 500};
  const int k = 4;
  const double drafter = 1 + 0.1 * 8 + 0.001 * 500 * 8;                                  // ms, one token each
  const double verifier = 10 + 1 * 5 * 8 + 0.01 * 500 * 8 + 0.0001 * 5 * 8 * 500;        // ms, 5 tokens each
  expect_close(predict_time_per_token({{0, 1}, {k}}, pool, batch),
               (k * drafter + verifier) * kMs / expected_tokens_per_round(0.6, k));
}

TEST(CheckPlan, RefusesPlansThatDoNotFitThePool) {
  const FrozenEstimates pool = three_model_pool();
  const auto fault = [&](const Plan& plan) { return usage_error([&] { predict_time_per_token(plan, pool, {}); }); };
  EXPECT_THAT(fault({{}, {}}), HasSubstr("chain is empty"));
  EXPECT_THAT(fault({{0, 1}, {2}}), HasSubstr("does not end at the target, pool index 2"));
  EXPECT_THAT(fault({{1, 0, 2}, {2, 2}}), HasSubstr("chain[1] does not follow pool order"));
  EXPECT_THAT(fault({{0, 0, 2}, {2, 2}}), HasSubstr("chain[1] does not follow pool order"));
  EXPECT_THAT(fault({{0, 3}, {2}}), HasSubstr("chain[1] is not a pool index"));
  EXPECT_THAT(fault({{0, 2}, {}}), HasSubstr("draft_lengths needs 1 entries"));
  EXPECT_THAT(fault({{0, 1, 2}, {2, 0}}), HasSubstr("draft_lengths[1] is below 1"));
  EXPECT_NO_THROW(predict_time_per_token({{0, 1, 2}, {2, 1}}, pool, {}));
  EXPECT_THAT(fault({{0, 1}, {2}}), HasSubstr("chain [0, 1] draft_lengths [2] for a pool of 3 models"));
}

TEST(CheckPlan, RefusesInvalidBatchesAndEstimates) {
  const FrozenEstimates pool = three_model_pool();
  EXPECT_THAT(usage_error([&] { predict_time_per_token({{2}, {}}, pool, {0, 0}); }), HasSubstr("batch_size 0"));
  EXPECT_THAT(usage_error([&] { predict_time_per_token({{2}, {}}, pool, {1, -1}); }), HasSubstr("context_length"));

  // An implementation that returns garbage is refused, naming the call.
  struct Broken final : PerformanceEstimates {
    double drafter_seconds = 1;
    double rate = 0.5;
    int pool_size() const override { return 2; }
    double forward_seconds(int model, int, int, double) const override { return model == 0 ? drafter_seconds : 1.0; }
    double acceptance_rate(int, int) const override { return rate; }
  } broken;
  EXPECT_NO_THROW(predict_time_per_token({{0, 1}, {2}}, broken, {}));
  broken.drafter_seconds = std::numeric_limits<double>::quiet_NaN();
  EXPECT_THAT(usage_error([&] { predict_time_per_token({{0, 1}, {2}}, broken, {}); }),
              HasSubstr("forward_seconds(model 0, 1 tokens, batch 1"));
  broken.drafter_seconds = -1;
  EXPECT_THAT(usage_error([&] { predict_time_per_token({{0, 1}, {2}}, broken, {}); }), HasSubstr("must be finite and >= 0"));
  broken.drafter_seconds = 1;
  broken.rate = 1.5;
  EXPECT_THAT(usage_error([&] { predict_time_per_token({{0, 1}, {2}}, broken, {}); }),
              HasSubstr("acceptance_rate(drafter 0, verifier 1) is 1.5"));
}

TEST(FrozenEstimates, RefusesMisshapenOrOutOfRangeTables) {
  const ForwardCost unit{1, 0, 0, 0};
  EXPECT_THAT(usage_error([&] { FrozenEstimates({}, {}); }), HasSubstr("costs is empty"));
  EXPECT_THAT(usage_error([&] { FrozenEstimates({unit, unit}, {{0, 0.5}}); }), HasSubstr("acceptance has 1 rows"));
  EXPECT_THAT(usage_error([&] { FrozenEstimates({unit, unit}, {{0, 0.5}, {0}}); }),
              HasSubstr("acceptance[1] has 1 entries"));
  EXPECT_THAT(usage_error([&] { FrozenEstimates({unit, unit}, {{0, 1.2}, {0, 0}}); }),
              HasSubstr("acceptance[0][1] is 1.2"));
  EXPECT_THAT(usage_error([&] { FrozenEstimates({unit, {1, -1, 0, 0}}, {{0, 0.5}, {0, 0}}); }),
              HasSubstr("costs[1].seconds_per_token"));
  // Entries on and below the diagonal are never read, so they are not checked.
  const FrozenEstimates pool({unit, unit}, {{7, 0.5}, {-3, 9}});
  EXPECT_EQ(pool.acceptance_rate(0, 1), 0.5);
  EXPECT_THAT(usage_error([&] { pool.acceptance_rate(1, 0); }), HasSubstr("drafter 1 must be cheaper"));
  EXPECT_THAT(usage_error([&] { pool.forward_seconds(2, 1, 1, 0); }), HasSubstr("model 2 is not a pool index"));
}

}  // namespace
}  // namespace specrouter
