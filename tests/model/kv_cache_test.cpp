// ContiguousKvCache on its own: growth, O(1) truncation, forks, kept tree paths, and
// refusals that leave the cache unchanged.
#include <gtest/gtest.h>

#include <ATen/TensorOperators.h>
#include <ATen/ops/arange.h>
#include <ATen/ops/equal.h>
#include <c10/core/InferenceMode.h>

#include "specrouter/error.h"
#include "specrouter/model/contiguous_kv_cache.h"

namespace specrouter {
namespace {

KvCacheShape small_shape() {
  KvCacheShape shape;
  shape.num_layers = 2;
  shape.num_kv_heads = 2;
  shape.head_dim = 3;
  shape.max_length = 40;
  shape.dtype = at::kFloat;
  return shape;
}

// Keys whose values encode (layer, position): [count, kv_heads, head_dim].
at::Tensor marked(std::int64_t layer, std::int64_t start, std::int64_t count, double sign = 1.0) {
  at::Tensor positions = at::arange(start, start + count, at::TensorOptions().dtype(at::kFloat));
  return (positions * sign + 1000.0 * static_cast<double>(layer)).view({count, 1, 1}).expand({count, 2, 3}).contiguous();
}

void append_marked(KvCache& cache, SequenceId sequence, std::int64_t count) {
  const std::int64_t start = cache.append(sequence, count);
  for (std::int64_t layer = 0; layer < 2; ++layer) {
    cache.write(layer, sequence, start, marked(layer, start, count), marked(layer, start, count, -1.0));
  }
}

// Position p of layer l holds key (p + 1000 l) and value (-p + 1000 l).
void expect_positions(const KvCache& cache, SequenceId sequence, const std::vector<double>& positions) {
  for (std::int64_t layer = 0; layer < 2; ++layer) {
    const LayerKv kv = cache.read(layer, sequence);
    ASSERT_EQ(kv.keys.size(1), static_cast<std::int64_t>(positions.size()));
    for (std::size_t i = 0; i < positions.size(); ++i) {
      EXPECT_EQ(kv.keys[1][static_cast<std::int64_t>(i)][2].item<float>(), positions[i] + 1000.0 * layer);
      EXPECT_EQ(kv.values[0][static_cast<std::int64_t>(i)][0].item<float>(), -positions[i] + 1000.0 * layer);
    }
  }
}

TEST(ContiguousKvCache, GrowsByDoublingAndKeepsContents) {
  c10::InferenceMode guard;
  ContiguousKvCache cache(small_shape(), 4);
  cache.add_sequence(5);
  EXPECT_EQ(cache.capacity(5), 4);
  append_marked(cache, 5, 3);
  append_marked(cache, 5, 2);
  EXPECT_EQ(cache.capacity(5), 8);
  append_marked(cache, 5, 12);
  EXPECT_EQ(cache.capacity(5), 17);  // more than double was needed
  append_marked(cache, 5, 1);
  EXPECT_EQ(cache.capacity(5), 34);
  std::vector<double> expected;
  for (int p = 0; p < 18; ++p) expected.push_back(p);
  expect_positions(cache, 5, expected);
}

TEST(ContiguousKvCache, TruncateKeepsStorageAndPrefix) {
  c10::InferenceMode guard;
  ContiguousKvCache cache(small_shape(), 4);
  cache.add_sequence(0);
  append_marked(cache, 0, 10);
  const void* storage = cache.read(0, 0).keys.data_ptr();
  cache.truncate(0, 3);
  EXPECT_EQ(cache.length(0), 3);
  EXPECT_EQ(cache.read(0, 0).keys.data_ptr(), storage);  // no copy, no reallocation
  expect_positions(cache, 0, {0, 1, 2});
  append_marked(cache, 0, 2);
  expect_positions(cache, 0, {0, 1, 2, 3, 4});
  EXPECT_THROW(cache.truncate(0, 6), UsageError);
  EXPECT_THROW(cache.truncate(0, -1), UsageError);
}

TEST(ContiguousKvCache, ForkCopiesAndSequencesStayIndependent) {
  c10::InferenceMode guard;
  ContiguousKvCache cache(small_shape(), 4);
  cache.add_sequence(0);
  append_marked(cache, 0, 5);
  cache.fork(0, 9);
  cache.truncate(0, 2);
  append_marked(cache, 0, 1);
  expect_positions(cache, 9, {0, 1, 2, 3, 4});
  expect_positions(cache, 0, {0, 1, 2});
  EXPECT_THROW(cache.fork(0, 9), UsageError);
  cache.release(9);
  EXPECT_FALSE(cache.contains(9));
  EXPECT_THROW(cache.length(9), UsageError);
  EXPECT_THROW(cache.add_sequence(0), UsageError);
}

TEST(ContiguousKvCache, KeepPathMovesTreeNodesIntoPlace) {
  c10::InferenceMode guard;
  ContiguousKvCache cache(small_shape(), 4);
  cache.add_sequence(0);
  append_marked(cache, 0, 10);  // prefix 0..3, tree nodes at 4..9
  const std::vector<std::int64_t> path = {0, 2, 5};
  cache.keep_path(0, 4, path);
  expect_positions(cache, 0, {0, 1, 2, 3, 4, 6, 9});
  const std::vector<std::int64_t> decreasing = {1, 0};
  EXPECT_THROW(cache.keep_path(0, 4, decreasing), UsageError);
  const std::vector<std::int64_t> outside = {0, 5};
  EXPECT_THROW(cache.keep_path(0, 4, outside), UsageError);
  expect_positions(cache, 0, {0, 1, 2, 3, 4, 6, 9});
}

TEST(ContiguousKvCache, RefusesToExceedTheContextWithoutChanging) {
  c10::InferenceMode guard;
  ContiguousKvCache cache(small_shape(), 4);
  cache.add_sequence(0);
  append_marked(cache, 0, 38);
  EXPECT_THROW(cache.append(0, 3), CapacityError);
  EXPECT_EQ(cache.length(0), 38);
  append_marked(cache, 0, 2);
  EXPECT_EQ(cache.length(0), 40);
  EXPECT_THROW(cache.write(0, 0, 39, marked(0, 39, 2), marked(0, 39, 2)), UsageError);
}

}  // namespace
}  // namespace specrouter
