// Real models through the state manager: a draft/target chain sharing one StateManager,
// every sequence of a ragged batch accepting a different number of drafted tokens, must
// continue exactly as a fresh run over the committed tokens alone; running out of KV
// blocks must leave every other sequence intact; paged K/V in any block size must give
// the logits of contiguous K/V (float64, 1e-9).
#include <gtest/gtest.h>

#include <c10/core/InferenceMode.h>

#include "model_test_util.h"
#include "specrouter/error.h"

namespace specrouter::testing {
namespace {

using Tokens = std::vector<TokenId>;

// Two models of one vocabulary as a chain: a draft and a target, each with a pool in
// one manager (different shapes and block sizes).
class ChainState : public ::testing::Test {
 protected:
  void SetUp() override {
    draft_ = loaded_model("qwen3_qknorm", at::kDouble);
    target_ = loaded_model("llama3_rope", at::kDouble, cpu_plugin_attention("cpu"));
    draft_kv_ = draft_->add_kv_cache(state_, "draft", KvBudget::blocks(128), /*block_size=*/3);
    target_kv_ = target_->add_kv_cache(state_, "target", KvBudget::blocks(128), /*block_size=*/4);
  }

  // Feeds every model its catch-up tokens plus `extra` (speculative) for each sequence,
  // in one ragged batch per model; returns the logits of every fed token, per model.
  std::vector<ForwardOutput> step(const std::vector<SequenceId>& sequences, const std::vector<Tokens>& extra) {
    std::vector<ForwardOutput> outputs;
    for (auto [model, kv] : {std::pair<Model*, KvModelId>{draft_.get(), draft_kv_}, {target_.get(), target_kv_}}) {
      std::vector<Tokens> fed(sequences.size());
      std::vector<SequenceInput> batch;
      for (std::size_t i = 0; i < sequences.size(); ++i) {
        const std::span<const TokenId> catch_up = state_.catch_up_tokens(kv, sequences[i]);
        fed[i].assign(catch_up.begin(), catch_up.end());
        fed[i].insert(fed[i].end(), extra[i].begin(), extra[i].end());
        batch.push_back(chain_input(sequences[i], fed[i], LogitsWanted::kAll));
      }
      outputs.push_back(model->forward(batch, state_, kv));
    }
    return outputs;
  }

  // The next-token logits of each sequence in each model after feeding its catch-up
  // tokens, against a fresh run over the committed tokens alone.
  void expect_next_step_matches_fresh_run(const std::vector<SequenceId>& sequences) {
    const std::vector<ForwardOutput> outputs = step(sequences, std::vector<Tokens>(sequences.size()));
    Model* models[] = {draft_.get(), target_.get()};
    for (std::size_t m = 0; m < 2; ++m) {
      for (std::size_t i = 0; i < sequences.size(); ++i) {
        const std::span<const TokenId> committed = state_.committed_tokens(sequences[i]);
        const Tokens tokens(committed.begin(), committed.end());
        const at::Tensor fresh = full_forward_logits(*models[m], tokens);
        const at::Tensor last = outputs[m].logits[outputs[m].row_offsets[i + 1] - 1];
        EXPECT_LT(max_abs_diff(last, fresh[fresh.size(0) - 1]), 1e-9) << "model " << m << " sequence " << i;
      }
    }
    state_.check_consistency();
  }

  c10::InferenceMode inference_;
  std::unique_ptr<TransformerModel> draft_;
  std::unique_ptr<TransformerModel> target_;
  StateManager state_{StateManagerOptions{.debug_checks = true}};
  KvModelId draft_kv_ = 0;
  KvModelId target_kv_ = 0;
};

TEST_F(ChainState, CommitOfARaggedBatchContinuesLikeAFreshRun) {
  // Three requests draft 6 tokens each; the verifier accepts 0, 3 and all 6, then adds a
  // recovered (or bonus) token that differs from the next drafted one.
  const std::vector<Tokens> prompts = {make_tokens(5, 97, 1), make_tokens(13, 97, 2), make_tokens(2, 97, 3)};
  std::vector<SequenceId> sequences;
  for (const Tokens& prompt : prompts) sequences.push_back(state_.create_sequence(prompt));
  const std::vector<Tokens> drafts = {make_tokens(6, 97, 4), make_tokens(6, 97, 5), make_tokens(6, 97, 6)};
  step(sequences, drafts);  // both models hold prompt + draft

  const std::vector<std::size_t> accepted = {0, 3, 6};
  std::vector<Tokens> commits(3);
  std::vector<SequenceTokens> batch;
  for (std::size_t i = 0; i < 3; ++i) {
    commits[i].assign(drafts[i].begin(), drafts[i].begin() + static_cast<long>(accepted[i]));
    const TokenId recovered = accepted[i] < 6 ? (drafts[i][accepted[i]] + 1) % 97 : 42;
    commits[i].push_back(recovered);
    batch.push_back({sequences[i], commits[i], {}});
  }
  state_.commit(batch);
  for (std::size_t i = 0; i < 3; ++i) {
    // Each model kept exactly the accepted draft tokens and lags by the recovered one.
    const auto kept = static_cast<std::int64_t>(prompts[i].size() + accepted[i]);
    EXPECT_EQ(state_.kv_length(draft_kv_, sequences[i]), kept);
    EXPECT_EQ(state_.kv_length(target_kv_, sequences[i]), kept);
  }
  expect_next_step_matches_fresh_run(sequences);
}

TEST_F(ChainState, RaggedRollbackOfEveryModelInOneCallContinuesLikeAFreshRun) {
  const std::vector<Tokens> prompts = {make_tokens(9, 97, 11), make_tokens(4, 97, 12), make_tokens(7, 97, 13),
                                       make_tokens(12, 97, 14)};
  std::vector<SequenceId> sequences;
  for (const Tokens& prompt : prompts) sequences.push_back(state_.create_sequence(prompt));
  step(sequences, std::vector<Tokens>(4));  // prefill
  // Speculative tokens of different lengths, cut back each to its own length: below the
  // committed length for one (the model then catches up), exactly to it, and between.
  const std::vector<Tokens> drafts = {make_tokens(5, 97, 15), make_tokens(8, 97, 16), make_tokens(1, 97, 17),
                                      make_tokens(3, 97, 18)};
  step(sequences, drafts);
  const std::vector<SequenceLength> targets = {
      {sequences[0], 9 + 2}, {sequences[1], 4}, {sequences[2], 3}, {sequences[3], 12 + 3}};
  const KvModelId both[] = {draft_kv_, target_kv_};
  state_.rollback(both, targets);
  // What was kept of the drafts becomes committed (the commit agrees with the kept tokens).
  std::vector<Tokens> commits = {{drafts[0][0], drafts[0][1]}, {}, {}, drafts[3]};
  std::vector<SequenceTokens> batch;
  for (std::size_t i = 0; i < 4; ++i) {
    commits[i].push_back(50);  // the next committed token
    batch.push_back({sequences[i], commits[i], {}});
  }
  state_.commit(batch);
  EXPECT_EQ(state_.kv_length(target_kv_, sequences[2]), 3);  // lags: catches up 4 tokens
  EXPECT_EQ(state_.catch_up_tokens(target_kv_, sequences[2]).size(), 5u);
  expect_next_step_matches_fresh_run(sequences);
}

TEST(ModelState, RunningOutOfBlocksLeavesOtherSequencesIntact) {
  c10::InferenceMode guard;
  auto model = loaded_model("mistral_window", at::kDouble);
  ModelKv kv(*model, /*block_size=*/4, /*blocks=*/8);
  const Tokens a_tokens = make_tokens(10, 97, 21);
  const Tokens b_tokens = make_tokens(9, 97, 22);
  const SequenceId a = kv.add(a_tokens);
  const SequenceId b = kv.add(b_tokens);
  kv.forward(*model, std::vector<SequenceInput>{chain_input(a, a_tokens), chain_input(b, b_tokens)});  // 6 blocks
  const Tokens c_tokens = make_tokens(12, 97, 23);
  const SequenceId c = kv.add(c_tokens);
  const Tokens one = {7};
  // The batch needs 3 blocks for c and none for a (its last block has room): 2 are free.
  std::vector<SequenceInput> batch = {chain_input(a, one, LogitsWanted::kLast),
                                      chain_input(c, c_tokens, LogitsWanted::kLast)};
  try {
    kv.forward(*model, batch);
    FAIL() << "expected OutOfKvMemory";
  } catch (const OutOfKvMemory& e) {
    EXPECT_NE(std::string(e.what()).find("model"), std::string::npos) << e.what();
  }
  EXPECT_EQ(kv.state.kv_length(kv.kv, a), 10);
  EXPECT_EQ(kv.state.kv_length(kv.kv, b), 9);
  EXPECT_EQ(kv.state.kv_length(kv.kv, c), 0);
  // Releasing a finished sequence makes room; everyone continues as a fresh run would.
  kv.state.release(b);
  const at::Tensor next_a = kv.forward(*model, batch).logits;
  Tokens a_whole = a_tokens;
  a_whole.push_back(7);
  EXPECT_LT(max_abs_diff(next_a[0], full_forward_logits(*model, a_whole)[10]), 1e-9);
  EXPECT_LT(max_abs_diff(next_a[1], full_forward_logits(*model, c_tokens)[11]), 1e-9);
}

TEST(ModelState, PagedKvGivesTheLogitsOfContiguousKv) {
  // float64, every block size from one position to more than the sequence, against the
  // whole sequence in one block, decoding token by token after a prompt.
  c10::InferenceMode guard;
  for (const std::string& attention : {"reference", "cpu"}) {
    auto model = loaded_model("qwen2_sliding_layer", at::kDouble, cpu_plugin_attention(attention));
    const Tokens tokens = make_tokens(40, 97, 31);
    const at::Tensor contiguous = full_forward_logits(*model, tokens);
    for (std::int64_t block_size : {1, 3, 16, 64}) {
      SCOPED_TRACE(attention + ", block size " + std::to_string(block_size));
      ModelKv kv(*model, block_size, /*blocks=*/64);
      const SequenceId sequence = kv.add(tokens);
      const Tokens prompt(tokens.begin(), tokens.begin() + 17);
      double worst = max_abs_diff(
          kv.forward(*model, chain_input(sequence, prompt, LogitsWanted::kLast)).logits[0], contiguous[16]);
      for (std::size_t i = 17; i < tokens.size(); ++i) {
        const Tokens one = {tokens[i]};
        const at::Tensor logits = kv.forward(*model, chain_input(sequence, one)).logits;
        worst = std::max(worst, max_abs_diff(logits[0], contiguous[static_cast<std::int64_t>(i)]));
      }
      EXPECT_LT(worst, 1e-9);
    }
  }
}

}  // namespace
}  // namespace specrouter::testing
