// Plain generation: greedy equals step-by-step argmax over full passes, sampling is
// deterministic per seed and independent of the batch, stops at EOS / max tokens /
// context, and prompts longer than the context are refused; NaN weights and logits are
// errors.
#include <gtest/gtest.h>

#include <gmock/gmock.h>

#include <limits>

#include <ATen/ops/argmax.h>
#include <c10/core/InferenceMode.h>

#include "model_test_util.h"
#include "specrouter/error.h"
#include "specrouter/model/checkpoint_weights.h"
#include "specrouter/model/generate.h"
#include "specrouter/model/load_model.h"
#include "specrouter/model/weights.h"

namespace specrouter::testing {
namespace {

TEST(Generate, GreedyEqualsArgmaxOfFullPasses) {
  c10::InferenceMode guard;
  const ModelConfig config = variant_config("mistral_window");
  auto model = random_model(config, at::kDouble);
  const std::vector<std::vector<TokenId>> prompts = {make_tokens(4, config.vocab_size, 1),
                                                     make_tokens(9, config.vocab_size, 2)};
  GenerationOptions options;
  options.max_new_tokens = 8;
  const std::vector<GenerationResult> results = generate(*model, prompts, options);
  ASSERT_EQ(results.size(), 2u);
  for (std::size_t i = 0; i < prompts.size(); ++i) {
    std::vector<TokenId> sequence = prompts[i];
    for (int step = 0; step < 8; ++step) {
      const at::Tensor logits = full_forward_logits(*model, sequence);
      sequence.push_back(static_cast<TokenId>(at::argmax(logits[logits.size(0) - 1]).item<std::int64_t>()));
    }
    EXPECT_EQ(results[i].tokens, std::vector<TokenId>(sequence.begin() + static_cast<long>(prompts[i].size()), sequence.end()));
    EXPECT_EQ(results[i].finish_reason, FinishReason::kMaxTokens);
  }
}

TEST(Generate, SamplingIsDeterministicPerSeedAndBatchIndependent) {
  c10::InferenceMode guard;
  const ModelConfig config = variant_config("qwen2_bias");
  auto model = random_model(config, at::kFloat);
  const std::vector<std::vector<TokenId>> prompts = {make_tokens(3, config.vocab_size, 1),
                                                     make_tokens(6, config.vocab_size, 2)};
  GenerationOptions options;
  options.max_new_tokens = 12;
  options.sampling = {.temperature = 1.3, .top_k = 40, .top_p = 0.95};
  options.seed = 77;
  const auto first = generate(*model, prompts, options);
  const auto again = generate(*model, prompts, options);
  EXPECT_EQ(first[0].tokens, again[0].tokens);
  EXPECT_EQ(first[1].tokens, again[1].tokens);
  // Prompt 0 alone gets the same stream as in the batch.
  const auto alone = generate(*model, std::span(prompts).first(1), options);
  EXPECT_EQ(alone[0].tokens, first[0].tokens);
  options.seed = 78;
  const auto other = generate(*model, prompts, options);
  EXPECT_NE(other[0].tokens, first[0].tokens);
}

TEST(Generate, StopsAtEosAndAtTheContext) {
  c10::InferenceMode guard;
  const ModelConfig config = variant_config("llama");
  auto model = random_model(config, at::kFloat);
  const std::vector<std::vector<TokenId>> prompts = {make_tokens(5, config.vocab_size, 3)};
  GenerationOptions options;
  options.max_new_tokens = 6;
  const auto plain = generate(*model, prompts, options);
  ASSERT_EQ(plain[0].tokens.size(), 6u);
  options.eos_token_ids = {plain[0].tokens[2]};
  const auto stopped = generate(*model, prompts, options);
  EXPECT_EQ(stopped[0].finish_reason, FinishReason::kEos);
  EXPECT_LE(stopped[0].tokens.size(), 3u);
  EXPECT_EQ(stopped[0].tokens.back(), plain[0].tokens[2]);

  // A prompt that fills the context leaves room for exactly one new token.
  const std::vector<std::vector<TokenId>> full = {make_tokens(config.max_position_embeddings, config.vocab_size, 4)};
  options.eos_token_ids.clear();
  const auto at_limit = generate(*model, full, options);
  EXPECT_EQ(at_limit[0].tokens.size(), 1u);
  EXPECT_EQ(at_limit[0].finish_reason, FinishReason::kContext);
}

TEST(Generate, RefusesPromptsLongerThanTheContext) {
  c10::InferenceMode guard;
  const ModelConfig config = variant_config("llama");
  auto model = random_model(config, at::kFloat);
  const std::vector<std::vector<TokenId>> prompts = {{1, 2}, make_tokens(config.max_position_embeddings + 1, config.vocab_size, 5)};
  try {
    generate(*model, prompts, {});
    FAIL() << "no error";
  } catch (const CapacityError& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("prompt 1 has 97 tokens, more than the model's context of 96"));
  }
  const std::vector<std::vector<TokenId>> empty = {{}};
  EXPECT_THROW(generate(*model, empty, {}), UsageError);
}

// A NaN weight: refused when its checkpoint is loaded (naming the file and the tensor),
// and, in a model built in memory, stopped at the first forward pass instead of decoding
// token 0 forever.
TEST(Generate, NanWeightsAreRefusedAtLoadAndNanLogitsStopDecoding) {
  c10::InferenceMode guard;
  const ModelConfig config = variant_config("llama");
  TensorMapWeights weights = random_weights(config, 1234);
  weights.tensors().at("model.norm.weight").fill_(std::numeric_limits<float>::quiet_NaN());
  const std::filesystem::path dir = scratch_dir("nan_norm");
  write_model_checkpoint(dir, config, weights);
  try {
    load_model(dir);
    FAIL() << "a checkpoint with NaN weights loaded";
  } catch (const NumericalError& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("model.safetensors: tensor model.norm.weight holds NaN"));
    EXPECT_THAT(e.what(), ::testing::HasSubstr(dir.string()));
  }

  auto model = TransformerModel::create(config, weights, {});
  const std::vector<std::vector<TokenId>> prompts = {{1, 2, 3}};
  try {
    generate(*model, prompts, {});
    FAIL() << "decoded from NaN logits";
  } catch (const NumericalError& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("produced NaN or infinite logits"));
  }
}

}  // namespace
}  // namespace specrouter::testing
