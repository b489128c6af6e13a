// The differentiable Llama forward (see trainable_llama.h). Every operation is a torch
// op on tensors that may require gradients, so autograd derives the backward pass.
#include "specrouter/training/trainable_llama.h"

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>

#include <cmath>

#include "specrouter/error.h"

namespace specrouter::training {
namespace {

std::string shape_text(at::IntArrayRef shape) {
  std::string text = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// transformers' LlamaRMSNorm: normalise in float32 (float64 models stay in float64),
// round back to the input type, then scale.
at::Tensor rms_norm(const at::Tensor& x, const at::Tensor& weight, double eps) {
  const at::ScalarType compute = x.scalar_type() == at::kDouble ? at::kDouble : at::kFloat;
  const at::Tensor wide = x.to(compute);
  const at::Tensor variance = wide.pow(2).mean(-1, /*keepdim=*/true);
  return weight * (wide * at::rsqrt(variance + eps)).to(x.scalar_type());
}

at::Tensor rotate_half(const at::Tensor& x) {
  const std::int64_t half = x.size(-1) / 2;
  return at::cat({-x.narrow(-1, half, half), x.narrow(-1, 0, half)}, -1);
}

}  // namespace

void check_trainable(const ModelConfig& config, const std::string& source) {
  auto refuse = [&](const std::string& field, const std::string& why) {
    throw ConfigError(source + ": " + field + ": " + why + " (the trainer implements plain Llama)");
  };
  if (config.architecture != Architecture::kLlama) refuse("architectures", "must be LlamaForCausalLM");
  if (config.qkv_bias || config.o_bias) refuse("attention_bias", "must be false");
  if (config.mlp_bias) refuse("mlp_bias", "must be false");
  if (config.qk_norm) refuse("qk_norm", "must be false");
  if (config.has_sliding_window()) refuse("sliding_window", "must be absent");
  if (config.rope_scaling) refuse("rope_scaling", "must be absent");
}

TrainableLlama::TrainableLlama(const ModelConfig& config) : config_(config) {
  for (const WeightSpec& spec : expected_weights(config)) {
    index_[spec.name] = names_.size();
    names_.push_back(spec.name);
  }
}

TrainableLlama TrainableLlama::initialise(const ModelConfig& config, std::uint64_t seed, double init_std,
                                          c10::ScalarType dtype, c10::Device device) {
  TrainableLlama model(config);
  at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  const double residual_std = init_std / std::sqrt(2.0 * static_cast<double>(config.num_hidden_layers));
  for (const WeightSpec& spec : expected_weights(config)) {
    at::Tensor tensor;
    if (spec.shape.size() == 1) {
      tensor = at::ones(spec.shape, at::TensorOptions().dtype(at::kDouble));
    } else {
      const bool residual_output = ends_with(spec.name, "o_proj.weight") || ends_with(spec.name, "down_proj.weight");
      // Drawn in float64 on the CPU: the same numbers whatever the target dtype and device.
      tensor = at::normal(0.0, residual_output ? residual_std : init_std, spec.shape, generator,
                          at::TensorOptions().dtype(at::kDouble));
    }
    model.parameters_.push_back(tensor.to(device, dtype).requires_grad_(true));
  }
  return model;
}

TrainableLlama TrainableLlama::from_weights(const ModelConfig& config, const WeightSource& weights,
                                            c10::ScalarType dtype, c10::Device device) {
  check_weights(config, weights);
  TrainableLlama model(config);
  for (const std::string& name : model.names_) {
    model.parameters_.push_back(weights.load(name, dtype, device).clone().requires_grad_(true));
  }
  return model;
}

const at::Tensor& TrainableLlama::param(const std::string& name) const {
  return parameters_[index_.at(name)];
}

std::int64_t TrainableLlama::parameter_count() const {
  std::int64_t count = 0;
  for (const at::Tensor& p : parameters_) count += p.numel();
  return count;
}

void TrainableLlama::set_requires_grad(bool requires_grad) {
  for (at::Tensor& p : parameters_) p.requires_grad_(requires_grad);
}

void TrainableLlama::load_values(const std::map<std::string, at::Tensor>& tensors, const std::string& source) {
  c10::AutoGradMode no_grad(false);
  for (std::size_t i = 0; i < names_.size(); ++i) {
    const auto found = tensors.find(names_[i]);
    if (found == tensors.end()) throw CheckpointError(source + ": tensor '" + names_[i] + "' is missing");
    if (found->second.sizes() != parameters_[i].sizes()) {
      throw CheckpointError(source + ": tensor '" + names_[i] + "' has shape " + shape_text(found->second.sizes()) +
                            ", expected " + shape_text(parameters_[i].sizes()));
    }
    parameters_[i].copy_(found->second);
  }
}

std::map<std::string, at::Tensor> TrainableLlama::state_dict() const {
  std::map<std::string, at::Tensor> tensors;
  for (std::size_t i = 0; i < names_.size(); ++i) {
    tensors[names_[i]] = parameters_[i].detach().to(at::kCPU).contiguous().clone();
  }
  return tensors;
}

at::Tensor TrainableLlama::forward(const at::Tensor& tokens) const {
  const ModelConfig& c = config_;
  const std::int64_t batch = tokens.size(0);
  const std::int64_t length = tokens.size(1);
  const at::Tensor& embed = param("model.embed_tokens.weight");
  const at::ScalarType dtype = embed.scalar_type();

  // Rotary tables as transformers builds them: float32 inverse frequencies and angles,
  // then cos/sin cast to the model type.
  const at::TensorOptions float_on_device = at::TensorOptions().dtype(at::kFloat).device(embed.device());
  const at::Tensor exponents =
      at::arange(0, c.head_dim, 2, at::TensorOptions().dtype(at::kLong).device(embed.device())).to(at::kFloat) /
      static_cast<double>(c.head_dim);
  const at::Tensor inv_freq = 1.0 / at::pow(c.rope_theta, exponents);
  const at::Tensor positions = at::arange(length, float_on_device);
  const at::Tensor angles = at::outer(positions, inv_freq);
  const at::Tensor doubled = at::cat({angles, angles}, -1);  // [length, head_dim]
  const at::Tensor cos = doubled.cos().to(dtype);
  const at::Tensor sin = doubled.sin().to(dtype);

  at::Tensor hidden = at::embedding(embed, tokens);  // [batch, length, hidden]
  const double scale = 1.0 / std::sqrt(static_cast<double>(c.head_dim));
  for (std::int64_t layer = 0; layer < c.num_hidden_layers; ++layer) {
    const std::string prefix = "model.layers." + std::to_string(layer) + ".";
    const at::Tensor normed = rms_norm(hidden, param(prefix + "input_layernorm.weight"), c.rms_norm_eps);
    auto heads = [&](const char* projection, std::int64_t count) {
      return at::linear(normed, param(prefix + "self_attn." + projection + ".weight"))
          .view({batch, length, count, c.head_dim})
          .transpose(1, 2);  // [batch, count, length, head_dim]
    };
    at::Tensor q = heads("q_proj", c.num_attention_heads);
    at::Tensor k = heads("k_proj", c.num_key_value_heads);
    at::Tensor v = heads("v_proj", c.num_key_value_heads);
    q = q * cos + rotate_half(q) * sin;
    k = k * cos + rotate_half(k) * sin;
    if (c.query_groups() > 1) {  // transformers' repeat_kv: each kv head serves its group of query heads
      k = k.repeat_interleave(c.query_groups(), 1);
      v = v.repeat_interleave(c.query_groups(), 1);
    }
    const at::Tensor attended = at::scaled_dot_product_attention(q, k, v, /*attn_mask=*/{}, /*dropout_p=*/0.0,
                                                                 /*is_causal=*/true, scale);
    const at::Tensor merged = attended.transpose(1, 2).reshape({batch, length, c.num_attention_heads * c.head_dim});
    hidden = hidden + at::linear(merged, param(prefix + "self_attn.o_proj.weight"));

    const at::Tensor post = rms_norm(hidden, param(prefix + "post_attention_layernorm.weight"), c.rms_norm_eps);
    const at::Tensor gate = at::silu(at::linear(post, param(prefix + "mlp.gate_proj.weight")));
    const at::Tensor up = at::linear(post, param(prefix + "mlp.up_proj.weight"));
    hidden = hidden + at::linear(gate * up, param(prefix + "mlp.down_proj.weight"));
  }
  hidden = rms_norm(hidden, param("model.norm.weight"), c.rms_norm_eps);
  const at::Tensor& head = c.tie_word_embeddings ? embed : param("lm_head.weight");
  return at::linear(hidden, head);
}

}  // namespace specrouter::training
