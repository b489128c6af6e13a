#pragma once
// Tiny model configurations of every supported variant and helpers to run them.

#include <filesystem>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "specrouter/model/forward.h"
#include "specrouter/model/model_config.h"
#include "specrouter/model/transformer_model.h"
#include "specrouter/state/state_manager.h"

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

/// A checkpoint folder holding `variant`'s random weights (seed 1234), written on first
/// use into a per-process temporary folder (removed at exit). Two variants are sharded.
std::filesystem::path checkpoint_for(const std::string& variant);

/// A fresh empty folder under the per-process temporary folder.
std::filesystem::path scratch_dir(const std::string& name);

/// The variant's model loaded from checkpoint_for(variant), attending through
/// `attention` (null: the core's reference).
std::unique_ptr<TransformerModel> loaded_model(const std::string& variant, c10::ScalarType dtype,
                                               std::shared_ptr<const PagedAttention> attention = nullptr);

/// `paged_attention/<impl>` from the kernels_cpu_attention plugin (linked statically).
std::shared_ptr<const PagedAttention> cpu_plugin_attention(const std::string& impl);

/// A StateManager (debug checks on) holding one KV pool for one model: what every test
/// runs a model through.
struct ModelKv {
  /// A pool of `blocks` blocks of `block_size` positions for `model`.
  explicit ModelKv(const Model& model, std::int64_t block_size = 4, std::int64_t blocks = 512);
  /// A new sequence whose committed tokens are `committed` (none of them in the cache yet).
  SequenceId add(const std::vector<TokenId>& committed);
  /// model.forward() on this manager's pool.
  ForwardOutput forward(Model& model, std::span<const SequenceInput> batch, const ForwardOptions& options = {});
  /// forward() of one sequence.
  ForwardOutput forward(Model& model, const SequenceInput& input, const ForwardOptions& options = {});

  StateManager state;  ///< the manager
  KvModelId kv = 0;    ///< the model's pool in it
};

/// Deterministic pseudo-random tokens in [0, vocab).
std::vector<TokenId> make_tokens(std::int64_t count, std::int64_t vocab, std::uint64_t seed);

/// Logits of all `tokens` run as one chain on a fresh sequence whose K/V fits one block
/// (contiguous memory): [tokens, vocab].
at::Tensor full_forward_logits(Model& model, const std::vector<TokenId>& tokens);

/// Largest |a - b| (as double); both [rows, vocab]. Also raises worst_diff().
double max_abs_diff(const at::Tensor& a, const at::Tensor& b);

/// The largest difference max_abs_diff() has returned so far (reset it to 0 to start).
double& worst_diff();

/// Tolerance used for comparisons of the same model computed two ways.
double tolerance_for(c10::ScalarType dtype);

/// A one-sequence forward input.
SequenceInput chain_input(SequenceId sequence, const std::vector<TokenId>& tokens,
                          LogitsWanted logits = LogitsWanted::kAll);

}  // namespace specrouter::testing
