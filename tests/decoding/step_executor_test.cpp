// The step executor's contract apart from greedy losslessness: the pool view's checks,
// refused steps, misbehaving drafters and verifiers, what a failed step leaves behind,
// tokens_to_feed(), call records, and sampled decoding (plain decoding reproduces
// generate(); results do not depend on the batch).

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>

#include <c10/core/InferenceMode.h>

#include "decoding_test_util.h"
#include "specrouter/decoding/feed.h"
#include "specrouter/engine/speculative_generate.h"
#include "specrouter/error.h"
#include "specrouter/model/generate.h"
#include "specrouter/model/weights.h"

using specrouter::engine::SpeculativeGenerationOptions;
using specrouter::engine::speculative_generate;

namespace specrouter::testing {
namespace {

using ::testing::HasSubstr;

constexpr int kSmall = 0, kMedium = 1, kTarget = 2;

// tokens_to_feed() for one sequence.
std::vector<TokenId> feed_one(StateManager& state, KvModelId model, SequenceId sequence, std::span<const TokenId> context) {
  const SequenceTokens one{sequence, context, {}};
  return tokens_to_feed(state, model, {&one, 1})[0];
}

// One forward pass of `tokens` for one sequence.
void run_tokens(const PoolMember& member, StateManager& state, SequenceId sequence, std::span<const TokenId> tokens) {
  SequenceInput input;
  input.sequence = sequence;
  input.tokens = tokens;
  member.model->forward({&input, 1}, state, member.kv);
}

class StepExecutorTest : public ::testing::Test {
 protected:
  StepExecutorTest() : pool_(variant_config("llama"), {0.6, 0.3, 0.0}, at::kDouble, 512) {}

  template <class Error>
  static std::string error_of(const std::function<void()>& action) {
    try {
      action();
    } catch (const Error& error) {
      return error.what();
    }
    return "(no error of the expected type)";
  }

  c10::InferenceMode guard_;
  TestPool pool_;
};

// ---- The pool view -------------------------------------------------------------------

TEST_F(StepExecutorTest, PoolRefusesMalformedMembers) {
  Model* small = pool_.models[0].get();
  EXPECT_THAT(error_of<UsageError>([] { (void)ModelPool(std::vector<PoolMember>{}); }), HasSubstr("at least one model"));
  EXPECT_THAT(error_of<UsageError>([&] { (void)ModelPool({{"a", small, 0}, {"a", small, 0}}); }), HasSubstr("twice"));
  EXPECT_THAT(error_of<UsageError>([&] { (void)ModelPool({{"a", nullptr, 0}}); }), HasSubstr("no model"));
  EXPECT_THAT(error_of<UsageError>([&] { (void)ModelPool({{"", small, 0}}); }), HasSubstr("no name"));
  ModelConfig other = variant_config("llama");
  other.vocab_size = 50;
  auto different = random_model(other, at::kFloat);
  EXPECT_THAT(error_of<UsageError>([&] { (void)ModelPool({{"a", small, 0}, {"b", different.get(), 1}}); }),
              HasSubstr("vocabulary of 50 tokens"));

  const ModelPool& pool = *pool_.pool;
  EXPECT_EQ(pool.size(), 3);
  EXPECT_EQ(pool.target().name, "target");
  EXPECT_EQ(pool.index_of("m1"), 1);
  EXPECT_THAT(error_of<UsageError>([&] { pool.index_of("huge"); }), HasSubstr("'m0', 'm1', 'target'"));
  EXPECT_THAT(error_of<UsageError>([&] { pool.at(3); }), HasSubstr("index 3"));
  EXPECT_EQ(pool.members()[1].name, "m1");
}

TEST_F(StepExecutorTest, ConstructorRefusesMissingPartsAndForeignKvIds) {
  EXPECT_THAT(error_of<UsageError>([&] { StepExecutor executor(*pool_.pool, pool_.state, nullptr); }), HasSubstr("verifier"));
  EXPECT_THAT(error_of<UsageError>([&] {
                StepExecutor executor(*pool_.pool, pool_.state, token_verifier(), make_drafter("ngram"), {.drafter_length = 0});
              }),
              HasSubstr("drafter_length"));
  StateManager empty;
  EXPECT_THAT(error_of<UsageError>([&] { StepExecutor executor(*pool_.pool, empty, token_verifier()); }), HasSubstr("KV id"));
}

// ---- Refused steps -------------------------------------------------------------------

TEST_F(StepExecutorTest, StepRefusesBadBatchesBeforeRunningAnything) {
  StepExecutor greedy(*pool_.pool, pool_.state, token_verifier());
  const SequenceId a = pool_.state.create_sequence(make_tokens(5, 97, 1));
  const Plan plain = plan_of({kTarget}, {});
  auto step = [&](StepExecutor& executor, std::vector<SequencePlan> batch) { return [&executor, batch] { executor.step(batch); }; };

  EXPECT_THAT(error_of<UsageError>(step(greedy, {{a + 100, plain, nullptr}})), HasSubstr("does not exist"));
  EXPECT_THAT(error_of<UsageError>(step(greedy, {{a, plain, nullptr}, {a, plain, nullptr}})), HasSubstr("twice"));
  EXPECT_THAT(error_of<UsageError>(step(greedy, {{a, plan_of({kSmall}, {}), nullptr}})),
              HasSubstr("sequence " + std::to_string(a)));
  EXPECT_THAT(error_of<UsageError>(step(greedy, {{a, plan_of({kSmall, kTarget}, {}), nullptr}})), HasSubstr("draft"));
  EXPECT_THAT(error_of<UsageError>(step(greedy, {{a, plan_of({kSmall, kTarget}, {0}), nullptr}})), HasSubstr("draft"));
  const int beyond = static_cast<int>(pool_.target().max_context());
  EXPECT_THAT(error_of<UsageError>(step(greedy, {{a, plan_of({kSmall, kTarget}, {beyond}), nullptr}})),
              HasSubstr("draft length " + std::to_string(beyond) + " for 'target' does not fit its context of"));
  StepExecutor sampling(*pool_.pool, pool_.state, token_verifier(), nullptr, {.sampling = {.temperature = 1.0}});
  EXPECT_THAT(error_of<UsageError>(step(sampling, {{a, plain, nullptr}})), HasSubstr("rng"));

  const StepResult nothing = greedy.step({});
  EXPECT_TRUE(nothing.sequences.empty());
  EXPECT_TRUE(nothing.calls.empty());

  const SequenceId too_long = pool_.state.create_sequence(make_tokens(pool_.target().max_context() + 1, 97, 2));
  EXPECT_THAT(error_of<CapacityError>(step(greedy, {{too_long, plain, nullptr}})), HasSubstr("target 'target'"));
  EXPECT_EQ(pool_.state.committed_length(a), 5) << "nothing was committed";
  EXPECT_EQ(pool_.state.kv_length(pool_.pool->target().kv, a), 0) << "nothing ran";
}

// ---- Misbehaving components ----------------------------------------------------------

// Proposes fixed drafts, optionally too long or with misshapen rows, and may throw after
// writing speculative K/V into the target's cache.
class ScriptedDrafter final : public Drafter {
 public:
  enum class Fault { kNone, kTooLong, kBadRows, kThrowAfterWriting, kTreeTooDeep, kTreeBadParent, kTreeParentCount };
  explicit ScriptedDrafter(Fault fault) : fault_(fault) {}
  std::vector<Draft> propose(std::span<const DraftRequest> requests, const DraftContext& context) override {
    std::vector<Draft> drafts(requests.size());
    for (std::size_t i = 0; i < requests.size(); ++i) {
      drafts[i].tokens.assign(static_cast<std::size_t>(requests[i].max_tokens), 3);
      if (fault_ == Fault::kTooLong) drafts[i].tokens.push_back(3);
      if (fault_ == Fault::kBadRows) drafts[i].probs.assign(5, 0.2f);
      if (fault_ == Fault::kTreeTooDeep) {  // a chain one deeper than asked, as a tree
        drafts[i].tokens.push_back(3);
        for (std::size_t j = 0; j < drafts[i].tokens.size(); ++j) drafts[i].parents.push_back(static_cast<std::int32_t>(j) - 1);
      }
      if (fault_ == Fault::kTreeBadParent) drafts[i].parents.assign(drafts[i].tokens.size(), 1);
      if (fault_ == Fault::kTreeParentCount) drafts[i].parents.assign(1, -1);
      if (fault_ == Fault::kThrowAfterWriting) {
        const PoolMember& target = context.pool->target();
        std::vector<TokenId> tokens = feed_one(*context.state, target.kv, requests[i].sequence, requests[i].context);
        tokens.insert(tokens.end(), {4, 4, 4});
        run_tokens(target, *context.state, requests[i].sequence, tokens);
      }
    }
    if (fault_ == Fault::kThrowAfterWriting) throw CapacityError("scripted drafter gives up");
    return drafts;
  }

 private:
  Fault fault_;
};

TEST_F(StepExecutorTest, RefusesDraftsThatBreakTheContract) {
  const SequenceId a = pool_.state.create_sequence(make_tokens(5, 97, 1));
  const std::vector<SequencePlan> batch = {{a, plan_of({kTarget}, {}), nullptr}};
  StepExecutor too_long(*pool_.pool, pool_.state, token_verifier(),
                        std::make_shared<ScriptedDrafter>(ScriptedDrafter::Fault::kTooLong), {.drafter_length = 2});
  EXPECT_THAT(error_of<UsageError>([&] { too_long.step(batch); }), HasSubstr("3 tokens, more than the 2 asked for"));
  StepExecutor bad_rows(*pool_.pool, pool_.state, token_verifier(),
                        std::make_shared<ScriptedDrafter>(ScriptedDrafter::Fault::kBadRows), {.drafter_length = 2});
  EXPECT_THAT(error_of<UsageError>([&] { bad_rows.step(batch); }), HasSubstr("5 probabilities, not [2, 97]"));

  const std::shared_ptr<Verifier> tree = make_verifier("tree");
  StepExecutor too_deep(*pool_.pool, pool_.state, tree,
                        std::make_shared<ScriptedDrafter>(ScriptedDrafter::Fault::kTreeTooDeep), {.drafter_length = 2});
  EXPECT_THAT(error_of<UsageError>([&] { too_deep.step(batch); }), HasSubstr("a tree of depth 3, deeper than the 2"));
  StepExecutor bad_parent(*pool_.pool, pool_.state, tree,
                          std::make_shared<ScriptedDrafter>(ScriptedDrafter::Fault::kTreeBadParent), {.drafter_length = 2});
  EXPECT_THAT(error_of<UsageError>([&] { bad_parent.step(batch); }),
              HasSubstr("gives node 0 the parent 1; parents must be -1 or an earlier node"));
  StepExecutor parent_count(*pool_.pool, pool_.state, tree,
                            std::make_shared<ScriptedDrafter>(ScriptedDrafter::Fault::kTreeParentCount),
                            {.drafter_length = 2});
  EXPECT_THAT(error_of<UsageError>([&] { parent_count.step(batch); }), HasSubstr("has 1 parents for 2 tokens"));
  EXPECT_EQ(pool_.state.committed_length(a), 5) << "refused drafts commit nothing";
}

TEST_F(StepExecutorTest, AFailedStepCommitsNothingAndTheNextStepDropsItsLeftovers) {
  const std::vector<TokenId> prompt = make_tokens(6, 97, 3);
  const SequenceId a = pool_.state.create_sequence(prompt);
  const std::vector<SequencePlan> batch = {{a, plan_of({kSmall, kTarget}, {2}), nullptr}};
  StepExecutor failing(*pool_.pool, pool_.state, token_verifier(),
                       std::make_shared<ScriptedDrafter>(ScriptedDrafter::Fault::kThrowAfterWriting));
  EXPECT_THROW(failing.step(batch), CapacityError);
  EXPECT_EQ(pool_.state.committed_length(a), 6);
  EXPECT_FALSE(pool_.state.speculative_tokens(pool_.pool->target().kv, a).empty()) << "the failure left K/V behind";

  StepExecutor working(*pool_.pool, pool_.state, token_verifier());
  const StepResult result = working.step(batch);
  expect_views_are_committed_prefixes(pool_.state);
  GenerationOptions options;
  options.max_new_tokens = static_cast<std::int64_t>(result.sequences[0].committed.size());
  const std::vector<std::vector<TokenId>> prompts = {prompt};
  EXPECT_EQ(result.sequences[0].committed, generate(pool_.target(), prompts, options)[0].tokens);
}

// A verifier that accepts the second draft token without the first.
class SkippingVerifier final : public Verifier {
 public:
  Verdict verify(const VerifyRequest& request, std::mt19937_64&) override {
    Verdict verdict;
    if (request.draft_tokens.size() >= 2) verdict.accepted_path = {1};
    verdict.next_token = 0;
    return verdict;
  }
};

TEST_F(StepExecutorTest, RefusesAVerifierThatAcceptsANonPrefix) {
  const SequenceId a = pool_.state.create_sequence(make_tokens(5, 97, 1));
  StepExecutor executor(*pool_.pool, pool_.state, std::make_shared<SkippingVerifier>());
  EXPECT_THAT(error_of<UsageError>([&] { executor.step(std::vector<SequencePlan>{{a, plan_of({kSmall, kTarget}, {3}), nullptr}}); }),
              HasSubstr("must accept a prefix"));
  EXPECT_EQ(pool_.state.committed_length(a), 5);
}

// ---- tokens_to_feed ------------------------------------------------------------------

TEST_F(StepExecutorTest, TokensToFeedCatchesUpCutsAheadAndRerunsAFullView) {
  const PoolMember& small = pool_.pool->at(kSmall);
  const std::vector<TokenId> prompt = make_tokens(7, 97, 4);
  const SequenceId a = pool_.state.create_sequence(prompt);
  std::vector<TokenId> context = prompt;
  context.insert(context.end(), {10, 11});

  // Lagging (nothing held): everything.
  EXPECT_EQ(feed_one(pool_.state, small.kv, a, context), context);
  // Ahead of the context with a draft: cut back, and the last context token rerun.
  std::vector<TokenId> ahead = context;
  ahead.insert(ahead.end(), {12, 13});
  run_tokens(small, pool_.state, a, ahead);
  EXPECT_EQ(feed_one(pool_.state, small.kv, a, context), std::vector<TokenId>{11});
  EXPECT_EQ(pool_.state.kv_length(small.kv, a), 8);
  // Part way: the rest.
  pool_.state.rollback(small.kv, a, 4);
  EXPECT_EQ(feed_one(pool_.state, small.kv, a, context), std::vector<TokenId>(context.begin() + 4, context.end()));
  // A view that disagrees with the context is a caller's bug, caught in debug mode.
  run_tokens(small, pool_.state, a, std::vector<TokenId>{prompt[4], prompt[5], prompt[6], 10, 11});
  context.back() = 30;
  EXPECT_THAT(error_of<UsageError>([&] { feed_one(pool_.state, small.kv, a, context); }), HasSubstr("position 8"));
  EXPECT_THAT(error_of<UsageError>([&] { feed_one(pool_.state, small.kv, a, {}); }), HasSubstr("empty"));
}

// ---- Call records --------------------------------------------------------------------

TEST_F(StepExecutorTest, RecordsEveryForwardAndDrafterCall) {
  const SequenceId a = pool_.state.create_sequence(make_tokens(5, 97, 1));
  const SequenceId b = pool_.state.create_sequence(make_tokens(8, 97, 2));
  StepExecutor executor(*pool_.pool, pool_.state, token_verifier(), make_drafter("ngram"), {.drafter_length = 2});
  const std::vector<SequencePlan> batch = {{a, plan_of({kSmall, kMedium, kTarget}, {2, 3}), nullptr},
                                           {b, plan_of({kMedium, kTarget}, {2}), nullptr}};
  const StepResult result = executor.step(batch);
  expect_step_statistics_add_up(result, batch, true);
  int target_calls = 0, rounds = 0;
  for (const ModelCall& call : result.calls) {
    EXPECT_GE(call.sequences, 1);
    EXPECT_GE(call.tokens, call.sequences);
    EXPECT_GE(call.seconds, 0.0);
    if (call.pool_index == kTarget) {
      ++target_calls;
      EXPECT_EQ(call.sequences, 2) << "one target pass for the whole batch";
      EXPECT_EQ(call.tokens, 5 + 8 + result.sequences[0].levels[2].drafted + result.sequences[1].levels[1].drafted);
    }
  }
  EXPECT_EQ(target_calls, 1);
  EXPECT_EQ(result.calls.back().pool_index, kTarget);
  for (const SequenceStepResult& sequence : result.sequences) {
    for (std::size_t level = 0; level + 1 < sequence.levels.size(); ++level) rounds += sequence.levels[level].rounds;
  }
  // Every round below the target is one forward pass (shared by the sequences in it), and
  // every call of the drafter serves rounds of the chain's first model.
  int below_target = 0;
  for (const ModelCall& call : result.calls) below_target += call.pool_index != kTarget && call.pool_index != kDrafterCall;
  EXPECT_GE(below_target, 1);
  EXPECT_LE(below_target, rounds);

  // The next step's target pass attends to what the first left cached: with its catch-up
  // tokens, exactly the committed tokens.
  const std::int64_t committed = pool_.state.committed_length(a) + pool_.state.committed_length(b);
  const StepResult next = executor.step(batch);
  const ModelCall& target_call = next.calls.back();
  const std::int64_t drafted = next.sequences[0].levels[2].drafted + next.sequences[1].levels[1].drafted;
  EXPECT_GT(target_call.context_positions, 0);
  EXPECT_EQ(target_call.context_positions + target_call.tokens - drafted, committed);
}

// Forwards to a real drafter and records how many tokens each call asked for.
class RecordingDrafter final : public Drafter {
 public:
  explicit RecordingDrafter(std::shared_ptr<Drafter> inner) : inner_(std::move(inner)) {}
  std::vector<Draft> propose(std::span<const DraftRequest> requests, const DraftContext& context) override {
    for (const DraftRequest& request : requests) asked.push_back(request.max_tokens);
    return inner_->propose(requests, context);
  }
  std::vector<int> asked;

 private:
  std::shared_ptr<Drafter> inner_;
};

TEST_F(StepExecutorTest, APlanSetsOrLeavesOutTheBottomDraftersLength) {
  const std::vector<TokenId> prompt = make_tokens(12, 97, 4);
  const auto drafter = std::make_shared<RecordingDrafter>(make_drafter("ngram"));
  StepExecutor executor(*pool_.pool, pool_.state, token_verifier(), drafter, {.drafter_length = 2});
  const auto run = [&](int drafter_length) {
    const SequenceId sequence = pool_.state.create_sequence(prompt);
    Plan plan = plan_of({kTarget}, {});
    plan.drafter_length = drafter_length;
    drafter->asked.clear();
    const StepResult result = executor.step(std::vector<SequencePlan>{{sequence, plan, nullptr}});
    pool_.state.release(std::vector<SequenceId>{sequence});
    return result;
  };
  const StepResult left_out = run(0);
  EXPECT_TRUE(drafter->asked.empty());
  for (const ModelCall& call : left_out.calls) EXPECT_NE(call.pool_index, kDrafterCall);
  EXPECT_EQ(left_out.sequences[0].committed.size(), 1U) << "plain decoding commits one token";
  run(3);
  EXPECT_EQ(drafter->asked, std::vector<int>{3});
  run(kExecutorDrafterLength);
  EXPECT_EQ(drafter->asked, std::vector<int>{2}) << "the executor's drafter_length";
  Plan invalid = plan_of({kTarget}, {});
  invalid.drafter_length = -2;
  const SequenceId sequence = pool_.state.create_sequence(prompt);
  EXPECT_THROW(executor.step(std::vector<SequencePlan>{{sequence, invalid, nullptr}}), UsageError);
}

// ---- Sampling ------------------------------------------------------------------------

TEST_F(StepExecutorTest, SampledPlainDecodingReproducesGenerate) {
  const SamplingParams sampling{.temperature = 0.9, .top_k = 50, .top_p = 0.95};
  const std::vector<std::vector<TokenId>> prompts = {make_tokens(4, 97, 5), make_tokens(9, 97, 6)};
  GenerationOptions plain;
  plain.max_new_tokens = 20;
  plain.sampling = sampling;
  plain.seed = 42;
  const auto reference = generate(pool_.target(), prompts, plain);
  StepExecutor executor(*pool_.pool, pool_.state, token_verifier(), nullptr, {.sampling = sampling});
  SpeculativeGenerationOptions options;
  options.max_new_tokens = 20;
  options.seed = 42;
  const auto results = speculative_generate(executor, prompts, plan_of({kTarget}, {}), options);
  for (std::size_t i = 0; i < prompts.size(); ++i) EXPECT_EQ(results[i].tokens, reference[i].tokens) << "prompt " << i;
}

TEST_F(StepExecutorTest, SampledSpeculationIsDeterministicAndBatchIndependent) {
  const std::vector<std::vector<TokenId>> prompts = {make_tokens(4, 97, 5), make_tokens(9, 97, 6), make_tokens(2, 97, 7)};
  StepExecutor executor(*pool_.pool, pool_.state, token_verifier(), make_drafter("model", {{"model", std::string("m0")}}),
                        {.sampling = {.temperature = 1.0}, .drafter_length = 2});
  SpeculativeGenerationOptions options;
  options.max_new_tokens = 24;
  options.seed = 9;
  options.on_step = [&](const StepOutcome&) { expect_views_are_committed_prefixes(pool_.state); };
  const Plan plan = plan_of({kMedium, kTarget}, {3});
  const auto first = speculative_generate(executor, prompts, plan, options);
  const auto again = speculative_generate(executor, prompts, plan, options);
  const auto alone = speculative_generate(executor, std::span(prompts).first(1), plan, options);
  for (std::size_t i = 0; i < prompts.size(); ++i) {
    EXPECT_EQ(first[i].tokens.size(), 24u);
    EXPECT_EQ(first[i].tokens, again[i].tokens) << "prompt " << i;
  }
  EXPECT_EQ(alone[0].tokens, first[0].tokens);
  options.seed = 10;
  EXPECT_NE(speculative_generate(executor, prompts, plan, options)[0].tokens, first[0].tokens);
}

TEST_F(StepExecutorTest, TheModelDrafterBelowAChainIsThatChainsMissingBottomLevel) {
  // Level 0 of [S, M, T] drafts with S one sampled token per round, drawing one number per
  // token from the sequence's rng; so does the model drafter running S below [M, T]. With
  // the same seeds the two plans commit the same tokens.
  const std::vector<std::vector<TokenId>> prompts = {make_tokens(4, 97, 5), make_tokens(9, 97, 6)};
  SpeculativeGenerationOptions options;
  options.max_new_tokens = 20;
  options.seed = 3;
  for (const SamplingParams& sampling : {SamplingParams{.temperature = 0.0}, SamplingParams{.temperature = 1.0}}) {
    StepExecutor chain(*pool_.pool, pool_.state, token_verifier(), nullptr, {.sampling = sampling});
    StepExecutor drafter(*pool_.pool, pool_.state, token_verifier(), make_drafter("model", {{"model", std::string("m0")}}),
                         {.sampling = sampling, .drafter_length = 2});
    const auto by_chain = speculative_generate(chain, prompts, plan_of({kSmall, kMedium, kTarget}, {2, 4}), options);
    const auto by_drafter = speculative_generate(drafter, prompts, plan_of({kMedium, kTarget}, {4}), options);
    for (std::size_t i = 0; i < prompts.size(); ++i) {
      EXPECT_EQ(by_chain[i].tokens, by_drafter[i].tokens) << "temperature " << sampling.temperature << ", prompt " << i;
    }
  }
}

// A model whose logits are NaN stops the decoding loop with an error naming the model
// and the step, instead of committing token 0 forever.
TEST(StepExecutorNumerics, NanLogitsStopTheLoopNamingModelAndStep) {
  c10::InferenceMode guard;
  const ModelConfig config = variant_config("llama");
  auto small = TransformerModel::create(config, random_weights(config, 7), {});
  TensorMapWeights broken = random_weights(config, 7);
  broken.tensors().at("model.norm.weight").fill_(std::numeric_limits<float>::quiet_NaN());
  auto target = TransformerModel::create(config, broken, {});
  StateManager state;
  const KvModelId small_kv = small->add_kv_cache(state, "small", KvBudget::blocks(64), 4);
  const KvModelId target_kv = target->add_kv_cache(state, "target", KvBudget::blocks(64), 4);
  StepExecutor executor(ModelPool({{"small", small.get(), small_kv}, {"target", target.get(), target_kv}}), state,
                        token_verifier());
  const std::vector<std::vector<TokenId>> prompts = {{1, 2, 3}};
  try {
    speculative_generate(executor, prompts, plan_of({0, 1}, {3}), {});
    FAIL() << "decoded from NaN logits";
  } catch (const NumericalError& e) {
    EXPECT_THAT(e.what(), HasSubstr("step 0: model 'target' produced NaN or infinite logits"));
  }
}

}  // namespace
}  // namespace specrouter::testing
