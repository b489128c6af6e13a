// The sampling math: temperature softmax, top-k and top-p as transformers applies them,
// and inverse-CDF draws from a given uniform.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include <ATen/ops/tensor.h>
#include <c10/core/InferenceMode.h>

#include "specrouter/error.h"
#include "specrouter/sampling/sampling.h"

namespace specrouter {
namespace {

std::vector<float> row(const at::Tensor& t) {
  at::Tensor c = t.to(at::kFloat).contiguous();
  return {c.data_ptr<float>(), c.data_ptr<float>() + c.numel()};
}

TEST(Sampling, TemperatureSoftmax) {
  c10::InferenceMode guard;
  const at::Tensor logits = at::tensor({1.0f, 2.0f, 3.0f}).view({1, 3});
  const std::vector<float> p = row(softmax_with_temperature(logits, 2.0));
  const double z = std::exp(0.5) + std::exp(1.0) + std::exp(1.5);
  EXPECT_NEAR(p[0], std::exp(0.5) / z, 1e-6);
  EXPECT_NEAR(p[2], std::exp(1.5) / z, 1e-6);
  EXPECT_THROW(softmax_with_temperature(logits, 0.0), UsageError);
}

TEST(Sampling, TopKKeepsTiesAtTheKthValue) {
  c10::InferenceMode guard;
  const at::Tensor probs = at::tensor({0.1f, 0.4f, 0.2f, 0.2f, 0.1f}).view({1, 5});
  EXPECT_EQ(row(top_k_filter(probs, 1)), (std::vector<float>{0, 1, 0, 0, 0}));
  const std::vector<float> two = row(top_k_filter(probs, 2));  // 0.4 and both 0.2s
  EXPECT_NEAR(two[1], 0.5, 1e-6);
  EXPECT_NEAR(two[2], 0.25, 1e-6);
  EXPECT_NEAR(two[3], 0.25, 1e-6);
  EXPECT_EQ(two[0], 0.0f);
  EXPECT_EQ(row(top_k_filter(probs, 0)), row(probs));
}

TEST(Sampling, TopPKeepsTheSmallestSetReachingP) {
  c10::InferenceMode guard;
  const at::Tensor probs = at::tensor({0.05f, 0.5f, 0.3f, 0.15f, 0.0f, 0.5f, 0.3f, 0.2f}).view({2, 4});
  const at::Tensor filtered = top_p_filter(probs, 0.75);
  // Row 0: 0.5 then 0.3 reach 0.8 >= 0.75. Row 1: 0.5 + 0.3 likewise.
  const std::vector<float> r = row(filtered);
  EXPECT_NEAR(r[1], 0.625, 1e-6);
  EXPECT_NEAR(r[2], 0.375, 1e-6);
  EXPECT_EQ(r[0], 0.0f);
  EXPECT_EQ(r[3], 0.0f);
  EXPECT_NEAR(r[5], 0.625, 1e-6);
  EXPECT_EQ(r[7], 0.0f);
  // A tiny p keeps the single most probable token.
  EXPECT_EQ(row(top_p_filter(probs, 0.01)), (std::vector<float>{0, 1, 0, 0, 0, 1, 0, 0}));
}

TEST(Sampling, DistributionIsOneHotWhenGreedy) {
  c10::InferenceMode guard;
  const at::Tensor logits = at::tensor({0.3f, 2.0f, 2.0f, -1.0f}).view({1, 4});
  EXPECT_EQ(row(sampling_distribution(logits, {.temperature = 0.0})), (std::vector<float>{0, 1, 0, 0}));
  const std::vector<float> p = row(sampling_distribution(logits, {.temperature = 1.0, .top_k = 3, .top_p = 0.6}));
  EXPECT_NEAR(p[1] + p[2], 1.0, 1e-6);  // top-3, then top-p 0.6 keeps the two maxima
  EXPECT_EQ(p[0], 0.0f);
}

TEST(Sampling, InverseCdfDraws) {
  const std::vector<float> weights = {0.0f, 0.25f, 0.0f, 0.5f, 0.25f};
  EXPECT_EQ(sample_from_distribution(weights, 0.0), 1);
  EXPECT_EQ(sample_from_distribution(weights, 0.2499), 1);
  EXPECT_EQ(sample_from_distribution(weights, 0.25), 3);
  EXPECT_EQ(sample_from_distribution(weights, 0.7499), 3);
  EXPECT_EQ(sample_from_distribution(weights, 0.75), 4);
  EXPECT_EQ(sample_from_distribution(weights, 0.9999999), 4);
  // Unnormalised weights behave like their normalisation.
  const std::vector<float> scaled = {0.0f, 1.0f, 0.0f, 2.0f, 1.0f};
  EXPECT_EQ(sample_from_distribution(scaled, 0.6), 3);
  const std::vector<float> zeros = {0.0f, 0.0f};
  EXPECT_THROW(sample_from_distribution(zeros, 0.5), UsageError);
}

TEST(Sampling, EmpiricalFrequenciesFollowTheDistribution) {
  const std::vector<float> weights = {0.1f, 0.6f, 0.3f};
  std::mt19937_64 rng(99);
  std::vector<int> counts(3, 0);
  const int draws = 20000;
  for (int i = 0; i < draws; ++i) ++counts[static_cast<std::size_t>(sample_from_distribution(weights, next_uniform(rng)))];
  for (std::size_t i = 0; i < 3; ++i) {
    const double expected = weights[i] * draws;
    // 5 standard deviations of a binomial count.
    EXPECT_NEAR(counts[i], expected, 5 * std::sqrt(expected * (1 - weights[i])));
  }
}

TEST(Sampling, UniformsAreReproducibleAndInRange) {
  std::mt19937_64 a(5);
  std::mt19937_64 b(5);
  for (int i = 0; i < 1000; ++i) {
    const double u = next_uniform(a);
    EXPECT_EQ(u, next_uniform(b));
    EXPECT_GE(u, 0.0);
    EXPECT_LT(u, 1.0);
  }
  EXPECT_EQ(argmax(std::vector<float>{1.0f, 3.0f, 3.0f}), 1);
}

}  // namespace
}  // namespace specrouter
