#include "specrouter/model/transformer_model.h"

#include <cmath>
#include <string>
#include <utility>

#include <ATen/TensorOperators.h>
#include <ATen/ops/embedding.h>
#include <ATen/ops/empty.h>
#include <ATen/ops/silu.h>
#include <ATen/ops/tensor.h>
#include <c10/core/InferenceMode.h>

#include "specrouter/error.h"
#include "specrouter/model/forward_rows.h"
#include "transformer_ops.h"

namespace specrouter {
namespace {

std::string dtype_name(c10::ScalarType dtype) { return c10::toString(dtype); }

void check_pool_spec(const KvCacheSpec& expected, const KvCacheSpec& actual) {
  if (expected.num_layers != actual.num_layers || expected.num_kv_heads != actual.num_kv_heads ||
      expected.head_dim != actual.head_dim || expected.dtype != actual.dtype || expected.device != actual.device) {
    throw UsageError("forward: the KV pool '" + actual.model + "' has " + std::to_string(actual.num_layers) +
                     " layers x " + std::to_string(actual.num_kv_heads) + " heads x " +
                     std::to_string(actual.head_dim) + " " + dtype_name(actual.dtype) + " on " + actual.device.str() +
                     ", the model needs " + std::to_string(expected.num_layers) + " x " +
                     std::to_string(expected.num_kv_heads) + " x " + std::to_string(expected.head_dim) + " " +
                     dtype_name(expected.dtype) + " on " + expected.device.str());
  }
}

}  // namespace

TransformerModel::TransformerModel(const ModelConfig& config, const ModelOptions& options)
    : config_(config), options_(options) {
  max_context_ = options.max_context > 0 ? options.max_context : config.max_position_embeddings;
  options_.max_context = max_context_;
  if (!options_.linear) options_.linear = reference_linear();
  if (!options_.attention) options_.attention = reference_paged_attention();
}

std::unique_ptr<TransformerModel> TransformerModel::create(const ModelConfig& config, const WeightSource& weights,
                                                           const ModelOptions& options) {
  const c10::ScalarType dtype = options.dtype;
  if (dtype != at::kFloat && dtype != at::kBFloat16 && dtype != at::kDouble) {
    throw UsageError("model dtype " + dtype_name(dtype) + " is not supported (Float, BFloat16 or Double)");
  }
  validate_model_config(config, weights.description());
  check_weights(config, weights);

  c10::InferenceMode guard;
  std::unique_ptr<TransformerModel> model(new TransformerModel(config, options));
  auto load = [&](const std::string& name) { return weights.load(name, dtype, options.device); };
  auto load_if = [&](bool present, const std::string& name) { return present ? load(name) : at::Tensor(); };

  model->embed_tokens_ = load("model.embed_tokens.weight");
  for (std::int64_t index = 0; index < config.num_hidden_layers; ++index) {
    const std::string prefix = "model.layers." + std::to_string(index) + ".";
    const std::string attn = prefix + "self_attn.";
    Layer layer;
    layer.input_norm = load(prefix + "input_layernorm.weight");
    layer.q_weight = load(attn + "q_proj.weight");
    layer.k_weight = load(attn + "k_proj.weight");
    layer.v_weight = load(attn + "v_proj.weight");
    layer.q_bias = load_if(config.qkv_bias, attn + "q_proj.bias");
    layer.k_bias = load_if(config.qkv_bias, attn + "k_proj.bias");
    layer.v_bias = load_if(config.qkv_bias, attn + "v_proj.bias");
    layer.q_norm = load_if(config.qk_norm, attn + "q_norm.weight");
    layer.k_norm = load_if(config.qk_norm, attn + "k_norm.weight");
    layer.o_weight = load(attn + "o_proj.weight");
    layer.o_bias = load_if(config.o_bias, attn + "o_proj.bias");
    layer.post_norm = load(prefix + "post_attention_layernorm.weight");
    layer.gate_weight = load(prefix + "mlp.gate_proj.weight");
    layer.up_weight = load(prefix + "mlp.up_proj.weight");
    layer.down_weight = load(prefix + "mlp.down_proj.weight");
    layer.gate_bias = load_if(config.mlp_bias, prefix + "mlp.gate_proj.bias");
    layer.up_bias = load_if(config.mlp_bias, prefix + "mlp.up_proj.bias");
    layer.down_bias = load_if(config.mlp_bias, prefix + "mlp.down_proj.bias");
    layer.window = config.layer_windows[static_cast<std::size_t>(index)];
    model->layers_.push_back(std::move(layer));
  }
  model->final_norm_ = load("model.norm.weight");
  model->lm_head_ = config.tie_word_embeddings ? model->embed_tokens_ : load("lm_head.weight");
  model->inv_freq_ = detail::rotary_inverse_frequencies(config).to(options.device);
  return model;
}

KvCacheSpec TransformerModel::kv_cache_spec(const std::string& name, std::int64_t block_size) const {
  KvCacheSpec spec;
  spec.model = name;
  spec.num_layers = config_.num_hidden_layers;
  spec.num_kv_heads = config_.num_key_value_heads;
  spec.head_dim = config_.head_dim;
  spec.dtype = options_.dtype;
  spec.device = options_.device;
  spec.block_size = block_size;
  return spec;
}

ForwardOutput TransformerModel::forward(std::span<const SequenceInput> batch, StateManager& state, KvModelId kv,
                                        const ForwardOptions& options) {
  c10::InferenceMode guard;
  KvBlockPool& pool = state.pool(kv);
  check_pool_spec(kv_cache_spec(pool.spec().model, pool.spec().block_size), pool.spec());

  // Validate everything the state manager does not before its append changes anything.
  BatchRows rows;
  std::vector<SequenceTokens> appends;
  std::vector<SequenceLength> lengths_before;
  std::int64_t total = 0;
  for (const SequenceInput& input : batch) {
    check_tokens(input, config_.vocab_size);
    const std::int64_t count = static_cast<std::int64_t>(input.tokens.size());
    const std::int64_t cached = state.kv_length(kv, input.sequence);  // throws for an unknown sequence
    if (cached + count > max_context_) {
      throw CapacityError("forward: sequence " + std::to_string(input.sequence) + " would hold " +
                          std::to_string(cached + count) + " positions, more than the model's context of " +
                          std::to_string(max_context_));
    }
    rows.token_ids.insert(rows.token_ids.end(), input.tokens.begin(), input.tokens.end());
    add_wanted_rows(input, total, count, rows);
    appends.push_back({input.sequence, input.tokens, input.parents});
    lengths_before.push_back({input.sequence, cached});
    total += count;
  }
  if (batch.empty()) return ForwardOutput{at::empty({0, config_.vocab_size}), at::Tensor(), {0}};

  // Reserves the slots (checking repeated sequences, parents, catch-up tokens and free
  // blocks) or throws with nothing changed.
  const KvForwardBatch slots = state.append(kv, appends);
  try {
    const c10::Device device = options_.device;
    const c10::ScalarType dtype = options_.dtype;
    const std::int64_t heads = config_.num_attention_heads;
    const std::int64_t kv_heads = config_.num_key_value_heads;
    const std::int64_t head_dim = config_.head_dim;
    const double eps = config_.rms_norm_eps;
    const LinearKernel& linear = *options_.linear;
    const PagedAttention& attention = *options_.attention;
    const auto index_options = at::TensorOptions().dtype(at::kLong);

    at::Tensor ids = at::tensor(rows.token_ids, index_options).to(device);
    const detail::RotaryTables key_rotary = detail::rotary_tables(inv_freq_, slots.positions, dtype);
    // The attention scale is folded into the query's rotation: one multiply per pass.
    const double scale = 1.0 / std::sqrt(static_cast<double>(head_dim));
    const detail::RotaryTables query_rotary{key_rotary.cos * scale, key_rotary.sin_signed * scale};

    at::Tensor x = at::embedding(embed_tokens_, ids);  // [total, hidden]
    for (std::size_t index = 0; index < layers_.size(); ++index) {
      const Layer& layer = layers_[index];
      const auto layer_index = static_cast<std::int64_t>(index);
      at::Tensor h = detail::rms_norm(x, layer.input_norm, eps);
      at::Tensor q = linear.linear(h, layer.q_weight, layer.q_bias).view({total, heads, head_dim});
      at::Tensor k = linear.linear(h, layer.k_weight, layer.k_bias).view({total, kv_heads, head_dim});
      at::Tensor v = linear.linear(h, layer.v_weight, layer.v_bias).view({total, kv_heads, head_dim});
      if (config_.qk_norm) {
        q = detail::rms_norm(q, layer.q_norm, eps);
        k = detail::rms_norm(k, layer.k_norm, eps);
      }
      q = detail::apply_rotary(q, query_rotary);
      k = detail::apply_rotary(k, key_rotary);

      pool.write(layer_index, slots.slot_mapping, k, v);
      const at::Tensor attended =  // [total, heads, head_dim]
          attention.forward(attention_args(slots, pool, layer_index, q, /*scale=*/1.0, layer.window));
      x.add_(linear.linear(attended.reshape({total, heads * head_dim}), layer.o_weight, layer.o_bias));

      h = detail::rms_norm(x, layer.post_norm, eps);
      at::Tensor gate = linear.linear(h, layer.gate_weight, layer.gate_bias);
      at::silu_(gate).mul_(linear.linear(h, layer.up_weight, layer.up_bias));
      x.add_(linear.linear(gate, layer.down_weight, layer.down_bias));
    }

    ForwardOutput output;
    output.row_offsets = std::move(rows.row_offsets);
    const auto wanted = static_cast<std::int64_t>(rows.wanted_rows.size());
    bool every_row = wanted == total;
    for (std::int64_t i = 0; every_row && i < wanted; ++i) every_row = rows.wanted_rows[static_cast<std::size_t>(i)] == i;
    at::Tensor selected = every_row ? x : x.index_select(0, at::tensor(rows.wanted_rows, index_options).to(device));
    at::Tensor normed = detail::rms_norm(selected, final_norm_, eps);  // [wanted, hidden]
    // float32 is enough for sampling; float64 models keep float64 for exactness tests.
    const c10::ScalarType logits_dtype = dtype == at::kDouble ? at::kDouble : at::kFloat;
    output.logits = linear.linear(normed, lm_head_, at::Tensor()).to(at::kCPU, logits_dtype).contiguous();  // [wanted, vocab]
    if (options.return_hidden) output.hidden = normed;
    return output;
  } catch (...) {
    state.rollback({&kv, 1}, lengths_before);
    throw;
  }
}

}  // namespace specrouter
