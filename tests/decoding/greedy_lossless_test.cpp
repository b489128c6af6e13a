// Greedy speculative decoding through the step executor commits exactly what target-only
// greedy decoding (generate()) does, token for token, for every plan shape, per-sequence
// plans, the n-gram and model drafters below the chain, and at the context limit; after
// every step every model's K/V is a prefix of the committed tokens and the per-level
// statistics add up.

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <sstream>

#include <c10/core/InferenceMode.h>

#include "decoding_test_util.h"
#include "specrouter/engine/speculative_generate.h"
#include "specrouter/error.h"
#include "specrouter/model/generate.h"
#include "specrouter/scheduling/chain_cost.h"

using specrouter::engine::SpeculativeGenerationOptions;
using specrouter::engine::speculative_generate;

namespace specrouter::testing {
namespace {

constexpr int kSmall = 0, kMedium = 1, kTarget = 2;
constexpr std::int64_t kNewTokens = 40;

std::vector<std::vector<TokenId>> test_prompts() {
  return {make_tokens(3, 97, 11), make_tokens(9, 97, 12), make_tokens(14, 97, 13), make_tokens(6, 97, 14)};
}

// Acceptance figures of a run, to show that drafts were both accepted and rejected.
struct Totals {
  std::int64_t steps = 0, committed = 0;
  std::size_t most_committed = 0;  // by one sequence in one step
  std::map<int, std::int64_t> drafted, accepted;  // by level

  std::string describe() const {
    std::ostringstream out;
    out << committed << " tokens in " << steps << " steps;";
    for (const auto& [level, n] : drafted) out << " level " << level << " accepted " << accepted.at(level) << "/" << n;
    return out.str();
  }
};

class GreedyLosslessTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    c10::InferenceMode guard;
    pool_ = new TestPool(variant_config("llama"), {0.25, 0.1, 0.0}, at::kDouble);
    GenerationOptions options;
    options.max_new_tokens = kNewTokens;
    reference_ = new std::vector<GenerationResult>(generate(pool_->target(), test_prompts(), options));
  }
  static void TearDownTestSuite() {
    delete reference_;
    delete pool_;
  }

  // speculative_generate() with `plan`, checking state and statistics after every step.
  static std::vector<GenerationResult> run(const Plan& plan, std::shared_ptr<Drafter> drafter = nullptr,
                                           int drafter_length = 4, Totals* totals = nullptr,
                                           const std::vector<std::vector<TokenId>>& prompts = test_prompts()) {
    StepExecutor executor(*pool_->pool, pool_->state, token_verifier(), drafter,
                          {.sampling = {.temperature = 0.0}, .drafter_length = drafter_length});
    SpeculativeGenerationOptions options;
    options.max_new_tokens = kNewTokens;
    const bool has_drafter = drafter != nullptr;
    options.on_step = [&](const StepOutcome& record) {
      const StepResult& step = *record.result;
      expect_views_are_committed_prefixes(pool_->state);
      std::vector<SequencePlan> batch;
      for (const SequenceStepResult& sequence : step.sequences) batch.push_back({sequence.sequence, plan, nullptr});
      expect_step_statistics_add_up(step, batch, has_drafter);
      if (totals == nullptr) return;
      ++totals->steps;
      for (const SequenceStepResult& sequence : step.sequences) {
        totals->committed += static_cast<std::int64_t>(sequence.committed.size());
        totals->most_committed = std::max(totals->most_committed, sequence.committed.size());
        for (std::size_t level = 0; level < sequence.levels.size(); ++level) {
          totals->drafted[static_cast<int>(level)] += sequence.levels[level].drafted;
          totals->accepted[static_cast<int>(level)] += sequence.levels[level].accepted;
        }
      }
    };
    std::vector<GenerationResult> results = speculative_generate(executor, prompts, plan, options);
    EXPECT_TRUE(pool_->state.sequences().empty()) << "speculative_generate releases its sequences";
    return results;
  }

  static void expect_equals_reference(const std::vector<GenerationResult>& results, const std::string& what) {
    ASSERT_EQ(results.size(), reference_->size());
    for (std::size_t i = 0; i < results.size(); ++i) {
      EXPECT_EQ(results[i].tokens, (*reference_)[i].tokens) << what << ", prompt " << i;
      EXPECT_EQ(results[i].finish_reason, FinishReason::kMaxTokens) << what << ", prompt " << i;
    }
  }

  static TestPool* pool_;
  static std::vector<GenerationResult>* reference_;
};

TestPool* GreedyLosslessTest::pool_ = nullptr;
std::vector<GenerationResult>* GreedyLosslessTest::reference_ = nullptr;

TEST_F(GreedyLosslessTest, PlainDecodingPlanEqualsGenerate) {
  Totals totals;
  expect_equals_reference(run(plan_of({kTarget}, {}), nullptr, 4, &totals), "[T]");
  EXPECT_EQ(totals.most_committed, 1u) << "plain decoding commits one token per step";
  EXPECT_EQ(totals.drafted[0], 0);
}

TEST_F(GreedyLosslessTest, TwoLevelChainsEqualGenerateForEveryDraftLength) {
  for (int k = 1; k <= 5; ++k) {
    Totals totals;
    expect_equals_reference(run(plan_of({kSmall, kTarget}, {k}), nullptr, 4, &totals), "[S, T] k=" + std::to_string(k));
    RecordProperty("S_T_k" + std::to_string(k), totals.describe());
    // The drafter is good but not perfect: both outcomes of verification happened.
    EXPECT_GT(totals.accepted[1], 0) << totals.describe();
    EXPECT_LT(totals.accepted[1], totals.drafted[1]) << totals.describe();
  }
  Totals medium;
  expect_equals_reference(run(plan_of({kMedium, kTarget}, {3}), nullptr, 4, &medium), "[M, T] k=3");
  EXPECT_GT(medium.accepted[1], 0) << medium.describe();
}

TEST_F(GreedyLosslessTest, ThreeLevelChainsEqualGenerate) {
  const std::vector<std::pair<int, int>> lengths = {{1, 1}, {2, 3}, {3, 2}, {4, 4}, {1, 5}, {5, 1}};
  for (const auto& [k1, k2] : lengths) {
    Totals totals;
    const std::string what = "[S, M, T] (" + std::to_string(k1) + ", " + std::to_string(k2) + ")";
    expect_equals_reference(run(plan_of({kSmall, kMedium, kTarget}, {k1, k2}), nullptr, 4, &totals), what);
    RecordProperty("S_M_T_" + std::to_string(k1) + "_" + std::to_string(k2), totals.describe());
    if (k2 == 1) {
      // M is asked one token per round of T, which it decodes alone (a round drafts at
      // most what is still needed minus one): S never runs.
      EXPECT_EQ(totals.drafted[1], 0) << what << ": " << totals.describe();
    } else {
      EXPECT_GT(totals.accepted[1], 0) << what << ": " << totals.describe();
    }
    EXPECT_GT(totals.accepted[2], 0) << what << ": " << totals.describe();
    EXPECT_LT(totals.accepted[2], totals.drafted[2]) << what << ": " << totals.describe();
  }
}

TEST_F(GreedyLosslessTest, PerSequencePlansInOneBatchEqualGenerate) {
  c10::InferenceMode guard;
  const std::vector<std::vector<TokenId>> prompts = test_prompts();
  const std::vector<Plan> plans = {plan_of({kTarget}, {}), plan_of({kSmall, kTarget}, {3}),
                                   plan_of({kSmall, kMedium, kTarget}, {2, 3}), plan_of({kMedium, kTarget}, {2})};
  StepExecutor executor(*pool_->pool, pool_->state, token_verifier());
  std::vector<SequenceId> sequences;
  for (const auto& prompt : prompts) sequences.push_back(pool_->state.create_sequence(prompt));
  std::vector<std::vector<TokenId>> generated(prompts.size());
  for (int step = 0; step < 100; ++step) {
    std::vector<SequencePlan> batch;
    std::vector<std::size_t> which;
    for (std::size_t i = 0; i < prompts.size(); ++i) {
      if (static_cast<std::int64_t>(generated[i].size()) >= kNewTokens) continue;
      // The plans rotate, so each sequence meets every shape.
      batch.push_back({sequences[i], plans[(i + static_cast<std::size_t>(step)) % plans.size()], nullptr});
      which.push_back(i);
    }
    if (batch.empty()) break;
    const StepResult result = executor.step(batch);
    expect_views_are_committed_prefixes(pool_->state);
    expect_step_statistics_add_up(result, batch, false);
    for (std::size_t b = 0; b < batch.size(); ++b) {
      auto& out = generated[which[b]];
      out.insert(out.end(), result.sequences[b].committed.begin(), result.sequences[b].committed.end());
    }
  }
  pool_->state.release(sequences);
  for (std::size_t i = 0; i < prompts.size(); ++i) {
    ASSERT_GE(static_cast<std::int64_t>(generated[i].size()), kNewTokens);
    generated[i].resize(kNewTokens);
    EXPECT_EQ(generated[i], (*reference_)[i].tokens) << "prompt " << i;
  }
}

TEST_F(GreedyLosslessTest, APlanChosenAnewEveryStepEqualsGenerate) {
  // What an adaptive scheduler does: a different plan at every step.
  const std::vector<Plan> rotation = {plan_of({kTarget}, {}), plan_of({kSmall, kTarget}, {3}),
                                      plan_of({kSmall, kMedium, kTarget}, {2, 2}), plan_of({kMedium, kTarget}, {5})};
  StepExecutor executor(*pool_->pool, pool_->state, token_verifier(), nullptr, {.sampling = {.temperature = 0.0}});
  SpeculativeGenerationOptions options;
  options.max_new_tokens = kNewTokens;
  std::size_t steps = 0;
  int last_batch = 4;
  options.choose_plan = [&](const BatchShape& shape) {
    if (steps == 0) EXPECT_EQ(shape.batch_size, 4);
    EXPECT_LE(shape.batch_size, last_batch) << "sequences only leave the batch";
    EXPECT_GE(shape.context_length, 3.0) << "at least the shortest prompt";
    last_batch = shape.batch_size;
    return rotation[steps++ % rotation.size()];
  };
  options.on_step = [&](const StepOutcome&) { expect_views_are_committed_prefixes(pool_->state); };
  expect_equals_reference(speculative_generate(executor, test_prompts(), plan_of({kTarget}, {}), options),
                          "a rotation of four plans");
  EXPECT_GE(steps, 8u);
  options.choose_plan = [](const BatchShape&) { return plan_of({kSmall}, {}); };
  EXPECT_THROW(speculative_generate(executor, test_prompts(), plan_of({kTarget}, {}), options), UsageError)
      << "a chosen plan that does not end at the target";
  EXPECT_TRUE(pool_->state.sequences().empty());
}

TEST_F(GreedyLosslessTest, NgramDrafterBelowTheChainEqualsGenerate) {
  std::vector<std::vector<TokenId>> prompts = test_prompts();
  prompts[1] = {5, 6, 7, 8, 9, 5, 6, 7, 8, 9, 5, 6, 7, 8};  // repetitive: lookups find matches
  GenerationOptions options;
  options.max_new_tokens = kNewTokens;
  const std::vector<GenerationResult> reference = generate(pool_->target(), prompts, options);
  // With [S, M, T] (2, 4), M asks S for up to 2 tokens, so S asks the drafter for 1.
  for (const Plan& plan : {plan_of({kTarget}, {}), plan_of({kSmall, kTarget}, {3}), plan_of({kSmall, kMedium, kTarget}, {2, 4})}) {
    Totals totals;
    const std::vector<GenerationResult> results = run(plan, make_drafter("ngram"), 4, &totals, prompts);
    for (std::size_t i = 0; i < prompts.size(); ++i) {
      EXPECT_EQ(results[i].tokens, reference[i].tokens) << plan_to_string(plan) << " with ngram, prompt " << i;
    }
    RecordProperty("ngram_" + std::to_string(plan.chain.size()), totals.describe());
    EXPECT_GT(totals.drafted[0], 0) << totals.describe();
    EXPECT_GT(totals.accepted[0], 0) << "greedy loops of a random model repeat: " << totals.describe();
  }
}

TEST_F(GreedyLosslessTest, ModelDrafterBelowTheChainEqualsGenerate) {
  Totals fixed;
  expect_equals_reference(run(plan_of({kTarget}, {}), make_drafter("model", {{"model", std::string("m0")}}), 3, &fixed),
                          "[T] with drafter model m0");
  EXPECT_GT(fixed.accepted[0], 0) << fixed.describe();
  EXPECT_GT(fixed.most_committed, 1u) << fixed.describe();

  Totals early;
  expect_equals_reference(
      run(plan_of({kMedium, kTarget}, {3}),
          make_drafter("model", {{"model", std::string("m0")}, {"min_confidence", 0.3}}), 5, &early),
      "[M, T] with drafter model m0, min_confidence 0.3");
  EXPECT_GT(early.accepted[0], 0) << early.describe();

  // A drafter running a model that is also a level of the chain: wasteful, still exact.
  expect_equals_reference(run(plan_of({kMedium, kTarget}, {2}), make_drafter("model", {{"model", std::string("m1")}}), 2),
                          "[M, T] with drafter model m1");
}

TEST_F(GreedyLosslessTest, StopsAtTheContextLimitLikeGenerate) {
  c10::InferenceMode guard;
  const std::int64_t context = pool_->target().max_context();
  const std::vector<std::vector<TokenId>> prompts = {make_tokens(context - 12, 97, 21), make_tokens(context - 3, 97, 22),
                                                     make_tokens(context, 97, 23)};
  GenerationOptions options;
  options.max_new_tokens = kNewTokens;
  const std::vector<GenerationResult> reference = generate(pool_->target(), prompts, options);
  StepExecutor executor(*pool_->pool, pool_->state, token_verifier());
  SpeculativeGenerationOptions speculative;
  speculative.max_new_tokens = kNewTokens;
  speculative.on_step = [&](const StepOutcome&) { expect_views_are_committed_prefixes(pool_->state); };
  const auto results = speculative_generate(executor, prompts, plan_of({kSmall, kMedium, kTarget}, {4, 5}), speculative);
  for (std::size_t i = 0; i < prompts.size(); ++i) {
    EXPECT_EQ(results[i].tokens, reference[i].tokens) << "prompt " << i;
    EXPECT_EQ(results[i].finish_reason, FinishReason::kContext) << "prompt " << i;
    EXPECT_EQ(reference[i].finish_reason, FinishReason::kContext) << "prompt " << i;
  }
}

TEST_F(GreedyLosslessTest, StopsAtEndOfSequenceTokens) {
  SpeculativeGenerationOptions options;
  options.max_new_tokens = kNewTokens;
  options.eos_token_ids = {(*reference_)[0].tokens[10], (*reference_)[2].tokens[20]};
  StepExecutor executor(*pool_->pool, pool_->state, token_verifier());
  const auto results = speculative_generate(executor, test_prompts(), plan_of({kSmall, kTarget}, {4}), options);
  GenerationOptions plain;
  plain.max_new_tokens = kNewTokens;
  plain.eos_token_ids = options.eos_token_ids;
  const auto reference = generate(pool_->target(), test_prompts(), plain);
  for (std::size_t i = 0; i < results.size(); ++i) {
    EXPECT_EQ(results[i].tokens, reference[i].tokens) << "prompt " << i;
    EXPECT_EQ(results[i].finish_reason, reference[i].finish_reason) << "prompt " << i;
  }
  EXPECT_EQ(results[0].finish_reason, FinishReason::kEos);
}

// Other pools: a sliding-window architecture (its K/V is cut and rerun like any other),
// and drafters with less context than the target (drafts shrink, then plain decoding).
TEST(GreedyLosslessOtherPoolsTest, SlidingWindowModelsAndShortDrafterContexts) {
  c10::InferenceMode guard;
  GenerationOptions options;
  options.max_new_tokens = kNewTokens;
  const std::vector<std::vector<TokenId>> prompts = test_prompts();
  struct Case {
    std::string variant;
    std::int64_t drafter_context;
  };
  for (const Case& test : {Case{"mistral_window", 0}, Case{"qwen2_sliding_layer", 0}, Case{"llama", 30}}) {
    TestPool pool(variant_config(test.variant), {0.25, 0.1, 0.0}, at::kDouble, 2048, true, 7, test.drafter_context);
    const std::vector<GenerationResult> reference = generate(pool.target(), prompts, options);
    StepExecutor executor(*pool.pool, pool.state, token_verifier());
    SpeculativeGenerationOptions speculative;
    speculative.max_new_tokens = kNewTokens;
    std::int64_t drafted = 0, undrafted_steps = 0;  // undrafted: the target got no draft
    speculative.on_step = [&](const StepOutcome& record) {
      const StepResult& step = *record.result;
      expect_views_are_committed_prefixes(pool.state);
      for (const SequenceStepResult& sequence : step.sequences) {
        drafted += sequence.levels.back().drafted;
        undrafted_steps += sequence.levels.back().drafted == 0;
      }
    };
    for (const Plan& plan : {plan_of({kSmall, kTarget}, {4}), plan_of({kSmall, kMedium, kTarget}, {2, 3})}) {
      drafted = undrafted_steps = 0;
      const std::vector<GenerationResult> results = speculative_generate(executor, prompts, plan, speculative);
      for (std::size_t i = 0; i < prompts.size(); ++i) {
        EXPECT_EQ(results[i].tokens, reference[i].tokens) << test.variant << " " << plan_to_string(plan) << ", prompt " << i;
      }
      EXPECT_GT(drafted, 0) << test.variant;
      // Only short drafter contexts leave the target without a draft (past position 30).
      EXPECT_EQ(undrafted_steps > 0, test.drafter_context > 0) << test.variant << ": " << undrafted_steps;
    }
  }
}

}  // namespace
}  // namespace specrouter::testing
