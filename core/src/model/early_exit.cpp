#include "specrouter/model/early_exit.h"

#include <map>
#include <optional>
#include <string>
#include <utility>

#include <ATen/ops/mul.h>

#include "specrouter/error.h"

namespace specrouter {
namespace {

// The decoder layer a tensor belongs to ("model.layers.3.mlp.down_proj.weight" -> 3).
std::optional<int> layer_of(const std::string& name) {
  static const std::string prefix = "model.layers.";
  if (name.rfind(prefix, 0) != 0) return std::nullopt;
  return std::stoi(name.substr(prefix.size()));
}

}  // namespace

ModelConfig first_layers_config(ModelConfig config, int layers) {
  if (layers < 1 || layers > config.num_hidden_layers) {
    throw UsageError("first_layers_config: " + std::to_string(layers) + " layers of a model of " +
                     std::to_string(config.num_hidden_layers) + " (needs 1 to all of them)");
  }
  config.num_hidden_layers = layers;
  if (config.layer_windows.size() > static_cast<std::size_t>(layers)) config.layer_windows.resize(layers);
  return config;
}

TensorMapWeights first_layers(const TensorMapWeights& weights, int layers) {
  if (layers < 1) throw UsageError("first_layers: " + std::to_string(layers) + " layers (needs at least 1)");
  std::map<std::string, at::Tensor> kept;
  for (const auto& [name, tensor] : weights.tensors()) {
    const std::optional<int> layer = layer_of(name);
    if (!layer || *layer < layers) kept.emplace(name, tensor);
  }
  return TensorMapWeights(std::move(kept), "first " + std::to_string(layers) + " layers of " + weights.description());
}

void scale_residual_writes(TensorMapWeights& weights, const std::function<double(int layer)>& factor) {
  for (auto& [name, tensor] : weights.tensors()) {
    const std::optional<int> layer = layer_of(name);
    if (layer && (name.ends_with("o_proj.weight") || name.ends_with("down_proj.weight"))) {
      tensor = at::mul(tensor, factor(*layer));
    }
  }
}

}  // namespace specrouter
