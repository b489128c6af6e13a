// warm_up_profile on real tiny models: the fits it leaves are usable (finite, non-negative,
// growing with the work of a pass), it feeds exactly the grid shapes that fit the context,
// and it leaves the StateManager without sequences, also when a pass runs out of KV
// memory. Times vary from run to run; only properties every fit of real passes has are
// checked.
#include <gtest/gtest.h>

#include <cmath>

#include "../decoding/decoding_test_util.h"
#include "specrouter/error.h"
#include "specrouter/scheduling/warm_up_profile.h"
#include "specrouter/state/state_errors.h"

namespace specrouter {
namespace {

using testing::TestPool;

// The llama variant widened so that the work of a pass grows visibly with its tokens
// (vocab 1024 logits per token); max_position_embeddings 128 cuts the grid below.
ModelConfig warm_up_config() {
  ModelConfig config = testing::variant_config("llama");
  config.vocab_size = 1024;
  config.hidden_size = 128;
  config.intermediate_size = 256;
  config.max_position_embeddings = 128;
  return config;
}

// Contexts 126 (tokens 1 only fit: 126 + 4 > 128) and 200 (nothing fits) exercise the cut.
WarmUpGrid test_grid() {
  WarmUpGrid grid;
  grid.tokens_per_sequence = {1, 4, 8};
  grid.batch_sizes = {1, 2, 4};
  grid.context_lengths = {0, 32, 96, 126, 200};
  grid.repeats = 3;
  return grid;
}

// Per model: 3 contexts x 3 batches x 3 token counts, plus context 126 x 3 batches x 1.
constexpr int kPassesPerModel = (3 * 3 * 3 + 3 * 1) * 3;

TEST(WarmUpProfileTest, FitsEveryPoolModelWithCostsThatGrowWithThePass) {
  TestPool pool(warm_up_config(), {0.1, 0.0}, at::kFloat, /*blocks=*/256);
  // Ordinary least squares: every pass of the warm-up weighs the same.
  ForwardProfiler profiler(pool.pool->size(), {.forgetting_factor = 1.0});
  const int fed = warm_up_profile(profiler, *pool.pool, pool.state, test_grid());

  EXPECT_EQ(fed, kPassesPerModel * pool.pool->size());
  EXPECT_TRUE(pool.state.sequences().empty());
  for (int model = 0; model < pool.pool->size(); ++model) {
    SCOPED_TRACE("model " + std::to_string(model));
    EXPECT_EQ(profiler.state(model).observations, kPassesPerModel);
    ASSERT_TRUE(profiler.is_fitted(model));
    const ForwardCost cost = profiler.cost(model);
    for (double coefficient : {cost.fixed_seconds, cost.seconds_per_token, cost.seconds_per_context_position,
                               cost.seconds_per_attended_pair}) {
      EXPECT_TRUE(std::isfinite(coefficient));
      EXPECT_GE(coefficient, 0.0);
    }
    // The smallest pass takes time, and every larger one more.
    const double smallest = profiler.predict(model, {1, 1, 32});
    EXPECT_GT(smallest, 0.0);
    EXPECT_GT(profiler.predict(model, {8, 1, 32}), smallest);
    EXPECT_GT(profiler.predict(model, {1, 4, 32}), smallest);
    EXPECT_GT(profiler.predict(model, {8, 4, 32}), profiler.predict(model, {8, 1, 32}));
    EXPECT_GT(profiler.predict(model, {8, 4, 32}), profiler.predict(model, {1, 4, 32}));
    EXPECT_GE(profiler.predict(model, {8, 4, 96}), profiler.predict(model, {8, 4, 32}));
    // The shapes seen are the grid's that fit.
    EXPECT_EQ(profiler.state(model).smallest.tokens_per_sequence, 1);
    EXPECT_EQ(profiler.state(model).largest.tokens_per_sequence, 8);
    EXPECT_EQ(profiler.state(model).largest.batch_size, 4);
    EXPECT_EQ(profiler.state(model).largest.context_length, 126);
  }
}

TEST(WarmUpProfileTest, ReleasesItsSequencesWhenAPassRunsOutOfKvMemory) {
  // 40 blocks of 4 positions hold batch 4 at context 32 (4 x 10 blocks with 8 new tokens)
  // but not at 96.
  TestPool pool(warm_up_config(), {0.0}, at::kFloat, /*blocks=*/40);
  const SequenceId kept = pool.state.create_sequence(std::vector<TokenId>{3, 4, 5});
  ForwardProfiler profiler(1);
  EXPECT_THROW(warm_up_profile(profiler, *pool.pool, pool.state, test_grid()), OutOfKvMemory);
  ASSERT_EQ(pool.state.sequences(), std::vector<SequenceId>{kept});
  // What was measured before the failure was fed.
  EXPECT_GT(profiler.state(0).observations, 0);
}

TEST(WarmUpProfileTest, RefusesAnInvalidGridOrPoolIndex) {
  TestPool pool(warm_up_config(), {0.0}, at::kFloat, /*blocks=*/64);
  ForwardProfiler profiler(1);
  WarmUpGrid grid = test_grid();
  grid.batch_sizes = {0};
  EXPECT_THROW(warm_up_profile(profiler, *pool.pool, pool.state, grid), UsageError);
  EXPECT_THROW(warm_up_profile(profiler, 1, pool.target(), pool.state, 0, test_grid()), UsageError);
  EXPECT_TRUE(pool.state.sequences().empty());
  EXPECT_EQ(profiler.state(0).observations, 0);
}

}  // namespace
}  // namespace specrouter
