#pragma once

/// @file
/// @brief The Llama-family decoder (Llama, Mistral, Qwen2, Qwen3) on libtorch.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>
#include <c10/core/ScalarType.h>

#include "specrouter/kernels/linear.h"
#include "specrouter/kernels/paged_attention.h"
#include "specrouter/model/model.h"
#include "specrouter/model/model_config.h"
#include "specrouter/model/weights.h"

namespace specrouter {

/// How a model is instantiated: arithmetic type, device and context length.
struct ModelOptions {
  /// Weights, activations and KV cache type: Float (float32), BFloat16 or Double (float64,
  /// for exactness tests). Rotary tables are computed in float32 like transformers does.
  c10::ScalarType dtype = c10::ScalarType::Float;
  /// Where weights and activations live (any device libtorch was built for).
  c10::Device device = c10::Device(c10::DeviceType::CPU);
  /// Longest sequence accepted; 0 means the config's max_position_embeddings.
  std::int64_t max_context = 0;
  /// Computes every projection and the lm_head; null means the core's reference
  /// (reference_linear(), at::linear). `linear/cpu_small_batch` makes verification of a
  /// few draft tokens cost about what decoding one does.
  std::shared_ptr<const LinearKernel> linear;
  /// Attention over the paged KV cache; null means the core's reference
  /// (reference_paged_attention()). `paged_attention/cpu` reads blocks in place.
  std::shared_ptr<const PagedAttention> attention;
};

/// A pre-norm decoder transformer: embedding, N x (RMSNorm, GQA attention with rotary
/// embeddings, RMSNorm, SwiGLU MLP), final RMSNorm, lm_head.
///
/// The forward pass runs every operation once over the concatenated new tokens of the
/// whole batch (attention through the PagedAttention kernel, K/V written into the
/// StateManager's pool), inside c10::InferenceMode.
class TransformerModel final : public Model {
 public:
  /// Loads the weights `config` expects from `weights` (checked with check_weights()),
  /// converted to `options.dtype` on `options.device`; zero-copy where the source allows.
  /// Throws CheckpointError naming the source for missing, extra or mis-shaped tensors,
  /// and UsageError for an unsupported dtype.
  static std::unique_ptr<TransformerModel> create(const ModelConfig& config, const WeightSource& weights,
                                                  const ModelOptions& options = {});

  std::int64_t vocab_size() const override { return config_.vocab_size; }
  std::int64_t max_context() const override { return max_context_; }
  KvCacheSpec kv_cache_spec(const std::string& name, std::int64_t block_size = 16) const override;
  ForwardOutput forward(std::span<const SequenceInput> batch, StateManager& state, KvModelId kv,
                        const ForwardOptions& options = {}) override;

  /// The architecture the model was built from.
  const ModelConfig& config() const { return config_; }
  /// The options it was built with (max_context and kernels resolved).
  const ModelOptions& options() const { return options_; }

 private:
  struct Layer {
    at::Tensor input_norm;      // [hidden]
    at::Tensor q_weight, q_bias;  // [heads * head_dim, hidden], [heads * head_dim] or undefined
    at::Tensor k_weight, k_bias;  // [kv_heads * head_dim, hidden], ...
    at::Tensor v_weight, v_bias;
    at::Tensor q_norm, k_norm;  // [head_dim] (Qwen3) or undefined
    at::Tensor o_weight, o_bias;  // [hidden, heads * head_dim], [hidden] or undefined
    at::Tensor post_norm;         // [hidden]
    at::Tensor gate_weight, gate_bias;  // [intermediate, hidden], ...
    at::Tensor up_weight, up_bias;
    at::Tensor down_weight, down_bias;  // [hidden, intermediate], ...
    std::optional<std::int64_t> window;  // sliding window of this layer
  };

  TransformerModel(const ModelConfig& config, const ModelOptions& options);

  ModelConfig config_;
  ModelOptions options_;
  std::int64_t max_context_ = 0;
  at::Tensor embed_tokens_;  // [vocab, hidden]
  std::vector<Layer> layers_;
  at::Tensor final_norm_;    // [hidden]
  at::Tensor lm_head_;       // [vocab, hidden] (the embedding when tied)
  at::Tensor inv_freq_;      // [head_dim / 2] float32 on the device
};

}  // namespace specrouter
