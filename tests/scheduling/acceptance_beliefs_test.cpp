// The Beta acceptance beliefs: prior, conjugate updates, forgetting back to the prior,
// shrinkage of a class toward the whole workload, validation; Thompson samples drawn
// from them; OnlineEstimates with beliefs on, and their profile round trip.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <limits>
#include <random>
#include <vector>

#include "specrouter/error.h"
#include "specrouter/scheduling/acceptance_beliefs.h"
#include "specrouter/scheduling/online_estimates.h"
#include "specrouter/scheduling/thompson_sample.h"

namespace {

using specrouter::AcceptanceBelief;
using specrouter::AcceptanceBeliefOptions;
using specrouter::AcceptanceBeliefs;
using specrouter::LevelStats;
using specrouter::StepResult;
using specrouter::UsageError;
using ::testing::HasSubstr;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// A step of chain [drafter, verifier] whose round accepted `accepted` tokens and then
// was rejected (or not).
StepResult round_of(int drafter, int verifier, int accepted, bool rejected) {
  LevelStats bottom;
  bottom.pool_index = drafter;
  LevelStats top;
  top.pool_index = verifier;
  top.rounds = 1;
  top.drafted = accepted + (rejected ? 1 : 0);
  top.accepted = accepted;
  top.recovered = rejected ? 1 : 0;
  StepResult step;
  step.sequences.push_back({0, {1}, {bottom, top}});
  return step;
}

AcceptanceBeliefOptions options(double strength, double forgetting = 1.0) {
  AcceptanceBeliefOptions o;
  o.prior_strength = strength;
  o.forgetting = forgetting;
  o.prior_means = {{kNaN, 0.8, 0.6}, {kNaN, kNaN, kNaN}, {kNaN, kNaN, kNaN}};
  return o;
}

TEST(AcceptanceBeliefsTest, StartsAtThePriorAndCountsAcceptancesAndRejections) {
  AcceptanceBeliefs beliefs(3, options(10));
  EXPECT_DOUBLE_EQ(beliefs.belief(0, 1).alpha, 8);
  EXPECT_DOUBLE_EQ(beliefs.belief(0, 1).beta, 2);
  EXPECT_DOUBLE_EQ(beliefs.belief(1, 2).mean(), 0.5);  // unset: the default mean
  beliefs.observe(round_of(0, 1, 3, true));
  beliefs.observe(round_of(0, 1, 4, false));
  EXPECT_DOUBLE_EQ(beliefs.belief(0, 1).alpha, 8 + 7);
  EXPECT_DOUBLE_EQ(beliefs.belief(0, 1).beta, 2 + 1);
  EXPECT_DOUBLE_EQ(beliefs.belief(0, 2).mean(), 0.6);  // another pair is untouched
}

TEST(AcceptanceBeliefsTest, ASingleRejectedProbeDoesNotReplaceThePrior) {
  AcceptanceBeliefs beliefs(3, options(16));
  beliefs.observe(round_of(0, 2, 0, true));
  EXPECT_NEAR(beliefs.belief(0, 2).mean(), 0.6 * 16 / 17, 1e-12);
  EXPECT_GT(beliefs.belief(0, 2).mean(), 0.5);
}

TEST(AcceptanceBeliefsTest, ForgettingReturnsAnUnusedPairToItsPrior) {
  AcceptanceBeliefs beliefs(3, options(16, 0.99));
  for (int i = 0; i < 20; ++i) beliefs.observe(round_of(0, 1, 0, true));
  const double after_rejections = beliefs.belief(0, 1).mean();
  EXPECT_LT(after_rejections, 0.5);
  // Steps of another pair: (0, 1) is not run, its evidence decays toward nothing.
  for (int i = 0; i < 1000; ++i) beliefs.observe(round_of(1, 2, 2, true));
  EXPECT_NEAR(beliefs.belief(0, 1).mean(), 0.8, 1e-3);
  EXPECT_GT(beliefs.belief(0, 1).variance(), 0.8 * 0.2 / 18 * 0.99);
}

TEST(AcceptanceBeliefsTest, AClassShrinksTowardTheWholeWorkload) {
  AcceptanceBeliefs beliefs(3, options(10));
  for (int i = 0; i < 50; ++i) beliefs.observe(round_of(0, 1, 1, true), "prose");
  const AcceptanceBelief overall = beliefs.belief(0, 1);
  EXPECT_DOUBLE_EQ(overall.alpha, 8 + 50);
  EXPECT_DOUBLE_EQ(overall.beta, 2 + 50);
  // A class never seen plans with the whole workload's mean.
  EXPECT_DOUBLE_EQ(beliefs.belief(0, 1, "code").mean(), overall.mean());
  // The class seen: its own counts on top of a prior at the overall mean.
  const AcceptanceBelief prose = beliefs.belief(0, 1, "prose");
  EXPECT_DOUBLE_EQ(prose.alpha, 10 * overall.mean() + 50);
  EXPECT_DOUBLE_EQ(prose.beta, 10 * (1 - overall.mean()) + 50);
}

TEST(AcceptanceBeliefsTest, RefusesBadOptionsAndPairsAndIsOffWithoutStrength) {
  EXPECT_THROW(AcceptanceBeliefs(3, options(-1)), UsageError);
  EXPECT_THROW(AcceptanceBeliefs(3, options(10, 0)), UsageError);
  AcceptanceBeliefOptions bad_mean = options(10);
  bad_mean.prior_means[0][2] = 1.0;
  try {
    AcceptanceBeliefs beliefs(3, bad_mean);
    FAIL() << "a prior mean of 1 was accepted";
  } catch (const UsageError& e) {
    EXPECT_THAT(e.what(), HasSubstr("prior_means[0][2]"));
  }
  AcceptanceBeliefOptions wrong_shape = options(10);
  wrong_shape.prior_means.pop_back();
  EXPECT_THROW(AcceptanceBeliefs(3, wrong_shape), UsageError);
  AcceptanceBeliefs beliefs(3, options(10));
  EXPECT_THROW(beliefs.belief(2, 1), UsageError);
  AcceptanceBeliefs off(3, options(0));
  EXPECT_FALSE(off.enabled());
  EXPECT_THROW(off.belief(0, 1), UsageError);
}

TEST(AcceptanceBeliefsTest, SamplesFollowTheBeta) {
  const AcceptanceBelief belief{30, 10};
  std::mt19937_64 rng(5);
  double sum = 0;
  double sum_squares = 0;
  constexpr int kDraws = 20000;
  for (int i = 0; i < kDraws; ++i) {
    const double x = belief.sample(rng);
    ASSERT_GE(x, 0);
    ASSERT_LE(x, 1);
    sum += x;
    sum_squares += x * x;
  }
  const double mean = sum / kDraws;
  EXPECT_NEAR(mean, 0.75, 0.005);
  EXPECT_NEAR(sum_squares / kDraws - mean * mean, belief.variance(), 0.0005);
}

TEST(ThompsonSampleTest, DrawsEveryPairFromItsBeliefAndKeepsCosts) {
  const specrouter::FrozenEstimates estimates = specrouter::FrozenEstimates::with_beliefs(
      {{1e-3, 0, 0, 0}, {4e-3, 0, 0, 0}}, {{{1, 1}, {2, 8}}, {{1, 1}, {1, 1}}});
  EXPECT_DOUBLE_EQ(estimates.acceptance_rate(0, 1), 0.2);
  std::mt19937_64 a(9);
  std::mt19937_64 b(9);
  const specrouter::ThompsonSample first(estimates, a);
  const specrouter::ThompsonSample same_seed(estimates, b);
  EXPECT_EQ(first.acceptance_rate(0, 1), same_seed.acceptance_rate(0, 1));
  EXPECT_DOUBLE_EQ(first.forward_seconds(1, 3, 1, 0), 4e-3);
  double sum = 0;
  std::mt19937_64 rng(1);
  for (int i = 0; i < 4000; ++i) sum += specrouter::ThompsonSample(estimates, rng).acceptance_rate(0, 1);
  EXPECT_NEAR(sum / 4000, 0.2, 0.01);
  EXPECT_THROW(first.acceptance_rate(1, 0), UsageError);
  // Point estimates (no beliefs) are kept as they are.
  const specrouter::FrozenEstimates point({{1e-3, 0, 0, 0}, {4e-3, 0, 0, 0}}, {{0, 0.3}, {0, 0}});
  EXPECT_DOUBLE_EQ(specrouter::ThompsonSample(point, rng).acceptance_rate(0, 1), 0.3);
}

TEST(OnlineEstimatesBeliefsTest, SnapshotsCarryBeliefsAndProfilesRoundTripThem) {
  specrouter::OnlineEstimatesOptions o;
  o.beliefs = options(12, 0.98);
  specrouter::OnlineEstimates estimates({"small", "mid", "target"}, o);
  for (int i = 0; i < 30; ++i) estimates.observe(round_of(0, 2, i % 4, i % 3 != 0), i % 2 ? "code" : "prose");
  const specrouter::FrozenEstimates snapshot = estimates.snapshot("code");
  ASSERT_TRUE(snapshot.acceptance_belief(0, 2).has_value());
  EXPECT_DOUBLE_EQ(snapshot.acceptance_rate(0, 2), estimates.beliefs().belief(0, 2, "code").mean());
  EXPECT_DOUBLE_EQ(estimates.acceptance_rate(0, 2), estimates.beliefs().belief(0, 2).mean());

  const std::filesystem::path path = std::filesystem::path(SPECROUTER_BINARY_DIR) / "acceptance_beliefs_profile.json";
  estimates.save(path);
  const specrouter::OnlineEstimates loaded = specrouter::OnlineEstimates::load(path);
  for (const char* cls : {"", "code", "prose"}) {
    const AcceptanceBelief before = estimates.beliefs().belief(0, 2, cls);
    const AcceptanceBelief after = loaded.beliefs().belief(0, 2, cls);
    EXPECT_EQ(before.alpha, after.alpha) << cls;
    EXPECT_EQ(before.beta, after.beta) << cls;
  }
  EXPECT_EQ(loaded.beliefs().prior_mean(0, 1), 0.8);
  EXPECT_EQ(loaded.beliefs().prior_mean(1, 2), 0.5);
  EXPECT_EQ(loaded.beliefs().options().forgetting, 0.98);
}

}  // namespace
