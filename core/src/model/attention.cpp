#include "attention.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include <ATen/TensorOperators.h>
#include <ATen/ops/empty.h>
#include <ATen/ops/matmul.h>
#include <ATen/ops/scaled_dot_product_attention.h>
#include <ATen/ops/softmax.h>

namespace specrouter::detail {
namespace {

// Up to this many new tokens (drafts, verification, decoding) attention runs as two
// matmuls and a softmax over all heads of a group at once, which beats the fused kernel
// for short queries on CPU; longer queries (prefill) use scaled_dot_product_attention,
// whose memory does not grow with queries x keys x heads.
constexpr std::int64_t kShortQuery = 16;

}  // namespace

AttentionMask build_attention_mask(const SequenceLayout& layout, std::optional<std::int64_t> window,
                                   std::int64_t groups, c10::Device device) {
  const std::int64_t cached = layout.cached;
  const std::int64_t count = layout.count;
  AttentionMask mask;
  // Every token sits at a position >= cached, so no token sees keys before this one.
  if (window) mask.first_key = std::clamp<std::int64_t>(cached - *window + 1, 0, cached);
  // One token sees every key from first_key on: nothing to mask.
  if (count == 1) return mask;
  if (!layout.tree && cached == 0 && count > kShortQuery && (!window || *window >= count)) {
    mask.causal = true;
    return mask;
  }

  const std::int64_t width = cached + count - mask.first_key;
  at::Tensor allowed = at::empty({count, width}, at::TensorOptions().dtype(at::kBool));
  bool* rows = allowed.data_ptr<bool>();
  std::memset(rows, 0, static_cast<std::size_t>(count * width));
  const std::int64_t new_start = cached - mask.first_key;  // column of new token 0
  for (std::int64_t i = 0; i < count; ++i) {
    bool* row = rows + i * width;
    const std::int64_t position = cached + layout.depth[static_cast<std::size_t>(i)];
    for (std::int64_t key = mask.first_key; key < cached; ++key) {
      row[key - mask.first_key] = !window || position - key < *window;
    }
    const std::int32_t parent = layout.parent[static_cast<std::size_t>(i)];
    if (parent >= 0) std::memcpy(row + new_start, rows + parent * width + new_start, static_cast<std::size_t>(i));
    row[new_start + i] = true;
    if (window) {
      for (std::int64_t j = 0; j < i; ++j) {
        if (position - (cached + layout.depth[static_cast<std::size_t>(j)]) >= *window) row[new_start + j] = false;
      }
    }
  }
  if (count <= kShortQuery) {
    mask.blocked = allowed.logical_not().repeat({groups, 1}).to(device);
  } else {
    mask.allowed = allowed.to(device);
  }
  return mask;
}

at::Tensor attend(const at::Tensor& query, const LayerKv& kv, const AttentionMask& mask) {
  const std::int64_t count = query.size(0);
  const std::int64_t heads = query.size(1);
  const std::int64_t head_dim = query.size(2);
  const std::int64_t kv_heads = kv.keys.size(0);
  const std::int64_t groups = heads / kv_heads;
  at::Tensor keys = kv.keys;      // [kv_heads, keys, head_dim]
  at::Tensor values = kv.values;  // [kv_heads, keys, head_dim]
  if (mask.first_key > 0) {
    keys = keys.narrow(1, mask.first_key, keys.size(1) - mask.first_key);
    values = values.narrow(1, mask.first_key, values.size(1) - mask.first_key);
  }

  if (count <= kShortQuery && !mask.causal) {
    // Query heads of one group share a key/value head: fold them into the query rows,
    // [count, heads, d] -> [kv_heads, groups * count, d], so no key/value is repeated.
    at::Tensor grouped = query.transpose(0, 1).reshape({kv_heads, groups * count, head_dim});
    at::Tensor scores = at::matmul(grouped, keys.transpose(1, 2));  // [kv_heads, groups * count, keys]
    if (mask.blocked.defined()) scores.masked_fill_(mask.blocked, -std::numeric_limits<double>::infinity());
    const c10::ScalarType dtype = scores.scalar_type();
    at::Tensor probs = (dtype == at::kFloat || dtype == at::kDouble)
                           ? at::softmax(scores, -1)
                           : at::softmax(scores, -1, at::kFloat).to(dtype);
    at::Tensor out = at::matmul(probs, values);  // [kv_heads, groups * count, d]
    return out.view({heads, count, head_dim}).transpose(0, 1);
  }

  std::optional<at::Tensor> attn_mask;
  if (mask.allowed.defined()) attn_mask = mask.allowed;
  at::Tensor out = at::scaled_dot_product_attention(query.transpose(0, 1), keys, values, attn_mask,
                                                    /*dropout_p=*/0.0, mask.causal, /*scale=*/1.0,
                                                    /*enable_gqa=*/groups > 1);  // [heads, count, d]
  return out.transpose(0, 1);
}

}  // namespace specrouter::detail
