// paged_attention kernels: the reference against attention computed directly on
// contiguous float64 K/V (paged equals contiguous, to 1e-9), and paged_attention/cpu
// against the reference over a grid of shapes, block sizes, ragged lengths, trees and
// windows, with the tolerances below.
#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "specrouter/kernels/paged_attention.h"
#include "specrouter/plugin/registries.h"
#include "specrouter/state/state_errors.h"

void specrouter_register_kernels_cpu_attention(specrouter::PluginRegistrar& registrar);

namespace specrouter {
namespace {

// Tolerance of paged_attention/cpu against paged_attention/reference, per input dtype
// (max absolute difference; inputs and outputs are O(1)). 16-bit outputs differ by the
// rounding of the last place; float32 and float64 by the summation order.
double cpu_tolerance(at::ScalarType dtype) {
  switch (dtype) {
    case at::kDouble: return 1e-12;
    case at::kFloat: return 2e-6;
    case at::kHalf: return 2e-3;
    case at::kBFloat16: return 1.6e-2;
    default: return 0.0;
  }
}

struct SequenceCase {
  std::int64_t prefix = 0;            // cached positions before the new tokens
  std::int64_t count = 0;             // new tokens
  std::vector<std::int32_t> parents;  // empty: a chain
};

struct Shape {
  std::int64_t num_heads, num_kv_heads, head_dim, block_size;
};

// A ragged batch with its K/V both contiguous (per sequence) and scattered into a pool
// through shuffled block tables.
struct Problem {
  PagedAttentionArgs args;
  std::vector<at::Tensor> keys, values;  // per sequence [context, kv_heads, head_dim], float64
  std::vector<SequenceCase> cases;
};

Problem make_problem(const Shape& shape, std::vector<SequenceCase> cases, at::ScalarType dtype,
                     std::optional<std::int64_t> window, std::uint64_t seed) {
  at::manual_seed(seed);
  std::mt19937 rng(static_cast<std::uint32_t>(seed));
  Problem problem;
  problem.cases = cases;
  const auto num_seqs = static_cast<std::int64_t>(cases.size());
  std::int64_t total_blocks = 0, max_blocks = 1, num_tokens = 0;
  for (const auto& c : cases) {
    const std::int64_t blocks = (c.prefix + c.count + shape.block_size - 1) / shape.block_size;
    total_blocks += blocks;
    max_blocks = std::max(max_blocks, blocks);
    num_tokens += c.count;
  }
  const std::int64_t num_blocks = total_blocks + 3;  // a few spare blocks that no table names
  std::vector<std::int32_t> block_ids(static_cast<std::size_t>(num_blocks));
  for (std::int64_t b = 0; b < num_blocks; ++b) block_ids[static_cast<std::size_t>(b)] = static_cast<std::int32_t>(b);
  std::shuffle(block_ids.begin(), block_ids.end(), rng);

  auto f64 = at::TensorOptions().dtype(at::kDouble);
  // Pool in float64 first (filled with noise where no sequence writes), cast at the end.
  at::Tensor key_cache = at::randn({num_blocks, shape.block_size, shape.num_kv_heads, shape.head_dim}, f64);
  at::Tensor value_cache = at::randn({num_blocks, shape.block_size, shape.num_kv_heads, shape.head_dim}, f64);
  at::Tensor tables = at::full({num_seqs, max_blocks}, 0, at::kInt);
  at::Tensor context = at::empty({num_seqs}, at::kLong);
  at::Tensor start = at::empty({num_seqs + 1}, at::kLong);
  at::Tensor parents = at::empty({num_tokens}, at::kInt);
  bool any_tree = false;
  std::size_t next_block = 0;
  std::int64_t offset = 0;
  start.data_ptr<std::int64_t>()[0] = 0;
  for (std::int64_t s = 0; s < num_seqs; ++s) {
    const SequenceCase& c = cases[static_cast<std::size_t>(s)];
    const std::int64_t context_len = c.prefix + c.count;
    // Values rounded to the kernel dtype, so every implementation sees the same numbers.
    at::Tensor k = at::randn({context_len, shape.num_kv_heads, shape.head_dim}, f64).to(dtype).to(at::kDouble);
    at::Tensor v = at::randn({context_len, shape.num_kv_heads, shape.head_dim}, f64).to(dtype).to(at::kDouble);
    problem.keys.push_back(k);
    problem.values.push_back(v);
    auto table = tables.accessor<std::int32_t, 2>();
    std::vector<std::int64_t> slots(static_cast<std::size_t>(context_len));
    for (std::int64_t p = 0; p < context_len; ++p) {
      const std::int64_t b = p / shape.block_size;
      if (p % shape.block_size == 0) table[s][b] = block_ids[next_block++];
      slots[static_cast<std::size_t>(p)] = table[s][b] * shape.block_size + p % shape.block_size;
    }
    const at::Tensor slot_index = at::tensor(slots, at::kLong);
    key_cache.view({-1, shape.num_kv_heads, shape.head_dim}).index_copy_(0, slot_index, k);
    value_cache.view({-1, shape.num_kv_heads, shape.head_dim}).index_copy_(0, slot_index, v);
    context.data_ptr<std::int64_t>()[s] = context_len;
    for (std::int64_t j = 0; j < c.count; ++j) {
      parents.data_ptr<std::int32_t>()[offset + j] =
          c.parents.empty() ? static_cast<std::int32_t>(j - 1) : c.parents[static_cast<std::size_t>(j)];
    }
    any_tree = any_tree || !c.parents.empty();
    offset += c.count;
    start.data_ptr<std::int64_t>()[s + 1] = offset;
  }
  problem.args.query = at::randn({num_tokens, shape.num_heads, shape.head_dim}, f64).to(dtype);
  problem.args.key_cache = key_cache.to(dtype);
  problem.args.value_cache = value_cache.to(dtype);
  problem.args.block_tables = tables;
  problem.args.context_lens = context;
  problem.args.query_start = start;
  if (any_tree) problem.args.tree_parents = parents;
  problem.args.sliding_window = window;
  problem.args.scale = 1.0 / std::sqrt(static_cast<double>(shape.head_dim));
  return problem;
}

// Attention computed directly from the contiguous float64 K/V with explicit loops: the
// oracle the reference must equal to 1e-9.
at::Tensor dense_attention(const Problem& problem) {
  const PagedAttentionArgs& args = problem.args;
  const at::Tensor q = args.query.to(at::kDouble);
  const std::int64_t num_heads = q.size(1), head_dim = q.size(2);
  at::Tensor out = at::zeros_like(q);
  auto q_acc = q.accessor<double, 3>();
  auto out_acc = out.accessor<double, 3>();
  std::int64_t first = 0;
  for (std::size_t s = 0; s < problem.cases.size(); ++s) {
    const SequenceCase& c = problem.cases[s];
    auto k = problem.keys[s].accessor<double, 3>();
    auto v = problem.values[s].accessor<double, 3>();
    const std::int64_t group = num_heads / problem.keys[s].size(1);
    auto parent_of = [&](std::int64_t j) -> std::int64_t {
      return c.parents.empty() ? j - 1 : c.parents[static_cast<std::size_t>(j)];
    };
    auto depth_of = [&](std::int64_t j) {
      std::int64_t depth = 0;
      for (std::int64_t a = parent_of(j); a >= 0; a = parent_of(a)) ++depth;
      return depth;
    };
    auto is_ancestor_or_self = [&](std::int64_t k_index, std::int64_t j) {
      for (std::int64_t a = j; a >= 0; a = parent_of(a)) {
        if (a == k_index) return true;
      }
      return false;
    };
    for (std::int64_t j = 0; j < c.count; ++j) {
      const std::int64_t query_position = c.prefix + depth_of(j);
      for (std::int64_t h = 0; h < num_heads; ++h) {
        std::vector<double> scores;
        std::vector<std::int64_t> keys_seen;
        for (std::int64_t p = 0; p < c.prefix + c.count; ++p) {
          const bool cached = p < c.prefix;
          if (!cached && !is_ancestor_or_self(p - c.prefix, j)) continue;
          const std::int64_t key_position = cached ? p : c.prefix + depth_of(p - c.prefix);
          if (args.sliding_window && query_position - key_position >= *args.sliding_window) continue;
          double score = 0;
          for (std::int64_t d = 0; d < head_dim; ++d) score += q_acc[first + j][h][d] * k[p][h / group][d];
          scores.push_back(score * args.scale);
          keys_seen.push_back(p);
        }
        const double max_score = *std::max_element(scores.begin(), scores.end());
        double norm = 0;
        for (double& score : scores) norm += (score = std::exp(score - max_score));
        for (std::size_t i = 0; i < scores.size(); ++i) {
          for (std::int64_t d = 0; d < head_dim; ++d) {
            out_acc[first + j][h][d] += scores[i] / norm * v[keys_seen[i]][h / group][d];
          }
        }
      }
    }
    first += c.count;
  }
  return out;
}

// A random tree over `count` new tokens: each parent precedes its child.
std::vector<std::int32_t> random_tree(std::int64_t count, std::mt19937& rng) {
  std::vector<std::int32_t> parents(static_cast<std::size_t>(count));
  for (std::int64_t j = 0; j < count; ++j) {
    parents[static_cast<std::size_t>(j)] = static_cast<std::int32_t>(
        std::uniform_int_distribution<std::int64_t>(-1, j - 1)(rng));
  }
  return parents;
}

// Ragged batches exercising prefill (no prefix), decode (one token), chunks across block
// boundaries, an empty row, and (with `trees`) tree-shaped drafts.
std::vector<std::vector<SequenceCase>> batches(bool trees, std::uint32_t seed) {
  std::mt19937 rng(seed);
  auto tree_or_chain = [&](std::int64_t count) {
    return trees ? random_tree(count, rng) : std::vector<std::int32_t>{};
  };
  return {
      {{0, 7, tree_or_chain(7)}},
      {{33, 1, {}}, {5, 4, tree_or_chain(4)}, {0, 1, {}}},
      {{18, 9, tree_or_chain(9)}, {2, 0, {}}, {47, 6, tree_or_chain(6)}},
  };
}

class PagedAttentionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    PluginRegistrar registrar;
    specrouter_register_kernels_cpu_attention(registrar);
    registrar.commit(registries_);
    reference_ = make_paged_attention(registries_.kernels, "reference");
    cpu_ = make_paged_attention(registries_.kernels, "paged_attention/cpu");
  }
  Registries registries_;
  std::shared_ptr<PagedAttention> reference_;
  std::shared_ptr<PagedAttention> cpu_;
};

double max_difference(const at::Tensor& a, const at::Tensor& b) {
  return (a.to(at::kDouble) - b.to(at::kDouble)).abs().max().item<double>();
}

TEST_F(PagedAttentionTest, ReferenceEqualsContiguousFloat64Attention) {
  const std::vector<Shape> shapes{{1, 1, 8, 1}, {4, 2, 16, 4}, {6, 3, 12, 16}, {8, 1, 32, 5}};
  std::uint64_t seed = 1;
  for (const Shape& shape : shapes) {
    for (bool trees : {false, true}) {
      for (std::optional<std::int64_t> window : {std::optional<std::int64_t>{}, std::optional<std::int64_t>{5}}) {
        for (const auto& cases : batches(trees, static_cast<std::uint32_t>(seed))) {
          const Problem problem = make_problem(shape, cases, at::kDouble, window, ++seed);
          const double difference = max_difference(reference_->forward(problem.args), dense_attention(problem));
          EXPECT_LT(difference, 1e-9) << "heads " << shape.num_heads << "/" << shape.num_kv_heads << " dim "
                                      << shape.head_dim << " block " << shape.block_size << " tree " << trees
                                      << " window " << window.value_or(0) << " seed " << seed;
        }
      }
    }
  }
}

TEST_F(PagedAttentionTest, CpuMatchesReferenceOverAGridOfShapes) {
  const std::vector<Shape> shapes{{1, 1, 4, 1}, {2, 2, 8, 2}, {4, 1, 16, 16}, {8, 2, 64, 16}, {6, 3, 12, 7}};
  std::uint64_t seed = 100;
  for (at::ScalarType dtype : {at::kDouble, at::kFloat, at::kHalf, at::kBFloat16}) {
    for (const Shape& shape : shapes) {
      for (bool trees : {false, true}) {
        for (std::optional<std::int64_t> window :
             {std::optional<std::int64_t>{}, std::optional<std::int64_t>{1}, std::optional<std::int64_t>{9}}) {
          for (const auto& cases : batches(trees, static_cast<std::uint32_t>(seed))) {
            const Problem problem = make_problem(shape, cases, dtype, window, ++seed);
            const at::Tensor expected = reference_->forward(problem.args);
            const at::Tensor actual = cpu_->forward(problem.args);
            ASSERT_EQ(actual.scalar_type(), dtype);
            ASSERT_EQ(actual.sizes(), expected.sizes());
            EXPECT_LE(max_difference(actual, expected), cpu_tolerance(dtype))
                << c10::toString(dtype) << " heads " << shape.num_heads << "/" << shape.num_kv_heads << " dim "
                << shape.head_dim << " block " << shape.block_size << " tree " << trees << " window "
                << window.value_or(0) << " seed " << seed;
          }
        }
      }
    }
  }
}

TEST_F(PagedAttentionTest, CpuEqualsContiguousFloat64Attention) {
  std::uint64_t seed = 500;
  for (bool trees : {false, true}) {
    for (const auto& cases : batches(trees, 7)) {
      const Problem problem = make_problem({4, 2, 16, 3}, cases, at::kDouble, 6, ++seed);
      EXPECT_LT(max_difference(cpu_->forward(problem.args), dense_attention(problem)), 1e-9) << "seed " << seed;
    }
  }
}

TEST_F(PagedAttentionTest, LongContextDecodeAndPrefill) {
  // Many blocks: exercises the online rescaling across blocks with larger score ranges.
  const std::vector<SequenceCase> cases{{1000, 1, {}}, {0, 300, {}}, {517, 40, {}}};
  const Problem problem = make_problem({4, 4, 32, 16}, cases, at::kFloat, std::nullopt, 9);
  EXPECT_LE(max_difference(cpu_->forward(problem.args), reference_->forward(problem.args)), cpu_tolerance(at::kFloat));
}

TEST_F(PagedAttentionTest, RejectsMalformedInputsNamingTheTensor) {
  const Problem good = make_problem({4, 2, 8, 4}, {{6, 3, {-1, 0, 0}}}, at::kFloat, std::nullopt, 3);
  auto expect_error = [&](PagedAttentionArgs args, const std::string& needle) {
    for (const auto& kernel : {reference_, cpu_}) {
      try {
        kernel->forward(args);
        ADD_FAILURE() << "no error for " << needle;
      } catch (const KvStateError& error) {
        EXPECT_NE(std::string(error.what()).find(needle), std::string::npos) << error.what();
      }
    }
  };
  PagedAttentionArgs bad_parent = good.args;
  bad_parent.tree_parents = at::tensor(std::vector<std::int32_t>{-1, 2, 0}, at::kInt);
  expect_error(bad_parent, "tree parent of new token 1 is 2");
  PagedAttentionArgs bad_block = good.args;
  bad_block.block_tables = good.args.block_tables.clone();
  bad_block.block_tables[0][1] = 1000;
  expect_error(bad_block, "is block 1000");
  PagedAttentionArgs bad_heads = good.args;
  bad_heads.query = at::zeros({3, 3, 8});
  expect_error(bad_heads, "num_heads 3 is not a multiple of num_kv_heads 2");
  PagedAttentionArgs short_context = good.args;
  short_context.context_lens = at::tensor(std::vector<std::int64_t>{2}, at::kLong);
  expect_error(short_context, "less than its 3 new tokens");
  PagedAttentionArgs bad_dtype = good.args;
  bad_dtype.context_lens = good.args.context_lens.to(at::kInt);
  expect_error(bad_dtype, "context_lens must be int64");
}

TEST_F(PagedAttentionTest, RegisteredUnderOpSlashImplNames) {
  EXPECT_NE(registries_.kernels.find("paged_attention/reference"), nullptr);
  EXPECT_NE(registries_.kernels.find("paged_attention/cpu"), nullptr);
  EXPECT_STREQ(cpu_->op(), "paged_attention");
  EXPECT_THROW(make_paged_attention(registries_.kernels, "paged_attention/nope"), UnknownComponentError);
}

}  // namespace
}  // namespace specrouter
