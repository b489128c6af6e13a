#pragma once

/// @file
/// @brief The simple KvCache: one preallocated tensor per sequence, grown by doubling.

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "specrouter/model/kv_cache.h"

namespace specrouter {

/// A KvCache that keeps each sequence's keys and values of all layers in one contiguous
/// tensor `[num_layers, 2, num_kv_heads, capacity, head_dim]`.
///
/// append() grows the capacity by doubling (capped at `max_length`), copying the kept
/// positions once per doubling; truncate() only lowers the length (O(1)); fork() copies.
/// Reads are views, so attention reads keys and values in place.
class ContiguousKvCache final : public KvCache {
 public:
  /// An empty cache; each sequence starts with room for `initial_capacity` positions.
  explicit ContiguousKvCache(KvCacheShape shape, std::int64_t initial_capacity = 64);

  const KvCacheShape& shape() const override { return shape_; }
  void add_sequence(SequenceId sequence) override;
  bool contains(SequenceId sequence) const override;
  void release(SequenceId sequence) override;
  std::int64_t length(SequenceId sequence) const override;
  void truncate(SequenceId sequence, std::int64_t new_length) override;
  void fork(SequenceId source, SequenceId target) override;
  void keep_path(SequenceId sequence, std::int64_t base, std::span<const std::int64_t> path) override;
  std::int64_t append(SequenceId sequence, std::int64_t count) override;
  void write(std::int64_t layer, SequenceId sequence, std::int64_t start, const at::Tensor& keys,
             const at::Tensor& values) override;
  LayerKv read(std::int64_t layer, SequenceId sequence) const override;

  /// Positions a sequence can hold before its storage grows again.
  std::int64_t capacity(SequenceId sequence) const;
  /// Number of live sequences.
  std::size_t size() const { return sequences_.size(); }

 private:
  struct Sequence {
    at::Tensor storage;  // [num_layers, 2, num_kv_heads, capacity, head_dim]
    std::vector<at::Tensor> keys;    // per layer: [num_kv_heads, capacity, head_dim] views
    std::vector<at::Tensor> values;  // per layer: [num_kv_heads, capacity, head_dim] views
    std::int64_t length = 0;
  };

  Sequence& find(SequenceId sequence);
  const Sequence& find(SequenceId sequence) const;
  Sequence allocate(std::int64_t capacity) const;

  KvCacheShape shape_;
  std::int64_t initial_capacity_;
  std::unordered_map<SequenceId, Sequence> sequences_;
};

}  // namespace specrouter
