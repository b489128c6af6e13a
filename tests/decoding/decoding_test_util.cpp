#include "decoding_test_util.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <random>

#include <ATen/ops/empty.h>
#include <ATen/ops/std.h>

#include "specrouter/model/threads.h"
#include "specrouter/model/weights.h"

// Defined by SPECROUTER_PLUGIN in the plugins' sources (linked statically).
void specrouter_register_token_verifier(specrouter::PluginRegistrar& registrar);
void specrouter_register_tree_verifier(specrouter::PluginRegistrar& registrar);
void specrouter_register_ngram_drafter(specrouter::PluginRegistrar& registrar);
void specrouter_register_ngram_lm_drafter(specrouter::PluginRegistrar& registrar);
void specrouter_register_model_drafter(specrouter::PluginRegistrar& registrar);

namespace specrouter::testing {
namespace {

// The models are tiny: one thread computes them faster than two that spin-wait for each
// other on a busy machine (OpenMP), and the figures do not depend on the thread count.
struct SingleThreaded : ::testing::Environment {
  void SetUp() override { set_compute_threads(1); }
};
[[maybe_unused]] const ::testing::Environment* const kSingleThreaded =
    ::testing::AddGlobalTestEnvironment(new SingleThreaded);

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
  return TensorMapWeights(std::move(tensors), "noisy copy");
}

}  // namespace

TestPool::TestPool(const ModelConfig& config, const std::vector<double>& relative_noise, c10::ScalarType dtype,
                   std::int64_t blocks, bool debug_checks, std::uint64_t seed, std::int64_t drafter_context)
    : state(StateManagerOptions{.debug_checks = debug_checks}) {
  const TensorMapWeights target_weights = random_weights(config, seed);
  ModelOptions options;
  options.dtype = dtype;
  options.attention = cpu_plugin_attention("cpu");
  std::vector<PoolMember> members;
  for (std::size_t i = 0; i < relative_noise.size(); ++i) {
    const bool is_target = i + 1 == relative_noise.size();
    const std::string name = is_target ? "target" : "m" + std::to_string(i);
    options.max_context = is_target ? 0 : drafter_context;
    models.push_back(relative_noise[i] == 0.0
                         ? TransformerModel::create(config, target_weights, options)
                         : TransformerModel::create(config, noisy_copy(target_weights, relative_noise[i], seed + 100 + i),
                                                    options));
    const KvModelId kv = models.back()->add_kv_cache(state, name, KvBudget::blocks(blocks), /*block_size=*/4);
    members.push_back({name, models.back().get(), kv});
  }
  pool.emplace(std::move(members));
}

Registries& test_registries() {
  static Registries registries = [] {
    PluginRegistrar registrar;
    specrouter_register_token_verifier(registrar);
    specrouter_register_tree_verifier(registrar);
    specrouter_register_ngram_drafter(registrar);
    specrouter_register_ngram_lm_drafter(registrar);
    specrouter_register_model_drafter(registrar);
    Registries made;
    registrar.commit(made);
    return made;
  }();
  return registries;
}

std::shared_ptr<Verifier> make_verifier(const std::string& name) {
  Registries& registries = test_registries();
  return registries.verifiers.create(
      name, Params::from_specs("verifier '" + name + "'", registries.verifiers.at(name).info.params));
}

std::shared_ptr<Verifier> token_verifier() { return make_verifier("token"); }

std::shared_ptr<Drafter> make_drafter(const std::string& name, const std::map<std::string, ParamValue>& overrides) {
  Registries& registries = test_registries();
  return registries.drafters.create(
      name, Params::from_specs("drafter '" + name + "'", registries.drafters.at(name).info.params, overrides));
}

Plan plan_of(std::vector<int> chain, std::vector<int> draft_lengths) { return {std::move(chain), std::move(draft_lengths)}; }

}  // namespace specrouter::testing
