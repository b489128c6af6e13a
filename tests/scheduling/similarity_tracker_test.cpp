// SimilarityTracker: the D_TV moving average and α̂ from hand-made step results, the
// sampling identity and the greedy calibration on synthetic data, the priors.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "specrouter/error.h"
#include "specrouter/scheduling/similarity_tracker.h"

namespace specrouter {
namespace {

LevelStats level(int pool_index, int rounds, int drafted, int accepted, int recovered, double tv_sum, int tv_positions) {
  LevelStats stats;
  stats.pool_index = pool_index;
  stats.rounds = rounds;
  stats.drafted = drafted;
  stats.accepted = accepted;
  stats.recovered = recovered;
  stats.bonus = rounds - recovered;
  stats.produced = accepted + rounds;
  stats.tv_distance_sum = tv_sum;
  stats.tv_positions = tv_positions;
  return stats;
}

TEST(SimilarityTrackerTest, MovingAverageAndGeometricEstimateFromStepResults) {
  SimilarityTracker tracker(3, {.tv_smoothing = 0.1, .acceptance_forgetting = 1.0});
  // Chain [0, 2]: level 0 has no pool drafter (ignored), level 1 is the pair (0, 2).
  StepResult step;
  step.sequences.push_back({1, {5, 6, 7}, {level(0, 4, 0, 0, 0, 0, 0), level(2, 1, 4, 2, 1, 1.2, 4)}});
  tracker.observe(step, "code");
  EXPECT_NEAR(*tracker.similarity(0, 2), 1 - 0.3, 1e-12);  // first record: its own mean
  EXPECT_NEAR(*tracker.observed_acceptance(0, 2), 2.0 / 3.0, 1e-12);
  EXPECT_FALSE(tracker.similarity(0, 1));

  // Second record: mean 0.1 over 2 positions moves the average by 1 - 0.9² = 0.19.
  StepResult second;
  second.sequences.push_back({1, {5, 6, 7, 8, 9}, {level(0, 4, 0, 0, 0, 0, 0), level(2, 1, 4, 4, 0, 0.2, 2)}});
  tracker.observe(second, "code");
  EXPECT_NEAR(*tracker.similarity(0, 2), 1 - (0.3 + 0.19 * (0.1 - 0.3)), 1e-12);
  EXPECT_NEAR(*tracker.observed_acceptance(0, 2), 6.0 / 7.0, 1e-12);  // accepted 6, one rejection
  EXPECT_NEAR(*tracker.observed_acceptance(0, 2, "code"), 6.0 / 7.0, 1e-12);
  EXPECT_NEAR(*tracker.observed_acceptance(0, 2, "chat"), 6.0 / 7.0, 1e-12);  // unseen class: the "" record
  EXPECT_EQ(tracker.pairs().size(), 2u);  // ("", 0, 2) and ("code", 0, 2)
}

TEST(SimilarityTrackerTest, ClassesAreKeptApart) {
  SimilarityTracker tracker(2, {.acceptance_forgetting = 1.0});
  tracker.observe(0, 1, level(1, 10, 40, 36, 4, 4.0, 40), "easy");
  tracker.observe(0, 1, level(1, 10, 40, 10, 10, 20.0, 40), "hard");
  EXPECT_NEAR(*tracker.observed_acceptance(0, 1, "easy"), 0.9, 1e-12);
  EXPECT_NEAR(*tracker.observed_acceptance(0, 1, "hard"), 0.5, 1e-12);
  EXPECT_NEAR(*tracker.observed_acceptance(0, 1), 46.0 / 60.0, 1e-12);
  EXPECT_NEAR(*tracker.similarity(0, 1, "easy"), 0.9, 1e-12);
  EXPECT_NEAR(*tracker.similarity(0, 1, "hard"), 0.5, 1e-12);
}

// Rounds of speculative sampling of one drafter by one verifier whose per-position TV
// distance is `tv`: each token is accepted with probability 1 - tv (the identity the
// sampling mapping uses); a round of k tokens stops at the first rejection.
LevelStats simulate_rounds(std::mt19937_64& rng, int verifier, double tv, double tv_seen, int rounds, int k) {
  std::bernoulli_distribution accept(1 - tv);
  int drafted = 0, accepted = 0, recovered = 0;
  for (int round = 0; round < rounds; ++round) {
    drafted += k;
    int i = 0;
    while (i < k && accept(rng)) ++i;
    accepted += i;
    if (i < k) ++recovered;
  }
  return level(verifier, rounds, drafted, accepted, recovered, tv_seen * drafted, drafted);
}

TEST(SimilarityTrackerTest, SamplingMapsSimilarityToAcceptanceExactly) {
  // The prediction is 1 - E[D_TV] exactly; the simulated α̂ must agree with it within
  // 0.02 (≈ 4 standard errors at ~2000 events per pair).
  SimilarityTracker tracker(3, {.mapping = AcceptanceMapping::kSampling, .acceptance_forgetting = 1.0});
  std::mt19937_64 rng(3);
  const double tv[3][3] = {{0, 0.3, 0.5}, {0, 0, 0.15}, {0, 0, 0}};
  for (int step = 0; step < 200; ++step) {
    for (auto [d, v] : {std::pair{0, 1}, std::pair{0, 2}, std::pair{1, 2}}) {
      tracker.observe(d, v, simulate_rounds(rng, v, tv[d][v], tv[d][v], 4, 4));
    }
  }
  for (auto [d, v] : {std::pair{0, 1}, std::pair{0, 2}, std::pair{1, 2}}) {
    const AcceptancePrediction predicted = tracker.predicted_acceptance(d, v);
    EXPECT_EQ(predicted.source, AcceptanceSource::kSimilarity);
    EXPECT_NEAR(predicted.rate, 1 - tv[d][v], 1e-12);
    EXPECT_NEAR(*tracker.observed_acceptance(d, v), 1 - tv[d][v], 0.02);
    EXPECT_LT(*tracker.calibration_error(d, v), 0.02);
  }
  EXPECT_LT(*tracker.mean_calibration_error(), 0.02);
}

TEST(SimilarityTrackerTest, GreedyCalibrationLearnsTheLine) {
  // Greedy agreement is synthesised as α = 0.2 + 0.7·SimScore (a line the tracker does
  // not know); pairs of SimScore 0.5, 0.7, 0.9, records with noisy per-record TV. After
  // 300 records per pair the fitted line is within 0.05 of (0.2, 0.7) in intercept and
  // 0.08 in slope, and every pair's calibration error is below 0.03.
  SimilarityTracker tracker(3, {.mapping = AcceptanceMapping::kGreedy, .acceptance_forgetting = 1.0,
                                .calibration_forgetting = 1.0});
  std::mt19937_64 rng(11);
  std::normal_distribution<double> tv_noise(0.0, 0.02);
  const double similarity[3][3] = {{0, 0.9, 0.5}, {0, 0, 0.7}, {0, 0, 0}};
  EXPECT_EQ(tracker.predicted_acceptance(0, 1).source, AcceptanceSource::kDefault);
  for (int step = 0; step < 300; ++step) {
    for (auto [d, v] : {std::pair{0, 1}, std::pair{0, 2}, std::pair{1, 2}}) {
      const double s = similarity[d][v];
      const double alpha = 0.2 + 0.7 * s;
      const double tv_seen = std::clamp(1 - s + tv_noise(rng), 0.0, 1.0);
      tracker.observe(d, v, simulate_rounds(rng, v, 1 - alpha, tv_seen, 4, 4));
    }
  }
  const Calibration fit = tracker.calibration();
  ASSERT_TRUE(fit.ready);
  EXPECT_NEAR(fit.intercept, 0.2, 0.05);
  EXPECT_NEAR(fit.slope, 0.7, 0.08);
  for (auto [d, v] : {std::pair{0, 1}, std::pair{0, 2}, std::pair{1, 2}}) {
    EXPECT_EQ(tracker.predicted_acceptance(d, v).source, AcceptanceSource::kSimilarity);
    EXPECT_NEAR(tracker.predicted_acceptance(d, v).rate, 0.2 + 0.7 * similarity[d][v], 0.03);
    EXPECT_LT(*tracker.calibration_error(d, v), 0.03);
  }
  EXPECT_LT(*tracker.mean_calibration_error(), 0.03);
}

TEST(SimilarityTrackerTest, GreedyWithoutSpreadUsesTheObservedRate) {
  // One pair only: no spread of SimScore, the calibration is not ready, α̂ is used.
  SimilarityTracker tracker(2, {.acceptance_forgetting = 1.0});
  for (int i = 0; i < 50; ++i) tracker.observe(0, 1, level(1, 4, 16, 12, 2, 4.0, 16));
  EXPECT_FALSE(tracker.calibration().ready);
  const AcceptancePrediction predicted = tracker.predicted_acceptance(0, 1);
  EXPECT_EQ(predicted.source, AcceptanceSource::kObserved);
  EXPECT_NEAR(predicted.rate, 12.0 / 14.0, 1e-12);
}

TEST(SimilarityTrackerTest, UnobservedPairsTakeTheNearestNeighbourThenTheDefault) {
  SimilarityTracker tracker(4, {.acceptance_forgetting = 1.0, .default_acceptance = 0.4});
  EXPECT_EQ(tracker.predicted_acceptance(0, 3).rate, 0.4);
  tracker.observe(1, 3, level(3, 4, 16, 8, 4, 0, 0));  // α̂ = 8/12, no similarity
  const AcceptancePrediction neighbour = tracker.predicted_acceptance(0, 3);  // shares the verifier
  EXPECT_EQ(neighbour.source, AcceptanceSource::kNeighbour);
  EXPECT_NEAR(neighbour.rate, 8.0 / 12.0, 1e-12);
  EXPECT_EQ(tracker.predicted_acceptance(0, 1).source, AcceptanceSource::kDefault);  // shares nothing observed
  EXPECT_THROW(tracker.observe(2, 1, level(1, 1, 1, 1, 0, 0, 0)), UsageError);
  EXPECT_THROW(tracker.observe(0, 1, level(1, 1, 1, 2, 0, 0, 0)), UsageError);  // accepted > drafted
}

}  // namespace
}  // namespace specrouter
