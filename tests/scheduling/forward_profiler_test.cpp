// ForwardProfiler: coefficients recovered from noisy synthetic passes of a known cost,
// forgetting follows a slowdown, non-negativity, the fallbacks.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "specrouter/error.h"
#include "specrouter/scheduling/forward_profiler.h"

namespace specrouter {
namespace {

// A cost of the order of a small model on a CPU: 2 ms per pass, 50 us per token,
// 0.5 us per cached position, 10 ns per attended pair, and 1.5 ms more for any pass of
// more than one token (matrix-matrix kernels).
constexpr ForwardCost kTruth{2e-3, 5e-5, 5e-7, 1e-8, 1.5e-3};

ForwardShape random_shape(std::mt19937_64& rng) {
  std::uniform_int_distribution<int> tokens(1, 9), batch(1, 8), context(0, 512);
  return {tokens(rng), batch(rng), static_cast<double>(context(rng))};
}

double truth(const ForwardCost& cost, ForwardShape shape) {
  return cost.seconds(shape.tokens_per_sequence, shape.batch_size, shape.context_length);
}

TEST(ForwardProfilerTest, RecoversKnownCoefficientsFromNoisyPasses) {
  // Forgetting off (λ = 1): 2000 passes with 2% multiplicative Gaussian noise. Tolerance:
  // every coefficient within 5% of its true value, predictions within 1% over the grid.
  ForwardProfiler profiler(1, {.forgetting_factor = 1.0});
  std::mt19937_64 rng(5);
  std::normal_distribution<double> noise(0.0, 0.02);
  for (int i = 0; i < 2000; ++i) {
    const ForwardShape shape = random_shape(rng);
    profiler.observe(0, shape, truth(kTruth, shape) * (1 + noise(rng)));
  }
  ASSERT_TRUE(profiler.is_fitted(0));
  const ForwardCost fit = profiler.cost(0);
  EXPECT_NEAR(fit.fixed_seconds, kTruth.fixed_seconds, 0.05 * kTruth.fixed_seconds);
  EXPECT_NEAR(fit.seconds_per_token, kTruth.seconds_per_token, 0.05 * kTruth.seconds_per_token);
  EXPECT_NEAR(fit.seconds_per_context_position, kTruth.seconds_per_context_position,
              0.05 * kTruth.seconds_per_context_position);
  EXPECT_NEAR(fit.seconds_per_attended_pair, kTruth.seconds_per_attended_pair, 0.05 * kTruth.seconds_per_attended_pair);
  EXPECT_NEAR(fit.multi_row_seconds, kTruth.multi_row_seconds, 0.05 * kTruth.multi_row_seconds);
  for (int tokens : {1, 5, 9}) {
    for (int batch : {1, 8}) {
      for (double context : {0.0, 512.0}) {
        const ForwardShape shape{tokens, batch, context};
        EXPECT_NEAR(profiler.predict(0, shape), truth(kTruth, shape), 0.01 * truth(kTruth, shape));
      }
    }
  }
}

TEST(ForwardProfilerTest, ForgettingTracksAThreefoldSlowdownWithin150Passes) {
  // λ = 0.98 remembers ~50 passes: 150 passes after the machine becomes 3x slower the
  // old regime weighs λ^150 ≈ 5%, so predictions must be within 10% of the new truth.
  // Without forgetting the same fit would still be far off (checked too).
  ForwardProfiler forgetting(1, {.forgetting_factor = 0.98});
  ForwardProfiler remembering(1, {.forgetting_factor = 1.0});
  std::mt19937_64 rng(9);
  const ForwardCost slow{3 * kTruth.fixed_seconds, 3 * kTruth.seconds_per_token, 3 * kTruth.seconds_per_context_position,
                         3 * kTruth.seconds_per_attended_pair, 3 * kTruth.multi_row_seconds};
  for (int i = 0; i < 500; ++i) {
    const ForwardShape shape = random_shape(rng);
    forgetting.observe(0, shape, truth(kTruth, shape));
    remembering.observe(0, shape, truth(kTruth, shape));
  }
  for (int i = 0; i < 150; ++i) {
    const ForwardShape shape = random_shape(rng);
    forgetting.observe(0, shape, truth(slow, shape));
    remembering.observe(0, shape, truth(slow, shape));
  }
  for (const ForwardShape shape : {ForwardShape{1, 1, 0}, ForwardShape{5, 4, 256}, ForwardShape{9, 8, 512}}) {
    EXPECT_NEAR(forgetting.predict(0, shape), truth(slow, shape), 0.10 * truth(slow, shape));
    EXPECT_LT(remembering.predict(0, shape), 0.7 * truth(slow, shape));
  }
}

TEST(ForwardProfilerTest, WithoutSingleTokenPassesTheMultiRowStepGoesToFixed) {
  // Batch 4 only: every pass has several rows, so `fixed` and the multi-row step cannot be
  // told apart. The fit must not split the time between them (which would predict a
  // decode pass at half the measured per-pass cost): the step stays ~0 and `fixed`
  // carries both. Predictions of the passes seen stay exact.
  ForwardProfiler profiler(1, {.forgetting_factor = 1.0});
  std::mt19937_64 rng(3);
  for (int i = 0; i < 400; ++i) {
    ForwardShape shape = random_shape(rng);
    shape.batch_size = 4;
    profiler.observe(0, shape, truth(kTruth, shape));
  }
  const ForwardCost fit = profiler.cost(0);
  EXPECT_LT(fit.multi_row_seconds, 0.02 * kTruth.multi_row_seconds);
  EXPECT_NEAR(fit.fixed_seconds, kTruth.fixed_seconds + kTruth.multi_row_seconds, 0.02 * kTruth.fixed_seconds);
  const ForwardShape seen{3, 4, 200};
  EXPECT_NEAR(profiler.predict(0, seen), truth(kTruth, seen), 1e-3 * truth(kTruth, seen));
  // Once single-token passes arrive, the step is identified.
  for (int i = 0; i < 100; ++i) profiler.observe(0, {1, 1, 64.0 * (i % 8)}, truth(kTruth, {1, 1, 64.0 * (i % 8)}));
  EXPECT_NEAR(profiler.cost(0).multi_row_seconds, kTruth.multi_row_seconds, 0.02 * kTruth.multi_row_seconds);
}

TEST(ForwardProfilerTest, CoefficientsStayNonNegative) {
  // Times that fall with the context (impossible for the model; noise or a warming cache
  // can look like it) would give a negative unconstrained slope; the fit clamps it to 0
  // and refits the others.
  ForwardProfiler profiler(1);
  for (int i = 0; i < 40; ++i) {
    const double context = 32.0 * (i % 8);
    profiler.observe(0, {1 + i % 4, 1, context}, 1e-3 + 1e-4 * (1 + i % 4) - 1e-6 * context);
  }
  const ForwardCost fit = profiler.cost(0);
  EXPECT_EQ(fit.seconds_per_context_position, 0.0);
  EXPECT_GE(fit.seconds_per_attended_pair, 0.0);
  EXPECT_GT(fit.seconds_per_token, 0.0);
  EXPECT_GT(fit.fixed_seconds, 0.0);
}

TEST(ForwardProfilerTest, FallsBackBeforeEnoughPasses) {
  ForwardProfiler profiler(2, {.min_effective_observations = 8, .unobserved_seconds_per_pass = 0.5});
  EXPECT_EQ(profiler.cost(1).fixed_seconds, 0.5);  // never observed
  profiler.observe(1, {1, 1, 0}, 0.010);
  profiler.observe(1, {4, 1, 0}, 0.020);
  EXPECT_FALSE(profiler.is_fitted(1));
  const ForwardCost fallback = profiler.cost(1);
  EXPECT_NEAR(fallback.fixed_seconds, 0.010 + 0.2 * (0.020 - 0.010), 1e-15);  // the moving average
  EXPECT_EQ(fallback.seconds_per_token, 0.0);
}

TEST(ForwardProfilerTest, ModelCallsGiveShapesAndDrafterCallsAreIgnored) {
  ForwardProfiler profiler(2);
  StepResult step;
  step.calls.push_back({.pool_index = 1, .sequences = 4, .tokens = 20, .seconds = 0.003, .context_positions = 400});
  step.calls.push_back({.pool_index = kDrafterCall, .sequences = 4, .tokens = 16, .seconds = 1, .context_positions = 0});
  profiler.observe(step);
  EXPECT_EQ(profiler.state(1).observations, 1);
  EXPECT_EQ(profiler.state(0).observations, 0);
  EXPECT_EQ(profiler.state(1).largest.tokens_per_sequence, 5);
  EXPECT_EQ(profiler.state(1).largest.batch_size, 4);
  EXPECT_EQ(profiler.state(1).largest.context_length, 100.0);
  EXPECT_THROW(profiler.observe(0, {0, 1, 0}, 1.0), UsageError);
  EXPECT_THROW(profiler.observe(0, {1, 1, 0}, -1.0), UsageError);
  EXPECT_THROW(ForwardProfiler(1, {.forgetting_factor = 1.5}), UsageError);
}

}  // namespace
}  // namespace specrouter
