#include "specrouter/model/weights.h"

#include <cmath>
#include <set>
#include <sstream>

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/ops/normal.h>
#include <c10/core/InferenceMode.h>

#include "specrouter/error.h"

namespace specrouter {
namespace {

std::string shape_text(const std::vector<std::int64_t>& shape) {
  std::string out = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) out += ", ";
    out += std::to_string(shape[i]);
  }
  return out + "]";
}

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

std::vector<WeightSpec> expected_weights(const ModelConfig& config) {
  const std::int64_t hidden = config.hidden_size;
  const std::int64_t q_width = config.num_attention_heads * config.head_dim;
  const std::int64_t kv_width = config.num_key_value_heads * config.head_dim;
  const std::int64_t mlp = config.intermediate_size;

  std::vector<WeightSpec> specs;
  specs.push_back({"model.embed_tokens.weight", {config.vocab_size, hidden}});
  for (std::int64_t layer = 0; layer < config.num_hidden_layers; ++layer) {
    const std::string prefix = "model.layers." + std::to_string(layer) + ".";
    const std::string attn = prefix + "self_attn.";
    specs.push_back({prefix + "input_layernorm.weight", {hidden}});
    specs.push_back({attn + "q_proj.weight", {q_width, hidden}});
    specs.push_back({attn + "k_proj.weight", {kv_width, hidden}});
    specs.push_back({attn + "v_proj.weight", {kv_width, hidden}});
    if (config.qkv_bias) {
      specs.push_back({attn + "q_proj.bias", {q_width}});
      specs.push_back({attn + "k_proj.bias", {kv_width}});
      specs.push_back({attn + "v_proj.bias", {kv_width}});
    }
    if (config.qk_norm) {
      specs.push_back({attn + "q_norm.weight", {config.head_dim}});
      specs.push_back({attn + "k_norm.weight", {config.head_dim}});
    }
    specs.push_back({attn + "o_proj.weight", {hidden, q_width}});
    if (config.o_bias) specs.push_back({attn + "o_proj.bias", {hidden}});
    specs.push_back({prefix + "post_attention_layernorm.weight", {hidden}});
    specs.push_back({prefix + "mlp.gate_proj.weight", {mlp, hidden}});
    specs.push_back({prefix + "mlp.up_proj.weight", {mlp, hidden}});
    specs.push_back({prefix + "mlp.down_proj.weight", {hidden, mlp}});
    if (config.mlp_bias) {
      specs.push_back({prefix + "mlp.gate_proj.bias", {mlp}});
      specs.push_back({prefix + "mlp.up_proj.bias", {mlp}});
      specs.push_back({prefix + "mlp.down_proj.bias", {hidden}});
    }
  }
  specs.push_back({"model.norm.weight", {hidden}});
  if (!config.tie_word_embeddings) specs.push_back({"lm_head.weight", {config.vocab_size, hidden}});
  return specs;
}

TensorMapWeights::TensorMapWeights(std::map<std::string, at::Tensor> tensors, std::string description)
    : tensors_(std::move(tensors)), description_(std::move(description)) {}

std::vector<std::string> TensorMapWeights::names() const {
  std::vector<std::string> out;
  out.reserve(tensors_.size());
  for (const auto& entry : tensors_) out.push_back(entry.first);
  return out;
}

std::vector<std::int64_t> TensorMapWeights::shape(const std::string& name) const {
  auto it = tensors_.find(name);
  if (it == tensors_.end()) throw CheckpointError(description_ + ": no tensor " + name);
  return it->second.sizes().vec();
}

std::string TensorMapWeights::location(const std::string& /*name*/) const { return description_; }

at::Tensor TensorMapWeights::load(const std::string& name, c10::ScalarType dtype, c10::Device device) const {
  auto it = tensors_.find(name);
  if (it == tensors_.end()) throw CheckpointError(description_ + ": no tensor " + name);
  return it->second.to(device, dtype);
}

TensorMapWeights random_weights(const ModelConfig& config, std::uint64_t seed) {
  c10::InferenceMode guard;
  at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  std::map<std::string, at::Tensor> tensors;
  const auto options = at::TensorOptions().dtype(at::kDouble);
  for (const WeightSpec& spec : expected_weights(config)) {
    double mean = 0.0;
    double stddev = 0.02;
    if (spec.shape.size() == 2) {
      const bool embedding = spec.name == "model.embed_tokens.weight";
      stddev = embedding ? 1.0 : 1.0 / std::sqrt(static_cast<double>(spec.shape[1]));
    } else if (ends_with(spec.name, "norm.weight")) {
      mean = 1.0;
      stddev = 0.1;
    }
    // Drawn in float64 so the float32 and float64 models of a test share their values.
    tensors[spec.name] = at::normal(mean, stddev, spec.shape, generator, options).to(at::kFloat);
  }
  return TensorMapWeights(std::move(tensors), "random weights (seed " + std::to_string(seed) + ")");
}

void check_weights(const ModelConfig& config, const WeightSource& source) {
  std::vector<std::string> problems;
  std::set<std::string> present;
  for (const std::string& name : source.names()) present.insert(name);

  std::set<std::string> expected;
  for (const WeightSpec& spec : expected_weights(config)) {
    expected.insert(spec.name);
    if (present.count(spec.name) == 0) {
      problems.push_back("missing tensor " + spec.name);
      continue;
    }
    const std::vector<std::int64_t> found = source.shape(spec.name);
    if (found != spec.shape) {
      problems.push_back("tensor " + spec.name + " in " + source.location(spec.name) + " has shape " +
                         shape_text(found) + ", expected " + shape_text(spec.shape));
    }
  }
  for (const std::string& name : present) {
    if (expected.count(name) != 0 || ends_with(name, "rotary_emb.inv_freq")) continue;
    if (config.tie_word_embeddings && name == "lm_head.weight") continue;
    problems.push_back("unexpected tensor " + name + " in " + source.location(name));
  }
  if (problems.empty()) return;

  constexpr std::size_t kShown = 8;
  std::ostringstream message;
  message << source.description() << ": weights do not match " << architecture_class_name(config.architecture)
          << ": ";
  for (std::size_t i = 0; i < problems.size() && i < kShown; ++i) message << (i ? "; " : "") << problems[i];
  if (problems.size() > kShown) message << "; and " << problems.size() - kShown << " more";
  throw CheckpointError(message.str());
}

}  // namespace specrouter
