#include "specrouter/conformance/step_invariants.h"

#include <gtest/gtest.h>

#include <vector>

namespace specrouter::conformance {

void expect_views_are_committed_prefixes(const StateManager& state) {
  for (SequenceId sequence : state.sequences()) {
    const std::span<const TokenId> committed = state.committed_tokens(sequence);
    for (KvModelId model = 0; model < state.num_models(); ++model) {
      const std::vector<TokenId> view = state.kv_tokens(model, sequence);
      ASSERT_LE(view.size(), committed.size()) << "model " << model << ", sequence " << sequence;
      for (std::size_t p = 0; p < view.size(); ++p) {
        ASSERT_EQ(view[p], committed[p]) << "model " << model << ", sequence " << sequence << ", position " << p;
      }
    }
  }
}

void expect_step_statistics_add_up(const StepResult& step, std::span<const SequencePlan> batch, bool has_drafter) {
  ASSERT_EQ(step.sequences.size(), batch.size());
  for (std::size_t b = 0; b < batch.size(); ++b) {
    const SequenceStepResult& result = step.sequences[b];
    const Plan& plan = batch[b].plan;
    EXPECT_EQ(result.sequence, batch[b].sequence);
    ASSERT_EQ(result.levels.size(), plan.chain.size());
    for (std::size_t level = 0; level < plan.chain.size(); ++level) {
      const LevelStats& stats = result.levels[level];
      EXPECT_EQ(stats.pool_index, plan.chain[level]);
      // A level asked for one token only runs no round below it (it decodes that token alone).
      EXPECT_GE(stats.rounds, level + 1 == plan.chain.size() ? 1 : 0) << "level " << level;
      EXPECT_LE(stats.accepted, stats.drafted) << "level " << level;
      EXPECT_EQ(stats.produced, stats.accepted + stats.rounds) << "level " << level;
      EXPECT_EQ(stats.recovered + stats.bonus, stats.rounds) << "level " << level;
      // Per draft position: rounds reaching a depth never grow with it, acceptances sum up.
      ASSERT_EQ(stats.drafted_at.size(), stats.accepted_at.size()) << "level " << level;
      int drafted_at_sum = 0, accepted_at_sum = 0;
      for (std::size_t i = 0; i < stats.drafted_at.size(); ++i) {
        EXPECT_LE(stats.accepted_at[i], stats.drafted_at[i]) << "level " << level << ", position " << i;
        if (i > 0) {
          EXPECT_LE(stats.drafted_at[i], stats.drafted_at[i - 1]) << "level " << level << ", position " << i;
        }
        drafted_at_sum += stats.drafted_at[i];
        accepted_at_sum += stats.accepted_at[i];
      }
      EXPECT_EQ(accepted_at_sum, stats.accepted) << "level " << level;
      EXPECT_LE(drafted_at_sum, stats.drafted) << "level " << level << " (equal for chains, fewer for trees)";
      EXPECT_LE(stats.tv_positions, stats.drafted) << "level " << level;
      EXPECT_GE(stats.tv_distance_sum, 0.0) << "level " << level;
      EXPECT_LE(stats.tv_distance_sum, stats.tv_positions + 1e-6) << "level " << level;
      if (level + 1 < plan.chain.size()) {
        EXPECT_EQ(stats.produced, result.levels[level + 1].drafted) << "level " << level << " passes up exactly what is verified";
        EXPECT_LE(result.levels[level + 1].drafted, result.levels[level + 1].rounds * plan.draft_lengths[level])
            << "level " << level;
      }
    }
    if (!has_drafter) {
      EXPECT_EQ(result.levels[0].drafted, 0);
    }
    EXPECT_EQ(result.levels.back().rounds, 1);
    EXPECT_EQ(static_cast<int>(result.committed.size()), result.levels.back().produced);
  }
}

}  // namespace specrouter::conformance
