// A trained checkpoint round-trips: the folder the trainer writes loads with the
// runtime's load_model(), and the runtime's logits (paged KV cache, inference kernels)
// equal the trainer's differentiable forward on the same tokens: float64 to 1e-9,
// float32 to a relative 1e-4. Covers tied and separate embeddings and GQA.
#include <gtest/gtest.h>

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>

#include <iostream>
#include <sstream>

#include "specrouter/model/load_model.h"
#include "specrouter/state/state_manager.h"
#include "specrouter/tokenizer/tokenizer.h"
#include "specrouter/training/trainer.h"
#include "trainer_test_util.h"

namespace specrouter::training::test {
namespace {

struct RoundTripCase {
  std::string name;
  std::string dtype;
  std::vector<std::string> overrides;
};

// The runtime's logits of every position of `tokens`, in one pass from an empty cache.
at::Tensor runtime_logits(TransformerModel& model, const std::vector<TokenId>& tokens) {
  StateManager state(StateManagerOptions{.debug_checks = true});
  const KvModelId kv = model.add_kv_cache(state, "model", KvBudget::blocks(16), /*block_size=*/16);
  const SequenceId sequence = state.create_sequence(tokens);
  SequenceInput input;
  input.sequence = sequence;
  input.tokens = tokens;
  input.logits = LogitsWanted::kAll;
  return model.forward({&input, 1}, state, kv).logits;
}

class TrainerRoundTrip : public ::testing::TestWithParam<RoundTripCase> {};

TEST_P(TrainerRoundTrip, RuntimeLogitsEqualTheTrainersForward) {
  const RoundTripCase& c = GetParam();
  std::vector<std::string> overrides = {"steps=20", "eval_every=0", "checkpoint_every=0", "dtype=" + c.dtype};
  overrides.insert(overrides.end(), c.overrides.begin(), c.overrides.end());
  std::ostringstream log;
  const TrainingResult result = train(tiny_train_config(scratch_dir("roundtrip_" + c.name), overrides), log);
  ASSERT_TRUE(result.finished) << log.str();

  const at::ScalarType dtype = c.dtype == "float64" ? at::kDouble : at::kFloat;
  ModelOptions options;
  options.dtype = dtype;
  const std::unique_ptr<TransformerModel> runtime = load_model(result.model_dir, options);
  const std::unique_ptr<Tokenizer> tokenizer = load_tokenizer(result.model_dir);
  const std::vector<TokenId> tokens = tokenizer->encode("the old man paints a blue car.\nmy friend", true);

  const at::Tensor expected = runtime_logits(*runtime, tokens).to(at::kDouble);
  const TrainableLlama trained = load_trainable(result.model_dir, dtype);
  at::Tensor actual;
  {
    c10::AutoGradMode no_grad(false);
    const at::Tensor ids = at::tensor(std::vector<std::int64_t>(tokens.begin(), tokens.end()), at::kLong).unsqueeze(0);
    actual = trained.forward(ids).squeeze(0).to(at::kDouble);
  }
  ASSERT_EQ(actual.sizes(), expected.sizes());
  const double relative = ((actual - expected).abs().max() / expected.abs().max()).item<double>();
  std::cout << c.name << ": largest relative difference " << relative << "\n";
  EXPECT_LT(relative, dtype == at::kDouble ? 1e-9 : 1e-4) << c.name;
  // Trained weights, not the initial ones: the logits are far from uniform.
  EXPECT_GT(expected.std().item<double>(), 0.5);
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, TrainerRoundTrip,
    ::testing::Values(RoundTripCase{"tied_gqa_f64", "float64", {}},
                      RoundTripCase{"untied_mha_f64", "float64",
                                    {"model.tie_word_embeddings=false", "model.num_key_value_heads=4"}},
                      RoundTripCase{"head_dim_f64", "float64", {"+model.head_dim=16", "model.rope_theta=500.0"}},
                      RoundTripCase{"tied_gqa_f32", "float32", {}}),
    [](const ::testing::TestParamInfo<RoundTripCase>& info) { return info.param.name; });

}  // namespace
}  // namespace specrouter::training::test
