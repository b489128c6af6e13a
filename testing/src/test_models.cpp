#include "test_models.h"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <string>

#include <unistd.h>

#include <ATen/ops/std.h>
#include <c10/core/InferenceMode.h>

#include "specrouter/error.h"
#include "specrouter/kernels/paged_attention.h"
#include "specrouter/model/threads.h"
#include "specrouter/model/weights.h"
#include "specrouter/plugin/plugin_loader.h"
#include "specrouter/plugin/registries.h"

namespace specrouter::conformance::detail {
namespace {

constexpr std::int64_t kBlockSize = 4;

// `base` plus Gaussian noise of `relative` times each tensor's standard deviation.
TensorMapWeights noisy_copy(const TensorMapWeights& base, double relative, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::map<std::string, at::Tensor> tensors;
  for (const auto& [name, tensor] : base.tensors()) {
    at::Tensor copy = tensor.to(at::kFloat).contiguous().clone();
    const double scale = copy.numel() > 1 ? relative * at::std(copy).item<double>() : relative;
    float* data = copy.data_ptr<float>();
    for (std::int64_t i = 0; i < copy.numel(); ++i) data[i] += static_cast<float>(scale) * normal(rng);
    tensors.emplace(name, copy);
  }
  return TensorMapWeights(std::move(tensors), "noisy copy of the conformance target");
}

ModelConfig llama_config(std::int64_t vocab, std::int64_t hidden, std::int64_t intermediate, std::int64_t layers,
                         std::int64_t heads, std::int64_t kv_heads, std::int64_t context) {
  ModelConfig config;
  config.architecture = Architecture::kLlama;
  config.vocab_size = vocab;
  config.hidden_size = hidden;
  config.intermediate_size = intermediate;
  config.num_hidden_layers = layers;
  config.num_attention_heads = heads;
  config.num_key_value_heads = kv_heads;
  config.head_dim = hidden / heads;
  config.max_position_embeddings = context;
  config.rms_norm_eps = 1e-5;
  config.rope_theta = 10000.0;
  config.layer_windows.assign(static_cast<std::size_t>(layers), std::nullopt);
  return config;
}

// The target's greedy continuations of a few prompts, three times over, written where
// an n-gram language model's training file would be: drafters that learn from text
// learn what the target says, so their drafts are accepted often.
std::filesystem::path write_target_text(TransformerModel& target, const std::string& world_name) {
  std::vector<std::vector<TokenId>> prompts;
  std::mt19937_64 rng(5);
  for (int prompt = 0; prompt < 4; ++prompt) {
    std::vector<TokenId> tokens;
    for (int i = 0; i < 4 + prompt; ++i) tokens.push_back(static_cast<TokenId>(rng() % static_cast<std::uint64_t>(target.vocab_size())));
    prompts.push_back(std::move(tokens));
  }
  GenerationOptions options;
  options.max_new_tokens = 24;
  const std::vector<GenerationResult> continuations = generate(target, prompts, options);
  const std::filesystem::path path = std::filesystem::temp_directory_path() /
                                     ("specrouter_conformance_" + world_name + "_" + std::to_string(::getpid()) + ".txt");
  std::ofstream text(path);
  for (int repeat = 0; repeat < 3; ++repeat) {
    for (std::size_t i = 0; i < prompts.size(); ++i) {
      for (TokenId token : prompts[i]) text << token << ' ';
      for (TokenId token : continuations[i].tokens) text << token << ' ';
      text << '\n';
    }
  }
  return path;
}

// The CPU paged-attention kernel (plugin kernels_cpu_attention, which reads K/V blocks in
// place), loaded from where the plugin loader looks; null, the core's reference, where it
// is not found. Both compute the same; the reference gathers every sequence's blocks
// first, several times slower for the 2,000 sequences of the sampled checks.
std::shared_ptr<const PagedAttention> load_cpu_attention() {
  static Registries* const kernels = new Registries;  // never freed, as the worlds
  PluginLoader loader(*kernels);
  for (const std::filesystem::path& folder : PluginLoader::default_search_path()) {
    const std::filesystem::path library = folder / "libkernels_cpu_attention.so";
    if (!std::filesystem::exists(library)) continue;
    try {
      loader.load_file(library);
      return make_paged_attention(kernels->kernels, "cpu");
    } catch (const Error& error) {
      std::cerr << "conformance kit: " << error.what() << "; the models attend through the core's reference\n";
      return nullptr;
    }
  }
  return nullptr;
}

std::shared_ptr<const PagedAttention> cpu_attention_if_found() {
  static const std::shared_ptr<const PagedAttention> attention = load_cpu_attention();
  return attention;
}

// Removes the worlds' text files when the process ends (the worlds themselves are never
// destroyed, see test_models.h).
struct TextFileRemover {
  std::vector<std::filesystem::path> paths;
  ~TextFileRemover() {
    for (const auto& path : paths) {
      std::error_code ignored;
      std::filesystem::remove(path, ignored);
    }
  }
};
TextFileRemover& text_files() {
  static TextFileRemover remover;
  return remover;
}

}  // namespace

ModelWorld::ModelWorld(const ModelConfig& config, double small_noise, double medium_noise, std::uint64_t seed,
                       std::int64_t blocks, bool debug_checks)
    : state(StateManagerOptions{.debug_checks = debug_checks}) {
  c10::InferenceMode inference;
  SingleThreadedCompute single_thread;
  const TensorMapWeights target_weights = random_weights(config, seed);
  ModelOptions options;
  options.dtype = at::kDouble;  // greedy ties and sampled distributions exact enough to compare
  options.attention = cpu_attention_if_found();
  const std::vector<std::string> names = {"small", "medium", "target"};
  const std::vector<double> noise = {small_noise, medium_noise};
  std::vector<PoolMember> members;
  for (std::size_t i = 0; i < names.size(); ++i) {
    models.push_back(i < noise.size()
                         ? TransformerModel::create(config, noisy_copy(target_weights, noise[i], seed + 100 + i), options)
                         : TransformerModel::create(config, target_weights, options));
    const KvModelId kv = models.back()->add_kv_cache(state, names[i], KvBudget::blocks(blocks), kBlockSize);
    members.push_back({names[i], models.back().get(), kv});
  }
  pool.emplace(std::move(members));
  description.pool_names = names;
  description.vocab_size = config.vocab_size;
  description.target_text = write_target_text(target(), "vocab" + std::to_string(config.vocab_size));
  text_files().paths.push_back(description.target_text);
}

ModelWorld& greedy_world() {
  static ModelWorld* world =
      new ModelWorld(llama_config(/*vocab=*/97, /*hidden=*/64, /*intermediate=*/96, /*layers=*/2, /*heads=*/4, /*kv_heads=*/2,
                                  /*context=*/96),
                     0.25, 0.1, /*seed=*/7, /*blocks=*/2048, /*debug_checks=*/true);
  return *world;
}

ModelWorld& sampling_world() {
  static ModelWorld* world =
      new ModelWorld(llama_config(/*vocab=*/8, /*hidden=*/16, /*intermediate=*/32, /*layers=*/1, /*heads=*/2, /*kv_heads=*/1,
                                  /*context=*/32),
                     0.8, 0.4, /*seed=*/11, /*blocks=*/8 * 2000, /*debug_checks=*/false);
  return *world;
}

SingleThreadedCompute::SingleThreadedCompute() : previous_threads_(compute_threads()) { set_compute_threads(1); }
SingleThreadedCompute::~SingleThreadedCompute() { set_compute_threads(previous_threads_); }

}  // namespace specrouter::conformance::detail
