#include "model_test_util.h"

#include <random>
#include <stdexcept>

#include <ATen/TensorOperators.h>
#include <ATen/ops/abs.h>
#include <ATen/ops/max.h>

namespace specrouter::testing {
namespace {

ModelConfig base_config(Architecture architecture) {
  ModelConfig config;
  config.architecture = architecture;
  config.vocab_size = 97;
  config.hidden_size = 64;
  config.intermediate_size = 96;
  config.num_hidden_layers = 2;
  config.num_attention_heads = 4;
  config.num_key_value_heads = 2;
  config.head_dim = 16;
  config.max_position_embeddings = 96;
  config.rms_norm_eps = 1e-5;
  config.rope_theta = 10000.0;
  config.layer_windows.assign(2, std::nullopt);
  config.bos_token_id = 1;
  config.eos_token_ids = {2};
  return config;
}

}  // namespace

std::vector<Variant> all_variants() {
  std::vector<Variant> variants;
  variants.push_back({"llama", base_config(Architecture::kLlama)});

  ModelConfig llama3 = base_config(Architecture::kLlama);
  // head_dim 16, theta 1e4: wavelengths 6.3, 20, 63, ... against 32/4 = 8 and 32/1 = 32,
  // so the kept, smoothed and scaled branches all occur.
  llama3.rope_scaling = Llama3RopeScaling{8.0, 1.0, 4.0, 32};
  variants.push_back({"llama3_rope", llama3});

  ModelConfig biased = base_config(Architecture::kLlama);
  biased.qkv_bias = biased.o_bias = biased.mlp_bias = true;
  biased.num_key_value_heads = 4;  // plain multi-head attention
  variants.push_back({"llama_bias_mha", biased});

  ModelConfig mistral = base_config(Architecture::kMistral);
  mistral.layer_windows.assign(2, 5);
  variants.push_back({"mistral_window", mistral});

  ModelConfig qwen2 = base_config(Architecture::kQwen2);
  qwen2.qkv_bias = true;
  variants.push_back({"qwen2_bias", qwen2});

  ModelConfig qwen2_sliding = qwen2;
  qwen2_sliding.layer_windows = {std::nullopt, 4};  // only the second layer slides
  variants.push_back({"qwen2_sliding_layer", qwen2_sliding});

  ModelConfig qwen3 = base_config(Architecture::kQwen3);
  qwen3.hidden_size = 48;  // head_dim 16 != 48 / 4
  qwen3.num_key_value_heads = 1;
  qwen3.qk_norm = true;
  variants.push_back({"qwen3_qknorm", qwen3});

  ModelConfig tied = base_config(Architecture::kQwen2);
  tied.qkv_bias = true;
  tied.tie_word_embeddings = true;
  variants.push_back({"qwen2_tied", tied});
  return variants;
}

ModelConfig variant_config(const std::string& name) {
  for (const Variant& variant : all_variants()) {
    if (variant.name == name) return variant.config;
  }
  throw std::invalid_argument("no variant " + name);
}

std::unique_ptr<TransformerModel> random_model(const ModelConfig& config, c10::ScalarType dtype,
                                               std::uint64_t seed) {
  ModelOptions options;
  options.dtype = dtype;
  return TransformerModel::create(config, random_weights(config, seed), options);
}

std::vector<TokenId> make_tokens(std::int64_t count, std::int64_t vocab, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<TokenId> tokens;
  for (std::int64_t i = 0; i < count; ++i) tokens.push_back(static_cast<TokenId>(rng() % static_cast<std::uint64_t>(vocab)));
  return tokens;
}

SequenceInput chain_input(SequenceId sequence, const std::vector<TokenId>& tokens, LogitsWanted logits) {
  SequenceInput input;
  input.sequence = sequence;
  input.tokens = tokens;
  input.logits = logits;
  return input;
}

at::Tensor full_forward_logits(Model& model, const std::vector<TokenId>& tokens) {
  auto cache = model.make_kv_cache();
  cache->add_sequence(0);
  const SequenceInput input = chain_input(0, tokens);
  return model.forward({&input, 1}, *cache).logits;
}

double max_abs_diff(const at::Tensor& a, const at::Tensor& b) {
  return (a.to(at::kDouble) - b.to(at::kDouble)).abs().max().item<double>();
}

double tolerance_for(c10::ScalarType dtype) { return dtype == at::kDouble ? 1e-9 : 1e-4; }

}  // namespace specrouter::testing
