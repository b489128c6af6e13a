// The decoding conformance checks (as the conformance kit runs them, testing/) with the vertical
// cascade: for each drafter (none, prompt lookup, n-gram LM, model, model tree) x
// verifier (token, tree) x chain (target only, 2 levels, 3 levels), greedy decoding
// commits exactly what target-only greedy decoding does, token for token, for a ragged
// batch and for single sequences, with every model's K/V a prefix of the committed
// tokens after every step (the state manager's debug checks on) and statistics that
// follow the cascade's shape: levels below the target only add tokens, the target
// verifies them all. Trees below a chain longer than the target are refused, as are tree
// drafts by the token verifier.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <numeric>

#include <unistd.h>

#include <c10/core/InferenceMode.h>

#include "../../../tests/decoding/decoding_test_util.h"
#include "specrouter/engine/speculative_generate.h"
#include "specrouter/error.h"
#include "specrouter/model/generate.h"
#include "vertical_cascade_test_support.h"

using specrouter::engine::SpeculativeGenerationOptions;
using specrouter::engine::speculative_generate;

namespace specrouter::testing {
namespace {

constexpr int kSmall = 0, kMedium = 1, kTarget = 2;
constexpr std::int64_t kNewTokens = 24;
constexpr int kDrafterLength = 3;

std::vector<std::vector<TokenId>> conformance_prompts() {
  // Ragged lengths; the second repeats itself, so prompt lookup finds matches.
  return {make_tokens(3, 97, 21), {5, 6, 7, 8, 9, 5, 6, 7, 8, 9, 5, 6, 7}, make_tokens(11, 97, 23)};
}

struct Case {
  std::string drafter;   // "none" or a drafter plugin (model_tree: the model drafter drafting trees)
  std::string verifier;  // a verifier plugin
  int levels = 1;        // pool models in the chain
};

std::string case_name(const ::testing::TestParamInfo<Case>& info) {
  return info.param.drafter + "_" + info.param.verifier + "_" + std::to_string(info.param.levels) + "levels";
}

Plan chain_of(int levels) {
  if (levels == 1) return plan_of({kTarget}, {});
  if (levels == 2) return plan_of({kMedium, kTarget}, {3});
  return plan_of({kSmall, kMedium, kTarget}, {2, 3});
}

// The cascade's statistics: a level below the target adds at most its draft length and
// verifies nothing (each of its rounds is a plain-decoding round); the target runs one
// round over everything the levels and the drafter added; it commits what it produced.
void expect_cascade_stats(const StepResult& step, const Plan& plan, int drafter_length, bool tree_drafts,
                          std::int64_t* drafted_by_drafter) {
  for (const SequenceStepResult& sequence : step.sequences) {
    ASSERT_EQ(sequence.levels.size(), plan.chain.size());
    int added_by_levels = 0;
    for (std::size_t level = 0; level + 1 < plan.chain.size(); ++level) {
      const LevelStats& stats = sequence.levels[level];
      EXPECT_EQ(stats.pool_index, plan.chain[level]);
      EXPECT_EQ(stats.drafted, 0) << "level " << level;
      EXPECT_EQ(stats.accepted, 0) << "level " << level;
      EXPECT_EQ(stats.rounds, stats.produced) << "level " << level;
      EXPECT_EQ(stats.bonus, stats.rounds) << "level " << level;
      EXPECT_LE(stats.produced, plan.draft_lengths[level]) << "level " << level;
      added_by_levels += stats.produced;
    }
    const LevelStats& target = sequence.levels.back();
    EXPECT_EQ(target.rounds, 1);
    EXPECT_EQ(target.recovered + target.bonus, 1);
    EXPECT_LE(target.accepted, target.drafted);
    EXPECT_EQ(target.produced, target.accepted + 1);
    EXPECT_GE(target.drafted, added_by_levels) << "the target verifies every token the levels added";
    // A tree's nodes outnumber its depth, the drafter's length.
    if (!tree_drafts) EXPECT_LE(target.drafted, added_by_levels + drafter_length);
    EXPECT_EQ(static_cast<int>(sequence.committed.size()), target.produced);
    *drafted_by_drafter += target.drafted - added_by_levels;
  }
}

class VerticalCascadeConformanceTest : public ::testing::TestWithParam<Case> {
 protected:
  static void SetUpTestSuite() {
    c10::InferenceMode guard;
    pool_ = new TestPool(variant_config("llama"), {0.25, 0.1, 0.0}, at::kDouble);
    GenerationOptions options;
    options.max_new_tokens = kNewTokens;
    reference_ = new std::vector<GenerationResult>(generate(pool_->target(), conformance_prompts(), options));
    // The n-gram LM learns from what the target says, as in the decoding suite.
    ngram_corpus_ = new std::filesystem::path(std::filesystem::temp_directory_path() /
                                              ("specrouter_cascade_" + std::to_string(::getpid()) + ".txt"));
    std::ofstream corpus(*ngram_corpus_);
    for (int repeat = 0; repeat < 3; ++repeat) {
      for (const GenerationResult& result : *reference_) {
        for (TokenId token : result.tokens) corpus << token << ' ';
        corpus << '\n';
      }
    }
  }
  static void TearDownTestSuite() {
    std::filesystem::remove(*ngram_corpus_);
    delete ngram_corpus_;
    delete reference_;
    delete pool_;
  }

  static std::shared_ptr<Drafter> make_conformance_drafter(const std::string& name) {
    if (name == "none") return nullptr;
    if (name == "ngram") return make_drafter("ngram");
    if (name == "ngram_lm") {
      return make_drafter("ngram_lm", {{"training_file", ngram_corpus_->string()},
                                       {"vocab_size", pool_->target().vocab_size()},
                                       {"order", std::int64_t{3}}});
    }
    if (name == "model") return make_drafter("model", {{"model", std::string("m0")}});
    if (name == "model_tree") {
      return make_drafter("model", {{"model", std::string("m0")}, {"branching", std::vector<std::int64_t>{3, 2, 1}}});
    }
    throw std::invalid_argument("no conformance drafter '" + name + "'");
  }

  // Greedy generation of `prompts` (one batch) with the cascade, checked after every step.
  static std::vector<GenerationResult> run(const Case& c, const std::vector<std::vector<TokenId>>& prompts,
                                           std::int64_t* drafted_by_drafter) {
    const std::shared_ptr<Drafter> drafter = make_conformance_drafter(c.drafter);
    StepExecutor executor(*pool_->pool, pool_->state, make_verifier(c.verifier), drafter,
                          {.sampling = {.temperature = 0.0}, .drafter_length = kDrafterLength,
                           .collaboration = make_vertical_cascade()});
    const Plan plan = chain_of(c.levels);
    SpeculativeGenerationOptions options;
    options.max_new_tokens = kNewTokens;
    options.on_step = [&](const StepOutcome& record) {
      const StepResult& step = *record.result;
      pool_->state.check_consistency();
      expect_views_are_committed_prefixes(pool_->state);
      expect_cascade_stats(step, plan, drafter ? kDrafterLength : 0, c.drafter == "model_tree", drafted_by_drafter);
    };
    std::vector<GenerationResult> results = speculative_generate(executor, prompts, plan, options);
    EXPECT_TRUE(pool_->state.sequences().empty()) << "speculative_generate releases its sequences";
    return results;
  }

  // Runs `c` expecting a ConfigError containing `message`, then drops what the failed
  // step left.
  static void expect_refused(const Case& c, const std::string& message) {
    std::int64_t drafted = 0;
    try {
      run(c, conformance_prompts(), &drafted);
      ADD_FAILURE() << "not refused: " << message;
    } catch (const ConfigError& error) {
      EXPECT_NE(std::string(error.what()).find(message), std::string::npos) << error.what();
    }
    const std::vector<SequenceId> left = pool_->state.sequences();
    pool_->state.release(left);
  }

  static TestPool* pool_;
  static std::vector<GenerationResult>* reference_;
  static std::filesystem::path* ngram_corpus_;
};

TestPool* VerticalCascadeConformanceTest::pool_ = nullptr;
std::vector<GenerationResult>* VerticalCascadeConformanceTest::reference_ = nullptr;
std::filesystem::path* VerticalCascadeConformanceTest::ngram_corpus_ = nullptr;

TEST_P(VerticalCascadeConformanceTest, GreedyCascadeEqualsTargetOnlyDecoding) {
  const Case& c = GetParam();
  // A tree below pool levels is refused before any verifier sees it.
  if (c.drafter == "model_tree" && c.levels > 1) return expect_refused(c, "cannot extend");
  if (c.drafter == "model_tree" && c.verifier == "token") return expect_refused(c, "linear drafts only");

  const std::vector<std::vector<TokenId>> prompts = conformance_prompts();
  std::int64_t drafted_by_drafter = 0;
  const std::vector<GenerationResult> batched = run(c, prompts, &drafted_by_drafter);
  ASSERT_EQ(batched.size(), reference_->size());
  for (std::size_t i = 0; i < prompts.size(); ++i) {
    EXPECT_EQ(batched[i].tokens, (*reference_)[i].tokens) << "batched, prompt " << i;
  }
  for (std::size_t i = 0; i < 2; ++i) {
    const std::vector<GenerationResult> alone = run(c, {prompts[i]}, &drafted_by_drafter);
    EXPECT_EQ(alone.at(0).tokens, (*reference_)[i].tokens) << "alone, prompt " << i;
  }
  if (c.drafter != "none") EXPECT_GT(drafted_by_drafter, 0) << "the drafter proposed nothing";
}

std::vector<Case> all_cases() {
  std::vector<Case> cases;
  for (const char* drafter : {"none", "ngram", "ngram_lm", "model", "model_tree"}) {
    for (const char* verifier : {"token", "tree"}) {
      for (int levels = 1; levels <= 3; ++levels) cases.push_back({drafter, verifier, levels});
    }
  }
  return cases;
}

INSTANTIATE_TEST_SUITE_P(DrafterVerifierChain, VerticalCascadeConformanceTest, ::testing::ValuesIn(all_cases()),
                         case_name);

}  // namespace
}  // namespace specrouter::testing
