// The conformance suite every drafter and verifier passes: for each drafter (none, prompt
// lookup, n-gram LM, model, model tree) x verifier (token, tree) x chain (target only, 2
// levels, 3 levels), greedy speculative decoding commits exactly what target-only greedy
// decoding does, token for token, for a ragged batch and for single sequences, with every
// model's K/V a prefix of the committed tokens after every step (the state manager's debug
// checks on) and per-level statistics that add up. A verifier that cannot take what the
// drafter proposes (the token verifier and a tree draft) is refused with a clear error.
//
// A new drafter or verifier joins the suite by adding its name (and parameters) to
// make_conformance_drafter() or the verifier list below.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <unistd.h>

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
constexpr std::int64_t kNewTokens = 24;

std::vector<std::vector<TokenId>> conformance_prompts() {
  // Ragged lengths; the second repeats itself, so prompt lookup finds matches.
  return {make_tokens(3, 97, 21), {5, 6, 7, 8, 9, 5, 6, 7, 8, 9, 5, 6, 7}, make_tokens(11, 97, 23)};
}

struct Case {
  std::string drafter;   // "none" or a drafter plugin (model_tree: the model drafter drafting trees)
  std::string verifier;  // a verifier plugin
  int levels = 1;        // pool models in the chain

  bool tree_draft() const { return drafter == "model_tree"; }
};

std::string case_name(const ::testing::TestParamInfo<Case>& info) {
  return info.param.drafter + "_" + info.param.verifier + "_" + std::to_string(info.param.levels) + "levels";
}

Plan chain_of(int levels) {
  if (levels == 1) return plan_of({kTarget}, {});
  if (levels == 2) return plan_of({kMedium, kTarget}, {3});
  return plan_of({kSmall, kMedium, kTarget}, {2, 3});
}

class ConformanceTest : public ::testing::TestWithParam<Case> {
 protected:
  static void SetUpTestSuite() {
    c10::InferenceMode guard;
    pool_ = new TestPool(variant_config("llama"), {0.25, 0.1, 0.0}, at::kDouble);
    GenerationOptions options;
    options.max_new_tokens = kNewTokens;
    reference_ = new std::vector<GenerationResult>(generate(pool_->target(), conformance_prompts(), options));
    // The n-gram LM learns from what the target says (so its drafts are often accepted),
    // written as a file of token ids as a user would give it.
    ngram_corpus_ = new std::filesystem::path(std::filesystem::temp_directory_path() /
                                              ("specrouter_conformance_" + std::to_string(::getpid()) + ".txt"));
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

  // Greedy speculative generation of `prompts` (one batch), checked after every step.
  static std::vector<GenerationResult> run(const Case& c, const std::vector<std::vector<TokenId>>& prompts,
                                           std::int64_t* drafted_to_bottom) {
    const std::shared_ptr<Drafter> drafter = make_conformance_drafter(c.drafter);
    StepExecutor executor(*pool_->pool, pool_->state, make_verifier(c.verifier), drafter,
                          {.sampling = {.temperature = 0.0}, .drafter_length = 3});
    const Plan plan = chain_of(c.levels);
    SpeculativeGenerationOptions options;
    options.max_new_tokens = kNewTokens;
    options.on_step = [&](const StepResult& step) {
      pool_->state.check_consistency();
      expect_views_are_committed_prefixes(pool_->state);
      std::vector<SequencePlan> batch;
      for (const SequenceStepResult& sequence : step.sequences) batch.push_back({sequence.sequence, plan, nullptr});
      expect_step_stats_are_sane(step, batch, drafter != nullptr);
      for (const SequenceStepResult& sequence : step.sequences) *drafted_to_bottom += sequence.levels[0].drafted;
    };
    std::vector<GenerationResult> results = speculative_generate(executor, prompts, plan, options);
    EXPECT_TRUE(pool_->state.sequences().empty()) << "speculative_generate releases its sequences";
    return results;
  }

  static TestPool* pool_;
  static std::vector<GenerationResult>* reference_;
  static std::filesystem::path* ngram_corpus_;
};

TestPool* ConformanceTest::pool_ = nullptr;
std::vector<GenerationResult>* ConformanceTest::reference_ = nullptr;
std::filesystem::path* ConformanceTest::ngram_corpus_ = nullptr;

TEST_P(ConformanceTest, GreedySpeculationEqualsTargetOnlyDecoding) {
  const Case& c = GetParam();
  const std::vector<std::vector<TokenId>> prompts = conformance_prompts();
  std::int64_t drafted_to_bottom = 0;

  if (c.tree_draft() && c.verifier == "token") {
    try {
      run(c, prompts, &drafted_to_bottom);
      FAIL() << "the token verifier took a tree draft";
    } catch (const ConfigError& error) {
      EXPECT_NE(std::string(error.what()).find("linear drafts only"), std::string::npos) << error.what();
    }
    const std::vector<SequenceId> left = pool_->state.sequences();
    pool_->state.release(left);
    return;
  }

  // The whole ragged batch at once.
  const std::vector<GenerationResult> batched = run(c, prompts, &drafted_to_bottom);
  ASSERT_EQ(batched.size(), reference_->size());
  for (std::size_t i = 0; i < prompts.size(); ++i) {
    EXPECT_EQ(batched[i].tokens, (*reference_)[i].tokens) << "batched, prompt " << i;
  }
  // Single sequences.
  for (std::size_t i = 0; i < 2; ++i) {
    const std::vector<GenerationResult> alone = run(c, {prompts[i]}, &drafted_to_bottom);
    EXPECT_EQ(alone.at(0).tokens, (*reference_)[i].tokens) << "alone, prompt " << i;
  }
  if (c.drafter != "none") EXPECT_GT(drafted_to_bottom, 0) << "the drafter proposed nothing";
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

INSTANTIATE_TEST_SUITE_P(DrafterVerifierChain, ConformanceTest, ::testing::ValuesIn(all_cases()), case_name);

}  // namespace
}  // namespace specrouter::testing
