// config.json parsing: defaults as transformers fills them, both rope spellings, and
// refusals that name the field and the value.
#include <gtest/gtest.h>

#include <gmock/gmock.h>

#include "model_test_util.h"
#include "specrouter/error.h"
#include "specrouter/model/model_config.h"

namespace specrouter::testing {
namespace {

using ::testing::HasSubstr;

std::string error_of(const std::string& json) {
  try {
    parse_model_config(json, "cfg/config.json");
  } catch (const CheckpointError& e) {
    return e.what();
  }
  return "(no error)";
}

constexpr const char* kLlama = R"({
  "architectures": ["LlamaForCausalLM"], "model_type": "llama",
  "vocab_size": 128, "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2,
  "num_attention_heads": 4, "num_key_value_heads": 2, "max_position_embeddings": 256,
  "rms_norm_eps": 1e-05, "hidden_act": "silu", "tie_word_embeddings": false,
  "rope_theta": 500000.0, "bos_token_id": 1, "eos_token_id": [2, 3]
})";

TEST(ModelConfig, ParsesLlamaAndDerivesHeadDim) {
  const ModelConfig config = parse_model_config(kLlama, "x");
  EXPECT_EQ(config.architecture, Architecture::kLlama);
  EXPECT_EQ(config.head_dim, 16);
  EXPECT_EQ(config.query_groups(), 2);
  EXPECT_DOUBLE_EQ(config.rope_theta, 500000.0);
  EXPECT_FALSE(config.rope_scaling.has_value());
  EXPECT_EQ(config.eos_token_ids, (std::vector<TokenId>{2, 3}));
  EXPECT_EQ(config.bos_token_id, 1);
  EXPECT_FALSE(config.has_sliding_window());
}

TEST(ModelConfig, ReadsLlama3ScalingInBothSpellings) {
  const std::string v4 = R"({"architectures": ["LlamaForCausalLM"], "hidden_size": 64, "num_attention_heads": 4,
    "num_hidden_layers": 1, "max_position_embeddings": 1024, "rope_theta": 500000.0,
    "rope_scaling": {"type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                     "original_max_position_embeddings": 128}})";
  const std::string v5 = R"({"model_type": "llama", "hidden_size": 64, "num_attention_heads": 4,
    "num_hidden_layers": 1, "max_position_embeddings": 1024,
    "rope_parameters": {"rope_type": "llama3", "rope_theta": 500000.0, "factor": 8.0, "low_freq_factor": 1.0,
                        "high_freq_factor": 4.0, "original_max_position_embeddings": 128}})";
  for (const std::string& text : {v4, v5}) {
    const ModelConfig config = parse_model_config(text, "x");
    ASSERT_TRUE(config.rope_scaling.has_value());
    EXPECT_DOUBLE_EQ(config.rope_theta, 500000.0);
    EXPECT_DOUBLE_EQ(config.rope_scaling->factor, 8.0);
    EXPECT_EQ(config.rope_scaling->original_max_position_embeddings, 128);
  }
}

TEST(ModelConfig, AppliesFamilyDefaults) {
  // MistralConfig's sliding_window defaults to 4096; an explicit null turns it off.
  const ModelConfig mistral = parse_model_config(
      R"({"model_type": "mistral", "hidden_size": 64, "num_attention_heads": 16, "num_hidden_layers": 2})", "x");
  EXPECT_EQ(mistral.num_key_value_heads, 8);
  ASSERT_TRUE(mistral.layer_windows[0].has_value());
  EXPECT_EQ(*mistral.layer_windows[0], 4096);
  EXPECT_EQ(mistral.vocab_size, 32000);
  EXPECT_FALSE(parse_model_config(R"({"model_type": "mistral", "hidden_size": 64, "num_attention_heads": 4,
      "num_key_value_heads": 4, "num_hidden_layers": 2, "sliding_window": null})", "x").has_sliding_window());

  // Qwen3: head_dim defaults to 128, qk-norm always on; Qwen2: q/k/v biases always on.
  const ModelConfig qwen3 = parse_model_config(
      R"({"model_type": "qwen3", "hidden_size": 64, "num_attention_heads": 4, "num_key_value_heads": 2, "num_hidden_layers": 1})", "x");
  EXPECT_EQ(qwen3.head_dim, 128);
  EXPECT_TRUE(qwen3.qk_norm);
  EXPECT_FALSE(qwen3.qkv_bias);
  const ModelConfig qwen2 = parse_model_config(
      R"({"model_type": "qwen2", "hidden_size": 64, "num_attention_heads": 4, "num_key_value_heads": 2, "num_hidden_layers": 1})", "x");
  EXPECT_TRUE(qwen2.qkv_bias);
  EXPECT_FALSE(qwen2.o_bias);
  EXPECT_FALSE(qwen2.has_sliding_window());
}

TEST(ModelConfig, QwenSlidingWindowFollowsMaxWindowLayers) {
  const ModelConfig config = parse_model_config(
      R"({"model_type": "qwen2", "hidden_size": 64, "num_attention_heads": 4, "num_key_value_heads": 2, "num_hidden_layers": 3,
          "use_sliding_window": true, "sliding_window": 16, "max_window_layers": 1})", "x");
  EXPECT_FALSE(config.layer_windows[0].has_value());
  EXPECT_EQ(config.layer_windows[1], 16);
  EXPECT_EQ(config.layer_windows[2], 16);
}

TEST(ModelConfig, RoundTripsThroughJson) {
  for (const Variant& variant : all_variants()) {
    const ModelConfig back = parse_model_config(model_config_to_json(variant.config), variant.name);
    EXPECT_EQ(back.architecture, variant.config.architecture) << variant.name;
    EXPECT_EQ(back.head_dim, variant.config.head_dim) << variant.name;
    EXPECT_EQ(back.layer_windows, variant.config.layer_windows) << variant.name;
    EXPECT_EQ(back.qkv_bias, variant.config.qkv_bias) << variant.name;
    EXPECT_EQ(back.o_bias, variant.config.o_bias) << variant.name;
    EXPECT_EQ(back.mlp_bias, variant.config.mlp_bias) << variant.name;
    EXPECT_EQ(back.tie_word_embeddings, variant.config.tie_word_embeddings) << variant.name;
    EXPECT_EQ(back.rope_scaling.has_value(), variant.config.rope_scaling.has_value()) << variant.name;
    EXPECT_EQ(back.parameter_count(), variant.config.parameter_count()) << variant.name;
  }
}

TEST(ModelConfig, RefusesUnknownArchitectureNamingIt) {
  EXPECT_THAT(error_of(R"({"architectures": ["GPT2LMHeadModel"], "model_type": "gpt2"})"),
              HasSubstr("cfg/config.json: `architectures` entry \"GPT2LMHeadModel\" is not supported"));
  EXPECT_THAT(error_of(R"({"model_type": "phi3"})"), HasSubstr("`model_type` \"phi3\" is not supported"));
  EXPECT_THAT(error_of(R"({"architectures": ["LlamaForCausalLM"], "model_type": "qwen2"})"),
              HasSubstr("`architectures` says LlamaForCausalLM but `model_type` says \"qwen2\""));
  EXPECT_THAT(error_of(R"({"hidden_size": 4})"), HasSubstr("neither `architectures` nor `model_type`"));
}

TEST(ModelConfig, RefusesUnsupportedOptionsNamingFieldAndValue) {
  const std::string head = R"({"model_type": "llama", "hidden_size": 64, "num_attention_heads": 4, "num_hidden_layers": 1, )";
  EXPECT_THAT(error_of(head + R"("hidden_act": "gelu"})"), HasSubstr("`hidden_act` \"gelu\" is not supported"));
  EXPECT_THAT(error_of(head + R"("rope_scaling": {"type": "yarn", "factor": 4.0}})"),
              HasSubstr("`rope_scaling.type` \"yarn\" is not supported"));
  EXPECT_THAT(error_of(head + R"("rope_parameters": {"rope_type": "dynamic", "factor": 2.0}})"),
              HasSubstr("`rope_parameters.rope_type` \"dynamic\" is not supported"));
  EXPECT_THAT(error_of(head + R"("rope_parameters": {"rope_type": "llama3", "factor": 8.0}})"),
              HasSubstr("`rope_parameters.low_freq_factor` is required"));
  EXPECT_THAT(error_of(head + R"("partial_rotary_factor": 0.5})"), HasSubstr("`partial_rotary_factor` = 0.5"));
  EXPECT_THAT(error_of(head + R"("quantization_config": {"quant_method": "gptq"}})"),
              HasSubstr("`quantization_config` is set"));
  EXPECT_THAT(error_of(head + R"("num_key_value_heads": 3})"),
              HasSubstr("`num_key_value_heads` = 3 must divide num_attention_heads = 4"));
  EXPECT_THAT(error_of(head + R"("vocab_size": "big"})"), HasSubstr("`vocab_size` must be an integer, got \"big\""));
  EXPECT_THAT(error_of(R"({"model_type": "qwen2", "hidden_size": 64, "num_attention_heads": 4, "num_key_value_heads": 2, "num_hidden_layers": 1,
                          "layer_types": ["chunked_attention"]})"),
              HasSubstr("`layer_types` entry 0 \"chunked_attention\" is not supported"));
  EXPECT_THAT(error_of("{not json"), HasSubstr("cfg/config.json: not valid JSON"));
}

}  // namespace
}  // namespace specrouter::testing
