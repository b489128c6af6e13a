// paged_attention/cpu: blockwise online softmax straight out of the paged cache.
//
// For each (sequence, query head) task, the cache blocks are visited in order. Each block's
// key and value rows (of the head's key/value head) are read once and used by every new
// token of the sequence: per token, scores of the block's visible keys, then the running
// maximum, normaliser and weighted value sum are rescaled once per block (flash-attention
// style), so no [context, heads, head_dim] copy is ever made.
#include "cpu_paged_attention.h"

#include <ATen/Dispatch.h>
#include <ATen/OpMathType.h>
#include <ATen/Parallel.h>
#include <ATen/ops/empty_like.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>
#include <vector>

#include "sequence_mask.h"
#include "specrouter/state/state_errors.h"

namespace specrouter {
namespace {

using paged_attention_detail::SequenceMask;

template <class T>
T dot(const T* a, const T* b, std::int64_t n) {
  // Four independent sums: shorter dependency chains, and the compiler can vectorise.
  T s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  std::int64_t d = 0;
  for (; d + 4 <= n; d += 4) {
    s0 += a[d] * b[d];
    s1 += a[d + 1] * b[d + 1];
    s2 += a[d + 2] * b[d + 2];
    s3 += a[d + 3] * b[d + 3];
  }
  for (; d < n; ++d) s0 += a[d] * b[d];
  return (s0 + s1) + (s2 + s3);
}

struct Batch {
  const std::int32_t* tables;   // [num_seqs, max_blocks]
  std::int64_t max_blocks;
  const std::int64_t* context;  // [num_seqs]
  const std::int64_t* start;    // [num_seqs + 1]
  const std::vector<SequenceMask>* masks;
};

template <class scalar_t>
void attend(const PagedAttentionArgs& args, const at::Tensor& query, const at::Tensor& key_cache,
            const at::Tensor& value_cache, at::Tensor& output, const Batch& batch) {
  using acc_t = at::opmath_type<scalar_t>;
  constexpr bool kSameType = std::is_same_v<scalar_t, acc_t>;
  const std::int64_t num_seqs = static_cast<std::int64_t>(batch.masks->size());
  const std::int64_t num_heads = query.size(1);
  const std::int64_t head_dim = query.size(2);
  const std::int64_t block_size = key_cache.size(1);
  const std::int64_t num_kv_heads = key_cache.size(2);
  const std::int64_t group = num_heads / num_kv_heads;
  const acc_t scale = static_cast<acc_t>(args.scale);
  const scalar_t* q_data = query.data_ptr<scalar_t>();
  const scalar_t* k_data = key_cache.data_ptr<scalar_t>();
  const scalar_t* v_data = value_cache.data_ptr<scalar_t>();
  scalar_t* out_data = output.data_ptr<scalar_t>();
  const std::int64_t row_stride = num_kv_heads * head_dim;  // between positions of one head in a block

  at::parallel_for(0, num_seqs * num_heads, 1, [&](std::int64_t begin, std::int64_t end) {
    std::vector<acc_t> queries, sums, maxima, norms, scores(static_cast<std::size_t>(block_size));
    std::vector<acc_t> key_rows, value_rows;  // converted rows of one block, 16-bit inputs only
    if constexpr (!kSameType) {
      key_rows.resize(static_cast<std::size_t>(block_size * head_dim));
      value_rows.resize(static_cast<std::size_t>(block_size * head_dim));
    }
    for (std::int64_t task = begin; task < end; ++task) {
      const std::int64_t s = task / num_heads;
      const std::int64_t head = task % num_heads;
      const std::int64_t kv_head = head / group;
      const std::int64_t first_token = batch.start[s];
      const std::int64_t count = batch.start[s + 1] - first_token;
      if (count == 0) continue;
      const SequenceMask& mask = (*batch.masks)[static_cast<std::size_t>(s)];
      const std::int64_t context_len = batch.context[s];
      const std::int64_t prefix = mask.prefix();

      queries.resize(static_cast<std::size_t>(count * head_dim));  // [count, head_dim], pre-scaled
      for (std::int64_t j = 0; j < count; ++j) {
        const scalar_t* q = q_data + ((first_token + j) * num_heads + head) * head_dim;
        for (std::int64_t d = 0; d < head_dim; ++d) queries[static_cast<std::size_t>(j * head_dim + d)] = static_cast<acc_t>(q[d]) * scale;
      }
      sums.assign(static_cast<std::size_t>(count * head_dim), acc_t(0));  // [count, head_dim]
      maxima.assign(static_cast<std::size_t>(count), -std::numeric_limits<acc_t>::infinity());
      norms.assign(static_cast<std::size_t>(count), acc_t(0));

      // Positions before every token's window are skipped block by block.
      std::int64_t lowest = context_len;
      for (std::int64_t j = 0; j < count; ++j) lowest = std::min(lowest, mask.first_visible(j));
      const std::int64_t num_blocks = (context_len + block_size - 1) / block_size;
      for (std::int64_t b = lowest / block_size; b < num_blocks; ++b) {
        const std::int64_t block_start = b * block_size;
        const std::int64_t valid = std::min(block_size, context_len - block_start);
        const std::int64_t block = batch.tables[s * batch.max_blocks + b];
        const scalar_t* k_block = k_data + (block * block_size * num_kv_heads + kv_head) * head_dim;
        const scalar_t* v_block = v_data + (block * block_size * num_kv_heads + kv_head) * head_dim;
        const acc_t* keys;
        const acc_t* values;
        std::int64_t stride;
        if constexpr (kSameType) {
          keys = k_block;
          values = v_block;
          stride = row_stride;
        } else {
          for (std::int64_t t = 0; t < valid; ++t) {
            for (std::int64_t d = 0; d < head_dim; ++d) {
              key_rows[static_cast<std::size_t>(t * head_dim + d)] = static_cast<acc_t>(k_block[t * row_stride + d]);
              value_rows[static_cast<std::size_t>(t * head_dim + d)] = static_cast<acc_t>(v_block[t * row_stride + d]);
            }
          }
          keys = key_rows.data();
          values = value_rows.data();
          stride = head_dim;
        }
        for (std::int64_t j = 0; j < count; ++j) {
          // Stored positions below first_visible are outside the window (a key's position
          // never exceeds its storage position); at or past visible_end, not an ancestor.
          const std::int64_t t_begin = std::max<std::int64_t>(0, mask.first_visible(j) - block_start);
          const std::int64_t t_end = std::min(valid, mask.visible_end(j) - block_start);
          if (t_begin >= t_end) continue;
          const acc_t* q = queries.data() + j * head_dim;
          acc_t block_max = -std::numeric_limits<acc_t>::infinity();
          for (std::int64_t t = t_begin; t < t_end; ++t) {
            const std::int64_t storage = block_start + t;
            if (storage >= prefix && !mask.sees(j, storage)) {
              scores[static_cast<std::size_t>(t)] = -std::numeric_limits<acc_t>::infinity();
              continue;
            }
            const acc_t score = dot(q, keys + t * stride, head_dim);
            scores[static_cast<std::size_t>(t)] = score;
            block_max = std::max(block_max, score);
          }
          if (block_max == -std::numeric_limits<acc_t>::infinity()) continue;
          acc_t& running_max = maxima[static_cast<std::size_t>(j)];
          acc_t& norm = norms[static_cast<std::size_t>(j)];
          acc_t* sum = sums.data() + j * head_dim;
          if (block_max > running_max) {
            const acc_t correction = std::exp(running_max - block_max);  // 0 on the first visible block
            norm *= correction;
            for (std::int64_t d = 0; d < head_dim; ++d) sum[d] *= correction;
            running_max = block_max;
          }
          for (std::int64_t t = t_begin; t < t_end; ++t) {
            const acc_t score = scores[static_cast<std::size_t>(t)];
            if (score == -std::numeric_limits<acc_t>::infinity()) continue;
            const acc_t weight = std::exp(score - running_max);
            norm += weight;
            const acc_t* value = values + t * stride;
            for (std::int64_t d = 0; d < head_dim; ++d) sum[d] += weight * value[d];
          }
        }
      }
      for (std::int64_t j = 0; j < count; ++j) {
        scalar_t* out = out_data + ((first_token + j) * num_heads + head) * head_dim;
        const acc_t inverse = acc_t(1) / norms[static_cast<std::size_t>(j)];  // > 0: a token always sees itself
        for (std::int64_t d = 0; d < head_dim; ++d) out[d] = static_cast<scalar_t>(sums[static_cast<std::size_t>(j * head_dim + d)] * inverse);
      }
    }
  });
}

}  // namespace

at::Tensor CpuPagedAttention::forward(const PagedAttentionArgs& args) const {
  check_paged_attention_args(args);
  if (!args.query.device().is_cpu()) {
    throw KvStateError("paged_attention/cpu: tensors must be on the CPU, query is on " + args.query.device().str());
  }
  // Pool layer views are contiguous already; anything else is made so (a copy).
  const at::Tensor query = args.query.contiguous();
  const at::Tensor key_cache = args.key_cache.contiguous();
  const at::Tensor value_cache = args.value_cache.contiguous();
  const at::Tensor tables = args.block_tables.contiguous();
  const at::Tensor context = args.context_lens.contiguous();
  const at::Tensor start = args.query_start.contiguous();
  const at::Tensor parents = args.tree_parents.defined() ? args.tree_parents.contiguous() : at::Tensor();

  const std::int64_t num_seqs = tables.size(0);
  const auto* context_data = context.data_ptr<std::int64_t>();
  const auto* start_data = start.data_ptr<std::int64_t>();
  std::vector<SequenceMask> masks;
  masks.reserve(static_cast<std::size_t>(num_seqs));
  for (std::int64_t s = 0; s < num_seqs; ++s) {
    const std::int64_t count = start_data[s + 1] - start_data[s];
    masks.emplace_back(context_data[s] - count, count,
                       parents.defined() ? parents.data_ptr<std::int32_t>() + start_data[s] : nullptr,
                       args.sliding_window);
  }
  const Batch batch{tables.data_ptr<std::int32_t>(), tables.size(1), context_data, start_data, &masks};

  at::Tensor output = at::empty_like(query);  // [num_tokens, num_heads, head_dim]
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, query.scalar_type(), "paged_attention_cpu", [&] {
    attend<scalar_t>(args, query, key_cache, value_cache, output, batch);
  });
  return output;
}

}  // namespace specrouter
