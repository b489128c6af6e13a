// Predictions against a simulation of the protocol the cost model describes: each level
// above the bottom asks the level below for k tokens, verifies them in one pass and keeps
// an accepted prefix plus one token; acceptances are independent draws at the pair's rate.
//
// The cost model charges the sub-chain k * T_i for k tokens. Two-level chains have a
// bottom that produces exactly what is asked, so the prediction is exact in expectation
// and the simulation must agree to within its sampling error. In deeper chains a middle
// level produces tokens in rounds of random size, so it cannot stop at exactly k: with
// `kDiscard` its last round overshoots and the surplus is thrown away (the prediction is
// optimistic); with `kTruncate` its last round drafts only what is still needed (short
// rounds amortise the verifier's pass worse, yet waste nothing). The test prints both
// errors and holds them to the band docs/design/chain_cost_model.md reports.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <random>
#include <vector>

#include "specrouter/scheduling/chain_cost.h"
#include "specrouter/scheduling/performance_estimates.h"

namespace specrouter {
namespace {

enum class Surplus { kDiscard, kTruncate };

double uniform01(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

class ChainSimulation {
 public:
  ChainSimulation(const PerformanceEstimates& estimates, Plan plan, BatchShape batch, Surplus surplus,
                  std::uint64_t seed)
      : estimates_(estimates), plan_(std::move(plan)), batch_(batch), surplus_(surplus), rng_(seed) {}

  // Simulated seconds per committed top-level token over `rounds` rounds of the top level.
  double seconds_per_token(int rounds) {
    const int top = static_cast<int>(plan_.chain.size()) - 1;
    if (top == 0) return pass_seconds(0, 1);
    double seconds = 0;
    std::int64_t tokens = 0;
    for (int round = 0; round < rounds; ++round) {
      const int draft = plan_.draft_lengths[top - 1];
      seconds += produce(top - 1, draft) + pass_seconds(top, draft + 1);
      tokens += accepted(top, draft) + 1;
    }
    return seconds / static_cast<double>(tokens);
  }

 private:
  double pass_seconds(int level, int tokens) const {
    return estimates_.forward_seconds(plan_.chain[level], tokens, batch_.batch_size, batch_.context_length);
  }

  // Accepted prefix length of a `draft`-token draft verified at `level`.
  int accepted(int level, int draft) {
    const double rate = estimates_.acceptance_rate(plan_.chain[level - 1], plan_.chain[level]);
    int count = 0;
    while (count < draft && uniform01(rng_) < rate) ++count;
    return count;
  }

  // Seconds `level` spends producing `needed` tokens for the level above.
  double produce(int level, int needed) {
    if (level == 0) return needed * pass_seconds(0, 1);  // one autoregressive pass per token
    double seconds = 0;
    int produced = 0;
    while (produced < needed) {
      int draft = plan_.draft_lengths[level - 1];
      if (surplus_ == Surplus::kTruncate) draft = std::min(draft, needed - produced - 1);
      if (draft == 0) {  // one token still needed: a plain step of this level's model
        seconds += pass_seconds(level, 1);
        ++produced;
        continue;
      }
      seconds += produce(level - 1, draft) + pass_seconds(level, draft + 1);
      produced += accepted(level, draft) + 1;
    }
    return seconds;
  }

  const PerformanceEstimates& estimates_;
  Plan plan_;
  BatchShape batch_;
  Surplus surplus_;
  std::mt19937_64 rng_;
};

constexpr int kRounds = 200000;

// The three-model pool of chain_cost_test (ms): small 1; medium 5 + 1 per token; target
// 20 + 4 per token; rates small->medium 0.5, small->target 0.25, medium->target 0.75.
FrozenEstimates three_model_pool() {
  return FrozenEstimates({{1e-3, 0, 0, 0}, {5e-3, 1e-3, 0, 0}, {20e-3, 4e-3, 0, 0}},
                         {{0, 0.5, 0.25}, {0, 0, 0.75}, {0, 0, 0}});
}

double relative_error(double predicted, double simulated) { return (predicted - simulated) / simulated; }

TEST(ChainSimulation, TwoLevelPredictionsAreExactInExpectation) {
  // Sampling error of the simulated mean over 200,000 rounds is below 0.3% here; the seed
  // is fixed, so the check is deterministic.
  for (double rate : {0.2, 0.5, 0.8, 0.95}) {
    const FrozenEstimates pool({{1e-3, 1e-5, 0, 0}, {12e-3, 2e-4, 0, 0}}, {{0, rate}, {0, 0}});
    for (int k : {1, 3, 6}) {
      const Plan plan{{0, 1}, {k}};
      const double predicted = predict_time_per_token(plan, pool, {4, 0});
      for (Surplus surplus : {Surplus::kDiscard, Surplus::kTruncate}) {
        const double simulated = ChainSimulation(pool, plan, {4, 0}, surplus, 7).seconds_per_token(kRounds);
        EXPECT_NEAR(relative_error(predicted, simulated), 0.0, 0.01) << "rate " << rate << " k " << k;
      }
    }
  }
}

TEST(ChainSimulation, ThreeLevelPredictionErrorIsWithinTheDocumentedBand) {
  // While the middle level's rounds are no longer than what the target asks for
  // (k_1 <= k_2), the steady-state charge k_2 * T_medium is within 10% either way. When the
  // small model drafts far more than the target asks for (6, 2), a discarding middle
  // level wastes most of each last round and a truncating one never runs its long rounds:
  // the prediction is 15% off, the case docs/design/chain_cost_model.md warns about.
  const FrozenEstimates pool = three_model_pool();
  std::printf("%-8s %10s %12s %8s %12s %8s\n", "lengths", "predicted", "discard", "error", "truncate", "error");
  for (const std::vector<int>& lengths : std::vector<std::vector<int>>{{1, 2}, {2, 2}, {3, 3}, {4, 4}, {2, 6}, {6, 2}}) {
    const Plan plan{{0, 1, 2}, lengths};
    const double predicted = predict_time_per_token(plan, pool, {});
    const double discard = ChainSimulation(pool, plan, {}, Surplus::kDiscard, 11).seconds_per_token(kRounds);
    const double truncate = ChainSimulation(pool, plan, {}, Surplus::kTruncate, 11).seconds_per_token(kRounds);
    const double discard_error = relative_error(predicted, discard);
    const double truncate_error = relative_error(predicted, truncate);
    std::printf("(%d, %d) %8.3fms %10.3fms %+7.1f%% %10.3fms %+7.1f%%\n", lengths[0], lengths[1], predicted * 1e3,
                discard * 1e3, 100 * discard_error, truncate * 1e3, 100 * truncate_error);
    // Discarding the surplus only adds cost, so that prediction can only be optimistic.
    EXPECT_LT(discard_error, 0.0) << lengths[0] << "," << lengths[1];
    if (lengths[0] <= lengths[1]) {
      EXPECT_LT(std::abs(discard_error), 0.10) << lengths[0] << "," << lengths[1];
      EXPECT_LT(std::abs(truncate_error), 0.10) << lengths[0] << "," << lengths[1];
    } else {
      EXPECT_GT(std::abs(discard_error), 0.10) << "the documented failure case improved: update the docs";
    }
  }
}

TEST(ChainSimulation, PlainDecodingIsOnePassPerToken) {
  const FrozenEstimates pool = three_model_pool();
  EXPECT_DOUBLE_EQ(ChainSimulation(pool, {{2}, {}}, {}, Surplus::kDiscard, 1).seconds_per_token(10),
                   predict_time_per_token({{2}, {}}, pool, {}));
}

}  // namespace
}  // namespace specrouter
