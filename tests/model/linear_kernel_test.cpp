// The model with linear/cpu_small_batch computes the same logits as with the core's
// reference (at::linear), within float32 tolerance, for every variant of the family:
// a verification-sized chain (12 rows, the kernel's path), a prefill longer than its
// max_rows (delegated to at::linear) and single-token decode steps.
#include <gtest/gtest.h>

#include <ATen/ops/cat.h>
#include <c10/core/InferenceMode.h>

#include "model_test_util.h"
#include "specrouter/kernels/linear.h"
#include "specrouter/model/weights.h"
#include "specrouter/plugin/params.h"
#include "specrouter/plugin/registries.h"

// Defined by SPECROUTER_PLUGIN in kernels/cpu/kernels_cpu.cpp.
void specrouter_register_kernels_cpu(specrouter::PluginRegistrar& registrar);

namespace specrouter::testing {
namespace {

std::shared_ptr<const LinearKernel> small_batch_linear() {
  PluginRegistrar registrar;
  specrouter_register_kernels_cpu(registrar);
  Registries registries;
  registrar.commit(registries);
  const std::string name = "linear/cpu_small_batch";
  const auto& info = registries.kernels.at(name).info;
  return std::dynamic_pointer_cast<const LinearKernel>(
      registries.kernels.create(name, Params::from_specs("kernel '" + name + "'", info.params, {})));
}

// Logits of `prompt` as one pass, then of each of `steps` as its own decode step.
at::Tensor prefill_then_decode(Model& model, const std::vector<TokenId>& prompt, const std::vector<TokenId>& steps) {
  c10::InferenceMode guard;
  ModelKv kv(model);
  const SequenceId sequence = kv.add(prompt);
  std::vector<at::Tensor> logits;
  logits.push_back(kv.forward(model, chain_input(sequence, prompt)).logits);
  for (const TokenId token : steps) {
    const std::vector<TokenId> one = {token};  // outlives the input, which views it
    logits.push_back(kv.forward(model, chain_input(sequence, one)).logits);
  }
  return at::cat(logits);  // [prompt + steps, vocab]
}

class LinearKernelModel : public ::testing::TestWithParam<std::string> {};

TEST_P(LinearKernelModel, SmallBatchKernelMatchesReference) {
  const ModelConfig config = variant_config(GetParam());
  const TensorMapWeights weights = random_weights(config, 1234);
  ModelOptions options;
  options.dtype = at::kFloat;
  auto reference = TransformerModel::create(config, weights, options);
  options.linear = small_batch_linear();
  ASSERT_NE(options.linear, nullptr);
  auto fast = TransformerModel::create(config, weights, options);
  EXPECT_EQ(fast->options().linear, options.linear);
  EXPECT_EQ(reference->options().linear, reference_linear());

  const double tolerance = tolerance_for(at::kFloat);
  const std::vector<TokenId> verify = make_tokens(12, config.vocab_size, 5);
  EXPECT_LT(max_abs_diff(full_forward_logits(*fast, verify), full_forward_logits(*reference, verify)), tolerance);

  const std::vector<TokenId> prompt = make_tokens(20, config.vocab_size, 6);  // above max_rows
  const std::vector<TokenId> steps = make_tokens(3, config.vocab_size, 7);
  EXPECT_LT(max_abs_diff(prefill_then_decode(*fast, prompt, steps), prefill_then_decode(*reference, prompt, steps)),
            tolerance);
}

std::vector<std::string> variant_names() {
  std::vector<std::string> names;
  for (const Variant& variant : all_variants()) names.push_back(variant.name);
  return names;
}

INSTANTIATE_TEST_SUITE_P(Variants, LinearKernelModel, ::testing::ValuesIn(variant_names()),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

}  // namespace
}  // namespace specrouter::testing
