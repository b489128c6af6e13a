// AdamW, its schedule and gradient clipping against values worked out by hand.
#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include <cmath>

#include "specrouter/training/adamw.h"

namespace specrouter::training::test {
namespace {

TEST(TrainerOptimizer, ScheduleWarmsUpLinearlyThenDecaysByCosineToMinLr) {
  OptimizerConfig config;
  config.lr = 1.0;
  config.min_lr = 0.1;
  config.warmup_steps = 10;
  // 111 steps: 10 of warm-up, then steps 10..110 decay over 100 intervals.
  EXPECT_DOUBLE_EQ(learning_rate(config, 0, 111), 0.1);
  EXPECT_DOUBLE_EQ(learning_rate(config, 4, 111), 0.5);
  EXPECT_DOUBLE_EQ(learning_rate(config, 10, 111), 1.0);
  EXPECT_NEAR(learning_rate(config, 60, 111), 0.55, 1e-12);  // half-way: the mean of lr and min_lr
  EXPECT_DOUBLE_EQ(learning_rate(config, 110, 111), 0.1);
  for (std::int64_t step = 11; step < 111; ++step) {
    EXPECT_LT(learning_rate(config, step, 111), learning_rate(config, step - 1, 111)) << step;
  }
}

TEST(TrainerOptimizer, AdamWStepMatchesTheFormula) {
  OptimizerConfig config;
  config.beta1 = 0.9;
  config.beta2 = 0.99;
  config.eps = 1e-8;
  config.weight_decay = 0.5;
  at::Tensor matrix = at::full({2, 2}, 2.0, at::kDouble).requires_grad_(true);
  at::Tensor norm = at::full({2}, 2.0, at::kDouble).requires_grad_(true);
  AdamW optimizer({matrix, norm}, {true, false}, config);
  for (int step = 1; step <= 2; ++step) {
    (matrix.sum() * 3.0 + norm.sum() * 3.0).backward();  // every gradient is 3
    optimizer.step(0.1);
  }
  // Step 1: decay 2 -> 2 * (1 - 0.05) = 1.9, m_hat = 3, v_hat = 9: update 0.1 * 3 / 3 = 0.1.
  // Step 2: same normalised update. Norm weights skip the decay.
  const double eps_effect = 0.1 * 3.0 / (3.0 + 1e-8) - 0.1;
  const double expected_matrix = (1.9 - 0.1 - eps_effect) * 0.95 - 0.1 - eps_effect;
  const double expected_norm = 2.0 - 2 * (0.1 + eps_effect);
  EXPECT_NEAR(matrix[0][0].item<double>(), expected_matrix, 1e-12);
  EXPECT_NEAR(norm[0].item<double>(), expected_norm, 1e-12);
  EXPECT_FALSE(matrix.grad().defined()) << "gradients are cleared after a step";
  EXPECT_EQ(optimizer.steps_taken(), 2);
}

TEST(TrainerOptimizer, ClippingScalesTheGlobalNorm) {
  at::Tensor a = at::zeros({2}, at::kDouble).requires_grad_(true);
  at::Tensor b = at::zeros({1}, at::kDouble).requires_grad_(true);
  (a.sum() * 3.0 + b.sum() * 4.0).backward();  // gradients (3, 3) and (4): norm sqrt(34)
  const double norm = clip_gradients({a, b}, 1.0);
  EXPECT_NEAR(norm, std::sqrt(34.0), 1e-12);
  const double clipped =
      std::sqrt(a.grad().pow(2).sum().item<double>() + b.grad().pow(2).sum().item<double>());
  EXPECT_NEAR(clipped, 1.0, 1e-6);
  EXPECT_NEAR(clip_gradients({a, b}, 0.0), clipped, 1e-12) << "0 measures without clipping";
}

}  // namespace
}  // namespace specrouter::training::test
