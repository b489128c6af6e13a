#pragma once
// Tiny model configurations of every supported variant and helpers to run them.

#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "specrouter/model/forward.h"
#include "specrouter/model/model_config.h"
#include "specrouter/model/transformer_model.h"

namespace specrouter::testing {

/// A named tiny configuration exercising one feature of the family.
struct Variant {
  std::string name;
  ModelConfig config;
};

/// llama, llama3 rope scaling, llama with biases, mistral sliding window, qwen2 biases,
/// qwen2 partly sliding, qwen3 qk-norm with explicit head_dim, tied embeddings.
std::vector<Variant> all_variants();

/// The variant called `name` (throws if none).
ModelConfig variant_config(const std::string& name);

/// A model with random weights (seed 1234 unless told otherwise).
std::unique_ptr<TransformerModel> random_model(const ModelConfig& config, c10::ScalarType dtype,
                                               std::uint64_t seed = 1234);

/// Deterministic pseudo-random tokens in [0, vocab).
std::vector<TokenId> make_tokens(std::int64_t count, std::int64_t vocab, std::uint64_t seed);

/// Logits of all `tokens` run as one chain on a fresh sequence: [tokens, vocab].
at::Tensor full_forward_logits(Model& model, const std::vector<TokenId>& tokens);

/// Largest |a - b| (as double); both [rows, vocab].
double max_abs_diff(const at::Tensor& a, const at::Tensor& b);

/// Tolerance used for comparisons of the same model computed two ways.
double tolerance_for(c10::ScalarType dtype);

/// A one-sequence forward input.
SequenceInput chain_input(SequenceId sequence, const std::vector<TokenId>& tokens,
                          LogitsWanted logits = LogitsWanted::kAll);

}  // namespace specrouter::testing
