#include "specrouter/model/transformer_model.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <unordered_set>

#include <ATen/TensorOperators.h>
#include <ATen/ops/embedding.h>
#include <ATen/ops/empty.h>
#include <ATen/ops/linear.h>
#include <ATen/ops/silu.h>
#include <ATen/ops/tensor.h>
#include <c10/core/InferenceMode.h>

#include "attention.h"
#include "specrouter/error.h"
#include "transformer_ops.h"

namespace specrouter {
namespace {

std::string dtype_name(c10::ScalarType dtype) { return c10::toString(dtype); }

// One sequence of the batch, validated and laid out.
struct PlannedSequence {
  SequenceId sequence = 0;
  std::int64_t offset = 0;  // first row of its tokens in the concatenated batch
  detail::SequenceLayout layout;
  std::vector<detail::AttentionMask> masks;  // one per distinct window
};

// Token ids, rotary positions and wanted rows of the whole batch, on the host.
struct BatchRows {
  std::vector<std::int64_t> token_ids;
  std::vector<std::int64_t> positions;
  std::vector<std::int64_t> wanted_rows;
  std::vector<std::int64_t> row_offsets{0};
};

void lay_out(const SequenceInput& input, std::int64_t vocab_size, detail::SequenceLayout& layout) {
  const std::string where = "forward: sequence " + std::to_string(input.sequence);
  const auto count = static_cast<std::int64_t>(input.tokens.size());
  if (count == 0) throw UsageError(where + " brings no tokens");
  for (std::int64_t i = 0; i < count; ++i) {
    const TokenId token = input.tokens[static_cast<std::size_t>(i)];
    if (token < 0 || token >= vocab_size) {
      throw UsageError(where + ": token " + std::to_string(i) + " = " + std::to_string(token) +
                       " is outside the vocabulary of " + std::to_string(vocab_size));
    }
  }
  layout.count = count;
  layout.tree = !input.parents.empty();
  if (layout.tree && static_cast<std::int64_t>(input.parents.size()) != count) {
    throw UsageError(where + ": " + std::to_string(input.parents.size()) + " parents for " + std::to_string(count) +
                     " tokens");
  }
  layout.parent.resize(static_cast<std::size_t>(count));
  layout.depth.resize(static_cast<std::size_t>(count));
  for (std::int64_t i = 0; i < count; ++i) {
    const std::int32_t parent = layout.tree ? input.parents[static_cast<std::size_t>(i)] : static_cast<std::int32_t>(i - 1);
    if (parent < -1 || parent >= i) {
      throw UsageError(where + ": parent of token " + std::to_string(i) + " is " + std::to_string(parent) +
                       "; it must be -1 or the index of an earlier token");
    }
    layout.parent[static_cast<std::size_t>(i)] = parent;
    layout.depth[static_cast<std::size_t>(i)] = parent < 0 ? 0 : layout.depth[static_cast<std::size_t>(parent)] + 1;
  }
}

void add_wanted_rows(const SequenceInput& input, std::int64_t offset, std::int64_t count, BatchRows& rows) {
  switch (input.logits) {
    case LogitsWanted::kLast:
      rows.wanted_rows.push_back(offset + count - 1);
      break;
    case LogitsWanted::kAll:
      for (std::int64_t i = 0; i < count; ++i) rows.wanted_rows.push_back(offset + i);
      break;
    case LogitsWanted::kListed:
      for (std::int32_t index : input.logits_for) {
        if (index < 0 || index >= count) {
          throw UsageError("forward: sequence " + std::to_string(input.sequence) + " asks logits for token " +
                           std::to_string(index) + " of " + std::to_string(count));
        }
        rows.wanted_rows.push_back(offset + index);
      }
      break;
    case LogitsWanted::kNone:
      break;
  }
  rows.row_offsets.push_back(static_cast<std::int64_t>(rows.wanted_rows.size()));
}

void check_cache_shape(const KvCacheShape& expected, const KvCacheShape& actual) {
  if (expected.num_layers != actual.num_layers || expected.num_kv_heads != actual.num_kv_heads ||
      expected.head_dim != actual.head_dim || expected.dtype != actual.dtype || expected.device != actual.device) {
    throw UsageError("forward: the KV cache has " + std::to_string(actual.num_layers) + " layers x " +
                     std::to_string(actual.num_kv_heads) + " heads x " + std::to_string(actual.head_dim) + " " +
                     dtype_name(actual.dtype) + " on " + actual.device.str() + ", the model needs " +
                     std::to_string(expected.num_layers) + " x " + std::to_string(expected.num_kv_heads) + " x " +
                     std::to_string(expected.head_dim) + " " + dtype_name(expected.dtype) + " on " +
                     expected.device.str());
  }
}

}  // namespace

TransformerModel::TransformerModel(const ModelConfig& config, const ModelOptions& options)
    : config_(config), options_(options) {
  max_context_ = options.max_context > 0 ? options.max_context : config.max_position_embeddings;
  options_.max_context = max_context_;
  if (!options_.linear) options_.linear = reference_linear();
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

KvCacheShape TransformerModel::kv_cache_shape() const {
  KvCacheShape shape;
  shape.num_layers = config_.num_hidden_layers;
  shape.num_kv_heads = config_.num_key_value_heads;
  shape.head_dim = config_.head_dim;
  shape.max_length = max_context_;
  shape.dtype = options_.dtype;
  shape.device = options_.device;
  return shape;
}

ForwardOutput TransformerModel::forward(std::span<const SequenceInput> batch, KvCache& cache,
                                        const ForwardOptions& options) {
  c10::InferenceMode guard;
  check_cache_shape(kv_cache_shape(), cache.shape());

  // Distinct attention windows of the layers; each sequence gets one mask per window.
  std::vector<std::optional<std::int64_t>> windows;
  std::vector<std::size_t> layer_window_index;
  for (const Layer& layer : layers_) {
    auto it = std::find(windows.begin(), windows.end(), layer.window);
    if (it == windows.end()) it = windows.insert(windows.end(), layer.window);
    layer_window_index.push_back(static_cast<std::size_t>(it - windows.begin()));
  }

  // Validate everything before the cache changes.
  std::vector<PlannedSequence> plan(batch.size());
  BatchRows rows;
  std::unordered_set<SequenceId> seen;
  std::int64_t total = 0;
  for (std::size_t b = 0; b < batch.size(); ++b) {
    const SequenceInput& input = batch[b];
    if (!cache.contains(input.sequence)) {
      throw UsageError("forward: sequence " + std::to_string(input.sequence) + " is not in the KV cache");
    }
    if (!seen.insert(input.sequence).second) {
      throw UsageError("forward: sequence " + std::to_string(input.sequence) + " appears twice in the batch");
    }
    PlannedSequence& planned = plan[b];
    planned.sequence = input.sequence;
    planned.offset = total;
    lay_out(input, config_.vocab_size, planned.layout);
    planned.layout.cached = cache.length(input.sequence);
    if (planned.layout.cached + planned.layout.count > max_context_) {
      throw CapacityError("forward: sequence " + std::to_string(input.sequence) + " would hold " +
                          std::to_string(planned.layout.cached + planned.layout.count) +
                          " positions, more than the model's context of " + std::to_string(max_context_));
    }
    for (std::int64_t i = 0; i < planned.layout.count; ++i) {
      rows.token_ids.push_back(input.tokens[static_cast<std::size_t>(i)]);
      rows.positions.push_back(planned.layout.cached + planned.layout.depth[static_cast<std::size_t>(i)]);
    }
    add_wanted_rows(input, total, planned.layout.count, rows);
    total += planned.layout.count;
  }

  std::size_t appended = 0;
  try {
    for (; appended < plan.size(); ++appended) cache.append(plan[appended].sequence, plan[appended].layout.count);

    const c10::Device device = options_.device;
    const c10::ScalarType dtype = options_.dtype;
    const std::int64_t heads = config_.num_attention_heads;
    const std::int64_t kv_heads = config_.num_key_value_heads;
    const std::int64_t head_dim = config_.head_dim;
    const double eps = config_.rms_norm_eps;
    const LinearKernel& linear = *options_.linear;
    const auto index_options = at::TensorOptions().dtype(at::kLong);

    for (PlannedSequence& planned : plan) {
      for (const auto& window : windows) {
        planned.masks.push_back(detail::build_attention_mask(planned.layout, window, device));
      }
    }

    at::Tensor ids = at::tensor(rows.token_ids, index_options).to(device);
    at::Tensor positions = at::tensor(rows.positions, index_options).to(device);
    const detail::RotaryTables key_rotary = detail::rotary_tables(inv_freq_, positions, dtype);
    // The attention scale is folded into the query's rotation: one multiply per pass.
    const double scale = 1.0 / std::sqrt(static_cast<double>(head_dim));
    const detail::RotaryTables query_rotary{key_rotary.cos * scale, key_rotary.sin_signed * scale};

    at::Tensor x = at::embedding(embed_tokens_, ids);  // [total, hidden]
    for (std::size_t index = 0; index < layers_.size(); ++index) {
      const Layer& layer = layers_[index];
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

      at::Tensor attended;  // [total, heads, head_dim]
      if (plan.size() > 1) attended = at::empty({total, heads, head_dim}, x.options());
      for (const PlannedSequence& planned : plan) {
        const std::int64_t count = planned.layout.count;
        const auto layer_index = static_cast<std::int64_t>(index);
        cache.write(layer_index, planned.sequence, planned.layout.cached, k.narrow(0, planned.offset, count),
                    v.narrow(0, planned.offset, count));
        at::Tensor out = detail::attend(q.narrow(0, planned.offset, count), cache.read(layer_index, planned.sequence),
                                        planned.masks[layer_window_index[index]]);
        if (plan.size() > 1) {
          attended.narrow(0, planned.offset, count).copy_(out);
        } else {
          attended = out;
        }
      }
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
    for (std::size_t b = 0; b < appended; ++b) cache.truncate(plan[b].sequence, plan[b].layout.cached);
    throw;
  }
}

}  // namespace specrouter
