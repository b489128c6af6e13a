// Loading models from checkpoint folders: same numbers as the in-memory weights,
// zero-copy where the dtype allows, and errors naming the folder, file and tensor.
#include <gtest/gtest.h>

#include <gmock/gmock.h>

#include <fstream>

#include <ATen/TensorOperators.h>
#include <ATen/ops/zeros.h>
#include <c10/core/InferenceMode.h>

#include "model_test_util.h"
#include "specrouter/error.h"
#include "specrouter/model/checkpoint_weights.h"
#include "specrouter/model/load_model.h"

namespace specrouter::testing {
namespace {

using ::testing::HasSubstr;

std::string load_error(const std::filesystem::path& dir) {
  try {
    load_model(dir);
  } catch (const CheckpointError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(CheckpointLoading, LoadedModelsEqualTheirInMemoryWeights) {
  c10::InferenceMode guard;
  for (const Variant& variant : all_variants()) {
    auto loaded = loaded_model(variant.name, at::kDouble);
    auto memory = random_model(variant.config, at::kDouble);
    const std::vector<TokenId> tokens = make_tokens(10, variant.config.vocab_size, 3);
    EXPECT_EQ(max_abs_diff(full_forward_logits(*loaded, tokens), full_forward_logits(*memory, tokens)), 0.0)
        << variant.name;
    EXPECT_EQ(loaded->config().layer_windows, variant.config.layer_windows) << variant.name;
    EXPECT_EQ(loaded->config().qk_norm, variant.config.qk_norm) << variant.name;
  }
  EXPECT_TRUE(CheckpointFolder::open(checkpoint_for("mistral_window")).is_sharded());
  EXPECT_FALSE(CheckpointFolder::open(checkpoint_for("llama")).is_sharded());
}

TEST(CheckpointLoading, MatchingDtypeIsZeroCopy) {
  c10::InferenceMode guard;
  const CheckpointWeights weights = CheckpointWeights::open(checkpoint_for("llama"));
  const TensorView& view = weights.folder().tensor("model.embed_tokens.weight");
  const at::Tensor same = weights.load("model.embed_tokens.weight", at::kFloat, at::kCPU);
  EXPECT_EQ(same.data_ptr(), static_cast<const void*>(view.data));
  const at::Tensor wide = weights.load("model.embed_tokens.weight", at::kDouble, at::kCPU);
  EXPECT_NE(wide.data_ptr(), static_cast<const void*>(view.data));
  EXPECT_EQ(max_abs_diff(wide, same), 0.0);
  EXPECT_EQ(weights.location("lm_head.weight"), "model.safetensors");
}

TEST(CheckpointLoading, GenerationConfigEosIdsWin) {
  const ModelConfig config = variant_config("llama");
  const std::filesystem::path dir = scratch_dir("eos_override");
  write_model_checkpoint(dir, config, random_weights(config, 1));
  std::ofstream(dir / "generation_config.json") << R"({"bos_token_id": 1, "eos_token_id": [5, 6]})";
  EXPECT_EQ(load_model(dir)->config().eos_token_ids, (std::vector<TokenId>{5, 6}));
}

TEST(CheckpointLoading, ReportsMissingExtraAndMisshapedTensors) {
  c10::InferenceMode guard;
  const ModelConfig config = variant_config("llama");
  TensorMapWeights weights = random_weights(config, 1);
  weights.tensors().erase("model.layers.1.mlp.up_proj.weight");
  weights.tensors()["model.layers.0.self_attn.extra.weight"] = at::zeros({2, 2});
  weights.tensors()["model.norm.weight"] = at::zeros({config.hidden_size + 1});
  const std::filesystem::path dir = scratch_dir("broken");
  write_model_checkpoint(dir, config, weights);
  const std::string message = load_error(dir);
  EXPECT_THAT(message, HasSubstr(dir.string() + ": weights do not match LlamaForCausalLM"));
  EXPECT_THAT(message, HasSubstr("missing tensor model.layers.1.mlp.up_proj.weight"));
  EXPECT_THAT(message, HasSubstr("unexpected tensor model.layers.0.self_attn.extra.weight in model.safetensors"));
  EXPECT_THAT(message, HasSubstr("tensor model.norm.weight in model.safetensors has shape [65], expected [64]"));
  EXPECT_EQ(message.find('\n'), std::string::npos);
}

TEST(CheckpointLoading, ToleratesRotaryBuffersAndTiedHeadCopies) {
  c10::InferenceMode guard;
  ModelConfig config = variant_config("qwen2_tied");
  TensorMapWeights weights = random_weights(config, 1);
  weights.tensors()["lm_head.weight"] = weights.tensors().at("model.embed_tokens.weight").clone();
  weights.tensors()["model.layers.0.self_attn.rotary_emb.inv_freq"] = at::zeros({8});
  const std::filesystem::path dir = scratch_dir("tolerated");
  write_model_checkpoint(dir, config, weights);
  EXPECT_NO_THROW(load_model(dir));
}

TEST(CheckpointLoading, ConfigErrorsNameTheFile) {
  const ModelConfig config = variant_config("llama");
  const std::filesystem::path dir = scratch_dir("bad_config");
  write_model_checkpoint(dir, config, random_weights(config, 1));
  std::ofstream(dir / "config.json") << R"({"architectures": ["FalconForCausalLM"]})";
  EXPECT_THAT(load_error(dir), HasSubstr((dir / "config.json").string() +
                                         ": `architectures` entry \"FalconForCausalLM\" is not supported"));
  std::ofstream(dir / "config.json") << R"({"model_type": "llama", "hidden_act": "relu"})";
  EXPECT_THAT(load_error(dir), HasSubstr("`hidden_act` \"relu\" is not supported"));
  EXPECT_THAT(load_error(dir / "absent"), HasSubstr("absent"));
}

}  // namespace
}  // namespace specrouter::testing
