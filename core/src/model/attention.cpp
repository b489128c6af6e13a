#include "attention.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include <ATen/TensorOperators.h>
#include <ATen/ops/arange.h>
#include <ATen/ops/empty.h>
#include <ATen/ops/matmul.h>
#include <ATen/ops/softmax.h>

namespace specrouter::detail {
namespace {

// Builds the full [count, cached + count] "may attend" matrix of a sequence on the host.
at::Tensor allowed_matrix(const SequenceLayout& layout, std::optional<std::int64_t> window) {
  const std::int64_t cached = layout.cached;
  const std::int64_t count = layout.count;
  const std::int64_t width = cached + count;
  at::Tensor allowed = at::empty({count, width}, at::TensorOptions().dtype(at::kBool));
  bool* rows = allowed.data_ptr<bool>();
  std::memset(rows, 0, static_cast<std::size_t>(count * width));
  for (std::int64_t i = 0; i < count; ++i) {
    bool* row = rows + i * width;
    const std::int64_t position = cached + layout.depth[static_cast<std::size_t>(i)];
    for (std::int64_t key = 0; key < cached; ++key) row[key] = !window || position - key < *window;
    // A token sees its parent's new-token ancestors and itself.
    const std::int32_t parent = layout.parent[static_cast<std::size_t>(i)];
    if (parent >= 0) std::memcpy(row + cached, rows + parent * width + cached, static_cast<std::size_t>(i));
    row[cached + i] = true;
    if (window) {
      for (std::int64_t j = 0; j < i; ++j) {
        if (position - (cached + layout.depth[static_cast<std::size_t>(j)]) >= *window) row[cached + j] = false;
      }
    }
  }
  return allowed;
}

// The mask of a chain chunk from positions: key k is hidden from the query at position q
// when k > q (the future) or q - k >= window (too far back).
at::Tensor blocked_from_positions(const AttentionMask& mask, const ChunkMask& chunk, c10::Device device) {
  const auto options = at::TensorOptions().dtype(at::kLong).device(device);
  at::Tensor keys = at::arange(chunk.first_key, chunk.key_end, options).unsqueeze(0);  // [1, keys]
  const std::int64_t first = mask.cached + chunk.first_query;
  at::Tensor queries = at::arange(first, first + chunk.rows, options).unsqueeze(1);  // [rows, 1]
  at::Tensor blocked = keys > queries;
  if (mask.window) blocked.logical_or_(queries - keys >= *mask.window);
  return blocked;
}

}  // namespace

AttentionMask build_attention_mask(const SequenceLayout& layout, std::optional<std::int64_t> window,
                                   c10::Device device) {
  AttentionMask mask;
  mask.cached = layout.cached;
  mask.window = window;
  const std::int64_t cached = layout.cached;
  const std::int64_t count = layout.count;
  // Every token sits at a position >= cached, so none sees keys before this one.
  const std::int64_t first_key = window ? std::clamp<std::int64_t>(cached - *window + 1, 0, cached) : 0;
  // Trees need their ancestry spelled out; a chain longer than one chunk (a prompt) gets
  // its mask from positions, chunk by chunk, instead of a [count, keys] matrix.
  const bool store = layout.tree || count <= kQueryChunk;
  at::Tensor allowed = (store && count > 1) ? allowed_matrix(layout, window) : at::Tensor();

  for (std::int64_t start = 0; start < count; start += kQueryChunk) {
    ChunkMask chunk;
    chunk.first_query = start;
    chunk.rows = std::min(kQueryChunk, count - start);
    // Parents precede children, so no token of the chunk sees a later new token.
    chunk.key_end = cached + start + chunk.rows;
    chunk.first_key = first_key;
    if (window && !layout.tree) chunk.first_key = std::max(first_key, cached + start - *window + 1);
    if (count > 1) {
      if (store) {
        chunk.blocked = allowed.narrow(0, start, chunk.rows)
                            .narrow(1, chunk.first_key, chunk.key_end - chunk.first_key)
                            .logical_not()
                            .to(device);
      } else {
        chunk.from_positions = true;
      }
    }
    mask.chunks.push_back(std::move(chunk));
  }
  return mask;
}

at::Tensor attend(const at::Tensor& query, const LayerKv& kv, const AttentionMask& mask) {
  const std::int64_t count = query.size(0);
  const std::int64_t heads = query.size(1);
  const std::int64_t head_dim = query.size(2);
  const std::int64_t kv_heads = kv.keys.size(0);
  const std::int64_t groups = heads / kv_heads;
  at::Tensor output;  // [count, heads, head_dim] when there is more than one chunk
  if (mask.chunks.size() > 1) output = at::empty({count, heads, head_dim}, query.options());

  for (const ChunkMask& chunk : mask.chunks) {
    const std::int64_t rows = chunk.rows;
    const std::int64_t width = chunk.key_end - chunk.first_key;
    at::Tensor keys = kv.keys.narrow(1, chunk.first_key, width);      // [kv_heads, width, d]
    at::Tensor values = kv.values.narrow(1, chunk.first_key, width);  // [kv_heads, width, d]
    // Query heads of one group share a key/value head: fold them into the query rows,
    // [rows, heads, d] -> [kv_heads, groups * rows, d], so no key or value is repeated.
    at::Tensor grouped = query.narrow(0, chunk.first_query, rows).transpose(0, 1).reshape({kv_heads, groups * rows, head_dim});
    at::Tensor scores = at::matmul(grouped, keys.transpose(1, 2));  // [kv_heads, groups * rows, width]
    const at::Tensor blocked = chunk.from_positions ? blocked_from_positions(mask, chunk, query.device()) : chunk.blocked;
    if (blocked.defined()) {
      // [rows, width] broadcasts over kv_heads and groups.
      scores.view({kv_heads, groups, rows, width}).masked_fill_(blocked, -std::numeric_limits<double>::infinity());
    }
    const c10::ScalarType dtype = scores.scalar_type();
    // Reduced precision: softmax in float32, as transformers' eager attention does.
    at::Tensor probs = (dtype == at::kFloat || dtype == at::kDouble) ? at::softmax(scores, -1)
                                                                     : at::softmax(scores, -1, at::kFloat).to(dtype);
    at::Tensor out = at::matmul(probs, values).view({heads, rows, head_dim}).transpose(0, 1);  // [rows, heads, d]
    if (!output.defined()) return out;
    output.narrow(0, chunk.first_query, rows).copy_(out);
  }
  return output;
}

}  // namespace specrouter::detail
