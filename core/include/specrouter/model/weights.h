#pragma once

/// @file
/// @brief Where a model's weights come from: tensors by Hugging Face name, the list of
/// names and shapes an architecture expects, and the check between the two.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>
#include <c10/core/ScalarType.h>

#include "specrouter/model/model_config.h"

namespace specrouter {

/// One tensor an architecture needs: its Hugging Face name and shape.
struct WeightSpec {
  std::string name;                ///< e.g. "model.layers.0.self_attn.q_proj.weight"
  std::vector<std::int64_t> shape;  ///< e.g. {num_heads * head_dim, hidden_size}
};

/// Every tensor a model with this config loads, in a stable order. With tied
/// embeddings `lm_head.weight` is not listed (the embedding serves as the output matrix).
std::vector<WeightSpec> expected_weights(const ModelConfig& config);

/// A read-only collection of named tensors (a checkpoint folder, or memory).
class WeightSource {
 public:
  virtual ~WeightSource() = default;
  /// Names every tensor the source holds.
  virtual std::vector<std::string> names() const = 0;
  /// The shape of a tensor the source holds.
  virtual std::vector<std::int64_t> shape(const std::string& name) const = 0;
  /// Where a tensor is stored, for messages (a file name, or "memory").
  virtual std::string location(const std::string& name) const = 0;
  /// What the whole source is, for messages (a folder path, or "random weights").
  virtual std::string description() const = 0;
  /// The tensor with `dtype` on `device`. It may share memory with the source (zero copy)
  /// and then keeps whatever backs it alive; callers must not write to it.
  virtual at::Tensor load(const std::string& name, c10::ScalarType dtype, c10::Device device) const = 0;
};

/// Weights held in memory, by name.
class TensorMapWeights final : public WeightSource {
 public:
  /// Holds `tensors`; `description` names them in messages.
  explicit TensorMapWeights(std::map<std::string, at::Tensor> tensors, std::string description = "memory");

  std::vector<std::string> names() const override;
  std::vector<std::int64_t> shape(const std::string& name) const override;
  std::string location(const std::string& name) const override;
  std::string description() const override { return description_; }
  at::Tensor load(const std::string& name, c10::ScalarType dtype, c10::Device device) const override;

  /// The tensors, by name (to write them out, or to alter one in a test).
  std::map<std::string, at::Tensor>& tensors() { return tensors_; }

 private:
  std::map<std::string, at::Tensor> tensors_;
  std::string description_;
};

/// Random float32 weights for every tensor `config` expects, the same for the same seed.
///
/// Projection matrices are N(0, 1/in_features), so activations keep their scale through
/// the layers; embeddings N(0, 1); norm weights 1 + N(0, 0.1^2); biases N(0, 0.02^2).
TensorMapWeights random_weights(const ModelConfig& config, std::uint64_t seed);

/// Checks `source` against expected_weights(config) and throws CheckpointError listing,
/// in one line, every missing tensor, every unexpected tensor (with its file) and every
/// shape mismatch (with its file, the shape found and the shape expected).
///
/// Tolerated without error: `*.rotary_emb.inv_freq` buffers that old checkpoints carry,
/// and `lm_head.weight` when the embeddings are tied (transformers ignores it as well).
void check_weights(const ModelConfig& config, const WeightSource& source);

}  // namespace specrouter
