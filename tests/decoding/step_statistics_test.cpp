// What a step records besides its tokens: recovered and bonus tokens, counts per draft
// position, and the total-variation distance between adjacent levels on the positions
// both computed. A draft model identical to the target is accepted everywhere at distance
// 0; under speculative sampling, the acceptances of a noisy draft model add up to the sum
// of 1 - D_TV over the compared positions (the identity the schedulers' similarity
// estimate rests on), which a TV computed on misaligned rows would not satisfy.

#include <gtest/gtest.h>

#include <cmath>

#include <c10/core/InferenceMode.h>

#include "decoding_test_util.h"

namespace specrouter::testing {
namespace {

constexpr int kTwin = 0, kNoisy = 1, kTarget = 2;

class StepStatisticsTest : public ::testing::Test {
 protected:
  // m0 is the target's twin (same weights), m1 a noisy copy.
  StepStatisticsTest() : pool_(variant_config("llama"), {0.0, 0.5, 0.0}, at::kDouble, 4096) {}

  // Runs `steps` steps of `plan` for `prompts` sequences and sums the statistics of
  // level `level` over every sequence and step.
  LevelStats run(const Plan& plan, std::size_t level, const SamplingParams& sampling, int prompts, int steps,
                 std::shared_ptr<Drafter> drafter = nullptr, const std::string& verifier = "token") {
    const bool has_drafter = drafter != nullptr;
    StepExecutor executor(*pool_.pool, pool_.state, make_verifier(verifier), std::move(drafter),
                          {.sampling = sampling, .drafter_length = 2});
    std::vector<SequenceId> sequences;
    std::vector<std::mt19937_64> rngs;
    for (int i = 0; i < prompts; ++i) {
      sequences.push_back(pool_.state.create_sequence(make_tokens(4 + i % 5, 97, 50 + static_cast<std::uint64_t>(i))));
      rngs.push_back(make_sequence_rng(9, static_cast<std::uint64_t>(i)));
    }
    LevelStats total;
    for (int s = 0; s < steps; ++s) {
      std::vector<SequencePlan> batch;
      for (int i = 0; i < prompts; ++i) batch.push_back({sequences[i], plan, &rngs[i]});
      const StepResult step = executor.step(batch);
      expect_step_statistics_add_up(step, batch, has_drafter);
      for (const SequenceStepResult& sequence : step.sequences) add(total, sequence.levels[level]);
    }
    pool_.state.release(sequences);
    return total;
  }

  static void add(LevelStats& total, const LevelStats& step) {
    total.rounds += step.rounds;
    total.drafted += step.drafted;
    total.accepted += step.accepted;
    total.recovered += step.recovered;
    total.bonus += step.bonus;
    total.produced += step.produced;
    total.drafted_at.resize(std::max(total.drafted_at.size(), step.drafted_at.size()), 0);
    total.accepted_at.resize(total.drafted_at.size(), 0);
    for (std::size_t i = 0; i < step.drafted_at.size(); ++i) {
      total.drafted_at[i] += step.drafted_at[i];
      total.accepted_at[i] += step.accepted_at[i];
    }
    total.tv_distance_sum += step.tv_distance_sum;
    total.tv_positions += step.tv_positions;
  }

  c10::InferenceMode guard_;
  TestPool pool_;
};

TEST_F(StepStatisticsTest, ATwinDraftIsAcceptedEverywhereAtDistanceZero) {
  const LevelStats target = run(plan_of({kTwin, kTarget}, {4}), 1, {.temperature = 0.0}, 3, 5);
  EXPECT_EQ(target.rounds, 15);
  EXPECT_EQ(target.drafted, 60);
  EXPECT_EQ(target.accepted, 60);
  EXPECT_EQ(target.bonus, 15);
  EXPECT_EQ(target.recovered, 0);
  EXPECT_EQ(target.drafted_at, std::vector<int>(4, 15));
  EXPECT_EQ(target.accepted_at, std::vector<int>(4, 15));
  EXPECT_EQ(target.tv_positions, 60);
  EXPECT_LT(target.tv_distance_sum, 1e-6) << "identical models, compared as temperature-1 softmax";
}

TEST_F(StepStatisticsTest, GreedyCountsRejectionsPerPositionAndMeasuresDistance) {
  const LevelStats target = run(plan_of({kNoisy, kTarget}, {3}), 1, {.temperature = 0.0}, 4, 8);
  EXPECT_EQ(target.rounds, 32);
  EXPECT_GT(target.recovered, 0);
  EXPECT_LT(target.accepted, target.drafted);
  EXPECT_EQ(target.drafted_at, std::vector<int>(3, 32));
  EXPECT_GE(target.accepted_at[0], target.accepted_at[1]) << "a later position is reached only through earlier ones";
  EXPECT_EQ(target.tv_positions, target.drafted);
  const double mean_tv = target.tv_distance_sum / target.tv_positions;
  EXPECT_GT(mean_tv, 0.01);
  EXPECT_LT(mean_tv, 1.0);
  const LevelStats turned_off = [&] {
    StepExecutor executor(*pool_.pool, pool_.state, token_verifier(), nullptr,
                          {.sampling = {.temperature = 0.0}, .measure_similarity = false});
    const SequenceId a = pool_.state.create_sequence(make_tokens(5, 97, 3));
    const std::vector<SequencePlan> batch = {{a, plan_of({kNoisy, kTarget}, {3}), nullptr}};
    const LevelStats stats = executor.step(batch).sequences[0].levels[1];
    pool_.state.release(a);
    return stats;
  }();
  EXPECT_EQ(turned_off.tv_positions, 0);
}

TEST_F(StepStatisticsTest, SampledAcceptancesAddUpToOneMinusTheDistance) {
  // Drafts of one token: every compared position is reached (the distance is also
  // measured at drafted positions after a rejection, which are never accepted).
  const LevelStats target = run(plan_of({kNoisy, kTarget}, {1}), 1, {.temperature = 1.0}, 64, 24);
  ASSERT_EQ(target.tv_positions, target.drafted);
  // Each position is accepted with probability 1 - D_TV there, so accepted - sum(1 - D_TV)
  // has mean 0 and variance below positions / 4.
  const double expected = target.tv_positions - target.tv_distance_sum;
  const double sd = std::sqrt(target.tv_positions / 4.0);
  RecordProperty("accepted", target.accepted);
  RecordProperty("expected_from_tv", std::to_string(expected));
  EXPECT_NEAR(target.accepted, expected, 4 * sd) << target.accepted << " accepted of " << target.drafted;
  EXPECT_GT(target.recovered, 0);
  EXPECT_GT(target.bonus, 0);
}

TEST_F(StepStatisticsTest, TreeDraftsCountDepthsAndKeepTheAcceptedPath) {
  const auto tree_drafter = make_drafter("model", {{"model", std::string("m0")}, {"branching", std::vector<std::int64_t>{2, 2}}});
  const LevelStats target = run(plan_of({kTarget}, {}), 0, {.temperature = 0.0}, 3, 4, tree_drafter, "tree");
  EXPECT_EQ(target.rounds, 12);
  EXPECT_EQ(target.drafted, 12 * 6) << "2 roots and 2 children each";
  EXPECT_EQ(target.drafted_at, std::vector<int>(2, 12));
  EXPECT_EQ(target.accepted_at, std::vector<int>(2, 12)) << "the twin's best child is always the target's argmax";
  EXPECT_EQ(target.bonus, 12);
  EXPECT_EQ(target.tv_positions, 0) << "tree drafts are not compared";
}

}  // namespace
}  // namespace specrouter::testing
