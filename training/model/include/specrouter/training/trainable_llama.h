#pragma once

/// @file
/// @brief A differentiable Llama forward over plain tensors that carry the Hugging Face
/// names, for training. The inference runtime (TransformerModel) is not differentiable:
/// it computes through kernels and the paged KV cache inside InferenceMode.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>
#include <c10/core/ScalarType.h>

#include "specrouter/model/model_config.h"
#include "specrouter/model/weights.h"

namespace specrouter::training {

/// Refuses (ConfigError naming `source` and the field) what the trainer does not
/// implement: any architecture but Llama, biases, per-head q/k norms, sliding windows
/// and rotary scaling. The runtime's own checks (validate_model_config) come first.
void check_trainable(const ModelConfig& config, const std::string& source);

/// A Llama decoder whose parameters are leaf tensors with `requires_grad`, named as in
/// a Hugging Face checkpoint (expected_weights()), so they are written by the core's
/// checkpoint writer and loaded by load_model() unchanged.
///
/// The arithmetic follows transformers' LlamaForCausalLM: rotary tables in float32,
/// RMSNorm in float32 (float64 for a float64 model) rounded before the weight, causal
/// scaled-dot-product attention with key/value heads repeated for GQA, SwiGLU MLP.
class TrainableLlama {
 public:
  /// A model with fresh weights: norms 1, every matrix N(0, init_std^2), and the output
  /// projections of each block (o_proj, down_proj) scaled by 1/sqrt(2 * layers) as in
  /// GPT-2, drawn in the order of expected_weights() from one generator seeded with
  /// `seed`, so the same seed gives the same weights on every machine and thread count.
  static TrainableLlama initialise(const ModelConfig& config, std::uint64_t seed, double init_std,
                                   c10::ScalarType dtype, c10::Device device);

  /// A model holding copies of the tensors of `weights` (checked with check_weights()).
  static TrainableLlama from_weights(const ModelConfig& config, const WeightSource& weights,
                                     c10::ScalarType dtype, c10::Device device);

  /// Logits `[batch, length, vocab]` of every position of `tokens` (int64 `[batch,
  /// length]`, on the model's device), each seeing only the tokens before it and itself.
  at::Tensor forward(const at::Tensor& tokens) const;

  /// The parameters, in the order of expected_weights().
  const std::vector<at::Tensor>& parameters() const { return parameters_; }
  /// Their Hugging Face names, in the same order.
  const std::vector<std::string>& names() const { return names_; }
  /// Whether a parameter (by index) takes weight decay: matrices do, norm weights do not.
  bool decays(std::size_t index) const { return parameters_[index].dim() >= 2; }
  /// The architecture.
  const ModelConfig& config() const { return config_; }
  /// Total number of parameters.
  std::int64_t parameter_count() const;

  /// Sets or clears `requires_grad` on every parameter (a teacher needs no gradients).
  void set_requires_grad(bool requires_grad);
  /// Copies every parameter's values from `tensors` (by name, same shape), keeping the
  /// tensors' identity. Throws CheckpointError naming a missing or mis-shaped tensor.
  void load_values(const std::map<std::string, at::Tensor>& tensors, const std::string& source);
  /// Detached CPU copies of the parameters by name, ready for write_model_checkpoint().
  std::map<std::string, at::Tensor> state_dict() const;

 private:
  explicit TrainableLlama(const ModelConfig& config);
  const at::Tensor& param(const std::string& name) const;

  ModelConfig config_;
  std::vector<std::string> names_;
  std::vector<at::Tensor> parameters_;
  std::map<std::string, std::size_t> index_;
};

}  // namespace specrouter::training
