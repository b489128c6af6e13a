// paged_attention/cpu: blockwise online softmax straight out of the paged cache.
//
// One task per (sequence, key/value head, chunk of new tokens), run by at::parallel_for.
// A task visits the sequence's cache blocks in order; each block's keys and values of its
// key/value head are read in place (converted to float first for 16-bit inputs) and used
// by every query row of the task: the chunk's tokens times the query heads sharing that
// key/value head (grouped-query attention). Per row, the running maximum, normaliser and
// weighted value sum are rescaled once per block (flash-attention style). No
// [context, heads, head_dim] gather is ever made.
//
// The two inner loops (scores of a block, weighted sum of a block's values) are compiled
// twice, for the x86-64 baseline and for Haswell-class CPUs (AVX2, FMA), and the loader
// picks one at run time (GCC target_clones), so the plugin runs on any x86-64 machine.
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

#include "specrouter/kernels/paged_attention_mask.h"
#include "specrouter/state/state_errors.h"

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define SPECROUTER_MULTIVERSION __attribute__((target_clones("arch=haswell", "default")))
#else
#define SPECROUTER_MULTIVERSION
#endif

namespace specrouter {
namespace {

using detail::SequenceMask;

// Lanes of the register-resident partial results below: one AVX register of floats.
constexpr std::int64_t kLanes = 8;

// Dot product of one query row with one key row, kLanes partial sums in registers.
template <class T>
[[gnu::always_inline]] inline T dot(const T* __restrict query, const T* __restrict key, std::int64_t head_dim) {
  T partial[kLanes] = {};
  std::int64_t d = 0;
  for (; d + kLanes <= head_dim; d += kLanes) {
    for (std::int64_t i = 0; i < kLanes; ++i) partial[i] += query[d + i] * key[d + i];
  }
  T total = 0;
  for (; d < head_dim; ++d) total += query[d] * key[d];
  for (std::int64_t i = 0; i < kLanes; ++i) total += partial[i];
  return total;
}

// scores[r * score_stride + t] = sum_d queries[r * head_dim + d] * keys[t * key_stride + d]
// for every row r < rows and position t < width: one block's scores for all the rows of a
// task. Each key row is read straight from the cache and stays in L1 while every query
// row meets it. Four rows at a time: four independent chains of fused multiply-adds
// (one chain would wait on the adder's latency) sharing each load of the key.
template <class T>
[[gnu::always_inline]] inline void block_scores_impl(const T* __restrict queries, std::int64_t rows,
                                                     std::int64_t head_dim, const T* __restrict keys,
                                                     std::int64_t key_stride, std::int64_t width, T* __restrict scores,
                                                     std::int64_t score_stride) {
  constexpr std::int64_t kRows = 4;
  for (std::int64_t t = 0; t < width; ++t) {
    const T* key = keys + t * key_stride;
    std::int64_t r = 0;
    for (; r + kRows <= rows && head_dim % kLanes == 0; r += kRows) {
      T partial[kRows][kLanes] = {};
      for (std::int64_t d = 0; d < head_dim; d += kLanes) {
        for (std::int64_t k = 0; k < kRows; ++k) {
          const T* query = queries + (r + k) * head_dim + d;
          for (std::int64_t i = 0; i < kLanes; ++i) partial[k][i] += query[i] * key[d + i];
        }
      }
      for (std::int64_t k = 0; k < kRows; ++k) {
        T total = 0;
        for (std::int64_t i = 0; i < kLanes; ++i) total += partial[k][i];
        scores[(r + k) * score_stride + t] = total;
      }
    }
    for (; r < rows; ++r) scores[r * score_stride + t] = dot(queries + r * head_dim, key, head_dim);
  }
}

// sum[d] = sum[d] * rescale + sum_t weights[t] * values[t * stride + d]. Dimensions go in
// groups of kWide (four independent vectors) held in registers over the block's positions.
template <class T>
[[gnu::always_inline]] inline void block_accumulate_impl(T* __restrict sum, T rescale, const T* __restrict weights,
                                                         const T* __restrict values, std::int64_t stride,
                                                         std::int64_t head_dim, std::int64_t width) {
  constexpr std::int64_t kWide = 4 * kLanes;
  std::int64_t d0 = 0;
  for (; d0 + kWide <= head_dim; d0 += kWide) {
    T partial[kWide];
    for (std::int64_t i = 0; i < kWide; ++i) partial[i] = sum[d0 + i] * rescale;
    for (std::int64_t t = 0; t < width; ++t) {
      const T weight = weights[t];
      const T* value = values + t * stride + d0;
      for (std::int64_t i = 0; i < kWide; ++i) partial[i] += weight * value[i];
    }
    for (std::int64_t i = 0; i < kWide; ++i) sum[d0 + i] = partial[i];
  }
  for (std::int64_t d = d0; d < head_dim; ++d) {
    T partial = sum[d] * rescale;
    for (std::int64_t t = 0; t < width; ++t) partial += weights[t] * values[t * stride + d];
    sum[d] = partial;
  }
}

SPECROUTER_MULTIVERSION void block_scores(const float* q, std::int64_t rows, std::int64_t head_dim, const float* k,
                                          std::int64_t key_stride, std::int64_t width, float* s,
                                          std::int64_t score_stride) {
  block_scores_impl(q, rows, head_dim, k, key_stride, width, s, score_stride);
}
SPECROUTER_MULTIVERSION void block_scores(const double* q, std::int64_t rows, std::int64_t head_dim, const double* k,
                                          std::int64_t key_stride, std::int64_t width, double* s,
                                          std::int64_t score_stride) {
  block_scores_impl(q, rows, head_dim, k, key_stride, width, s, score_stride);
}
SPECROUTER_MULTIVERSION void block_accumulate(float* sum, float rescale, const float* w, const float* v,
                                              std::int64_t stride, std::int64_t head_dim, std::int64_t width) {
  block_accumulate_impl(sum, rescale, w, v, stride, head_dim, width);
}
SPECROUTER_MULTIVERSION void block_accumulate(double* sum, double rescale, const double* w, const double* v,
                                              std::int64_t stride, std::int64_t head_dim, std::int64_t width) {
  block_accumulate_impl(sum, rescale, w, v, stride, head_dim, width);
}

// New tokens per task: small enough to spread one long prefill over threads, large
// enough that a block's keys serve many rows.
constexpr std::int64_t kTokensPerTask = 32;

struct Batch {
  const std::int32_t* tables;   // [num_seqs, max_blocks]
  std::int64_t max_blocks;
  const std::int64_t* context;  // [num_seqs]
  const std::int64_t* start;    // [num_seqs + 1]
  const std::vector<SequenceMask>* masks;
};

// One unit of work: a chunk of one sequence's new tokens, for one key/value head.
struct Task {
  std::int64_t sequence;
  std::int64_t kv_head;
  std::int64_t first;  // first new token of the chunk (index within the sequence)
  std::int64_t count;  // tokens in the chunk
};

template <class scalar_t>
void attend(const PagedAttentionArgs& args, const at::Tensor& query, const at::Tensor& key_cache,
            const at::Tensor& value_cache, at::Tensor& output, const Batch& batch, const std::vector<Task>& tasks) {
  using acc_t = at::opmath_type<scalar_t>;
  constexpr bool kSameType = std::is_same_v<scalar_t, acc_t>;
  constexpr acc_t kMinusInfinity = -std::numeric_limits<acc_t>::infinity();
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

  at::parallel_for(0, static_cast<std::int64_t>(tasks.size()), 1, [&](std::int64_t begin, std::int64_t end) {
    std::vector<acc_t> queries, sums, maxima, norms, scores;
    std::vector<acc_t> key_rows, value_rows;  // [block_size, head_dim] converted rows, 16-bit inputs only
    if constexpr (!kSameType) {
      key_rows.resize(static_cast<std::size_t>(block_size * head_dim));
      value_rows.resize(static_cast<std::size_t>(block_size * head_dim));
    }
    for (std::int64_t index = begin; index < end; ++index) {
      const Task& task = tasks[static_cast<std::size_t>(index)];
      const std::int64_t s = task.sequence;
      const SequenceMask& mask = (*batch.masks)[static_cast<std::size_t>(s)];
      const std::int64_t context_len = batch.context[s];
      const std::int64_t prefix = mask.prefix();
      const std::int64_t rows = task.count * group;  // row r: token first + r / group, head kv_head * group + r % group
      auto token_of = [&](std::int64_t row) { return task.first + row / group; };
      auto head_of = [&](std::int64_t row) { return task.kv_head * group + row % group; };

      queries.resize(static_cast<std::size_t>(rows * head_dim));  // [rows, head_dim], pre-scaled
      for (std::int64_t r = 0; r < rows; ++r) {
        const scalar_t* q = q_data + ((batch.start[s] + token_of(r)) * num_heads + head_of(r)) * head_dim;
        for (std::int64_t d = 0; d < head_dim; ++d) queries[static_cast<std::size_t>(r * head_dim + d)] = static_cast<acc_t>(q[d]) * scale;
      }
      sums.assign(static_cast<std::size_t>(rows * head_dim), acc_t(0));
      maxima.assign(static_cast<std::size_t>(rows), kMinusInfinity);
      norms.assign(static_cast<std::size_t>(rows), acc_t(0));
      scores.resize(static_cast<std::size_t>(rows * block_size));  // [rows, block_size]

      // Only blocks some token of the chunk can see: from the earliest window start to the
      // furthest visible position.
      std::int64_t lowest = context_len, highest = 0;
      for (std::int64_t j = task.first; j < task.first + task.count; ++j) {
        lowest = std::min(lowest, mask.first_visible(j));
        highest = std::max(highest, mask.visible_end(j));
      }
      const std::int64_t last_block = (std::min(highest, context_len) + block_size - 1) / block_size;
      for (std::int64_t b = lowest / block_size; b < last_block; ++b) {
        const std::int64_t block_start = b * block_size;
        const std::int64_t valid = std::min(block_size, context_len - block_start);
        const std::int64_t block = batch.tables[s * batch.max_blocks + b];
        const scalar_t* k_block = k_data + (block * block_size * num_kv_heads + task.kv_head) * head_dim;
        const scalar_t* v_block = v_data + (block * block_size * num_kv_heads + task.kv_head) * head_dim;
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
        block_scores(queries.data(), rows, head_dim, keys, stride, valid, scores.data(), block_size);
        for (std::int64_t r = 0; r < rows; ++r) {
          const std::int64_t j = token_of(r);
          // Stored positions below first_visible are outside the window (a key's position
          // never exceeds its storage position); at or past visible_end, not an ancestor.
          const std::int64_t t_begin = std::max<std::int64_t>(0, mask.first_visible(j) - block_start);
          const std::int64_t t_end = std::min(valid, mask.visible_end(j) - block_start);
          if (t_begin >= t_end) continue;
          const std::int64_t width = t_end - t_begin;
          acc_t* row_scores = scores.data() + r * block_size + t_begin;
          acc_t block_max = kMinusInfinity;
          for (std::int64_t t = 0; t < width; ++t) {
            const std::int64_t storage = block_start + t_begin + t;
            if (storage >= prefix && !mask.sees(j, storage)) row_scores[t] = kMinusInfinity;
            block_max = std::max(block_max, row_scores[t]);
          }
          if (block_max == kMinusInfinity) continue;
          acc_t& running_max = maxima[static_cast<std::size_t>(r)];
          const acc_t new_max = std::max(running_max, block_max);
          const acc_t rescale = std::exp(running_max - new_max);  // 0 on the first visible block
          running_max = new_max;
          acc_t added = 0;
          for (std::int64_t t = 0; t < width; ++t) {
            row_scores[t] = row_scores[t] == kMinusInfinity ? acc_t(0) : std::exp(row_scores[t] - new_max);
            added += row_scores[t];
          }
          norms[static_cast<std::size_t>(r)] = norms[static_cast<std::size_t>(r)] * rescale + added;
          block_accumulate(sums.data() + r * head_dim, rescale, row_scores, values + t_begin * stride, stride,
                           head_dim, width);
        }
      }
      for (std::int64_t r = 0; r < rows; ++r) {
        scalar_t* out = out_data + ((batch.start[s] + token_of(r)) * num_heads + head_of(r)) * head_dim;
        const acc_t inverse = acc_t(1) / norms[static_cast<std::size_t>(r)];  // > 0: a token always sees itself
        for (std::int64_t d = 0; d < head_dim; ++d) out[d] = static_cast<scalar_t>(sums[static_cast<std::size_t>(r * head_dim + d)] * inverse);
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
  const std::int64_t num_kv_heads = key_cache.size(2);
  const auto* context_data = context.data_ptr<std::int64_t>();
  const auto* start_data = start.data_ptr<std::int64_t>();
  std::vector<SequenceMask> masks;
  std::vector<Task> tasks;
  masks.reserve(static_cast<std::size_t>(num_seqs));
  for (std::int64_t s = 0; s < num_seqs; ++s) {
    const std::int64_t count = start_data[s + 1] - start_data[s];
    masks.emplace_back(context_data[s] - count, count,
                       parents.defined() ? parents.data_ptr<std::int32_t>() + start_data[s] : nullptr,
                       args.sliding_window);
    for (std::int64_t first = 0; first < count; first += kTokensPerTask) {
      for (std::int64_t kv_head = 0; kv_head < num_kv_heads; ++kv_head) {
        tasks.push_back({s, kv_head, first, std::min(kTokensPerTask, count - first)});
      }
    }
  }
  const Batch batch{tables.data_ptr<std::int32_t>(), tables.size(1), context_data, start_data, &masks};

  at::Tensor output = at::empty_like(query);  // [num_tokens, num_heads, head_dim]
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, query.scalar_type(), "paged_attention_cpu", [&] {
    attend<scalar_t>(args, query, key_cache, value_cache, output, batch, tasks);
  });
  return output;
}

}  // namespace specrouter
