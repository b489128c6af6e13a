#include "model_test_util.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <stdexcept>

#include <unistd.h>

#include <ATen/TensorOperators.h>
#include <ATen/ops/abs.h>
#include <ATen/ops/max.h>

#include "specrouter/model/checkpoint_weights.h"
#include "specrouter/model/load_model.h"
#include "specrouter/plugin/registries.h"

// Defined by SPECROUTER_PLUGIN in kernels/cpu/paged_attention/register.cpp (linked statically).
void specrouter_register_kernels_cpu_attention(specrouter::PluginRegistrar& registrar);

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

namespace {

// Not std::filesystem::remove_all: in a binary linked with the torch wheel's libtorch.so
// that symbol resolves to libtorch's bundled copy, which jumps to address 0 on Debian 12
// (see tests/checkpoint/test_support.h).
void remove_tree(const std::filesystem::path& path) {
  std::error_code error;
  if (std::filesystem::is_directory(std::filesystem::symlink_status(path, error))) {
    std::vector<std::filesystem::path> children;
    for (const auto& entry : std::filesystem::directory_iterator(path, error)) children.push_back(entry.path());
    for (const auto& child : children) remove_tree(child);
  }
  std::filesystem::remove(path, error);
}

std::filesystem::path process_temp_dir() {
  static const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("specrouter_model_test_" + std::to_string(::getpid()));
  return dir;
}

// Removes the per-process folder when the test program ends.
struct TempDirCleanup : ::testing::Environment {
  void TearDown() override { remove_tree(process_temp_dir()); }
};
[[maybe_unused]] const ::testing::Environment* const kTempDirCleanup =
    ::testing::AddGlobalTestEnvironment(new TempDirCleanup);

}  // namespace

std::filesystem::path scratch_dir(const std::string& name) {
  const std::filesystem::path dir = process_temp_dir() / name;
  remove_tree(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

std::filesystem::path checkpoint_for(const std::string& variant) {
  static std::map<std::string, std::filesystem::path> written;
  auto it = written.find(variant);
  if (it != written.end()) return it->second;
  const ModelConfig config = variant_config(variant);
  const std::filesystem::path dir = scratch_dir("checkpoint_" + variant);
  const bool sharded = variant == "mistral_window" || variant == "qwen3_qknorm";
  write_model_checkpoint(dir, config, random_weights(config, 1234), sharded ? 20000 : kDefaultMaxShardBytes);
  return written.emplace(variant, dir).first->second;
}

std::unique_ptr<TransformerModel> loaded_model(const std::string& variant, c10::ScalarType dtype,
                                               std::shared_ptr<const PagedAttention> attention) {
  ModelOptions options;
  options.dtype = dtype;
  options.attention = std::move(attention);
  return load_model(checkpoint_for(variant), options);
}

std::shared_ptr<const PagedAttention> cpu_plugin_attention(const std::string& impl) {
  static Registries registries = [] {
    PluginRegistrar registrar;
    specrouter_register_kernels_cpu_attention(registrar);
    Registries made;
    registrar.commit(made);
    return made;
  }();
  return make_paged_attention(registries.kernels, impl);
}

ModelKv::ModelKv(const Model& model, std::int64_t block_size, std::int64_t blocks)
    : state(StateManagerOptions{.debug_checks = true}),
      kv(model.add_kv_cache(state, "model", KvBudget::blocks(blocks), block_size)) {}

SequenceId ModelKv::add(const std::vector<TokenId>& committed) { return state.create_sequence(committed); }

ForwardOutput ModelKv::forward(Model& model, std::span<const SequenceInput> batch, const ForwardOptions& options) {
  return model.forward(batch, state, kv, options);
}

ForwardOutput ModelKv::forward(Model& model, const SequenceInput& input, const ForwardOptions& options) {
  return model.forward({&input, 1}, state, kv, options);
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
  const auto length = static_cast<std::int64_t>(tokens.size());
  ModelKv kv(model, /*block_size=*/length, /*blocks=*/1);
  const SequenceInput input = chain_input(kv.add(tokens), tokens);
  return kv.forward(model, input).logits;
}

double max_abs_diff(const at::Tensor& a, const at::Tensor& b) {
  const double diff = (a.to(at::kDouble) - b.to(at::kDouble)).abs().max().item<double>();
  worst_diff() = std::max(worst_diff(), diff);
  return diff;
}

double& worst_diff() {
  static double worst = 0.0;
  return worst;
}

double tolerance_for(c10::ScalarType dtype) { return dtype == at::kDouble ? 1e-9 : 1e-4; }

}  // namespace specrouter::testing
