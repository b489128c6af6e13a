#include "specrouter/model/contiguous_kv_cache.h"

#include <algorithm>
#include <string>

#include <ATen/ops/empty.h>
#include <ATen/ops/tensor.h>
#include <c10/core/InferenceMode.h>
#include <c10/util/Exception.h>

#include "specrouter/error.h"

namespace specrouter {
namespace {

std::string sequence_name(SequenceId sequence) { return "sequence " + std::to_string(sequence); }

}  // namespace

ContiguousKvCache::ContiguousKvCache(KvCacheShape shape, std::int64_t initial_capacity)
    : shape_(shape), initial_capacity_(std::max<std::int64_t>(1, initial_capacity)) {
  if (shape_.num_layers <= 0 || shape_.num_kv_heads <= 0 || shape_.head_dim <= 0 || shape_.max_length <= 0) {
    throw UsageError("ContiguousKvCache: every size in the shape must be positive (layers " +
                     std::to_string(shape_.num_layers) + ", kv heads " + std::to_string(shape_.num_kv_heads) +
                     ", head_dim " + std::to_string(shape_.head_dim) + ", max_length " +
                     std::to_string(shape_.max_length) + ")");
  }
  initial_capacity_ = std::min(initial_capacity_, shape_.max_length);
}

ContiguousKvCache::Sequence ContiguousKvCache::allocate(std::int64_t capacity) const {
  c10::InferenceMode guard;
  Sequence sequence;
  try {
    sequence.storage = at::empty({shape_.num_layers, 2, shape_.num_kv_heads, capacity, shape_.head_dim},
                                 at::TensorOptions().dtype(shape_.dtype).device(shape_.device));
  } catch (const c10::OutOfMemoryError& e) {
    throw CapacityError("ContiguousKvCache: out of memory allocating room for " + std::to_string(capacity) +
                        " positions");
  }
  sequence.keys.reserve(static_cast<std::size_t>(shape_.num_layers));
  sequence.values.reserve(static_cast<std::size_t>(shape_.num_layers));
  for (std::int64_t layer = 0; layer < shape_.num_layers; ++layer) {
    at::Tensor both = sequence.storage.select(0, layer);  // [2, kv_heads, capacity, head_dim]
    sequence.keys.push_back(both.select(0, 0));
    sequence.values.push_back(both.select(0, 1));
  }
  return sequence;
}

ContiguousKvCache::Sequence& ContiguousKvCache::find(SequenceId sequence) {
  auto it = sequences_.find(sequence);
  if (it == sequences_.end()) throw UsageError("KV cache: unknown " + sequence_name(sequence));
  return it->second;
}

const ContiguousKvCache::Sequence& ContiguousKvCache::find(SequenceId sequence) const {
  auto it = sequences_.find(sequence);
  if (it == sequences_.end()) throw UsageError("KV cache: unknown " + sequence_name(sequence));
  return it->second;
}

void ContiguousKvCache::add_sequence(SequenceId sequence) {
  if (sequences_.count(sequence) != 0) {
    throw UsageError("KV cache: " + sequence_name(sequence) + " already exists");
  }
  sequences_.emplace(sequence, allocate(initial_capacity_));
}

bool ContiguousKvCache::contains(SequenceId sequence) const { return sequences_.count(sequence) != 0; }

void ContiguousKvCache::release(SequenceId sequence) {
  find(sequence);
  sequences_.erase(sequence);
}

std::int64_t ContiguousKvCache::length(SequenceId sequence) const { return find(sequence).length; }

std::int64_t ContiguousKvCache::capacity(SequenceId sequence) const { return find(sequence).storage.size(3); }

void ContiguousKvCache::truncate(SequenceId sequence, std::int64_t new_length) {
  Sequence& entry = find(sequence);
  if (new_length < 0 || new_length > entry.length) {
    throw UsageError("KV cache: cannot truncate " + sequence_name(sequence) + " of length " +
                     std::to_string(entry.length) + " to " + std::to_string(new_length));
  }
  entry.length = new_length;
}

void ContiguousKvCache::fork(SequenceId source, SequenceId target) {
  const Sequence& from = find(source);
  if (contains(target)) throw UsageError("KV cache: fork target " + sequence_name(target) + " already exists");
  Sequence copy = allocate(from.storage.size(3));
  {
    c10::InferenceMode guard;
    copy.storage.narrow(3, 0, from.length).copy_(from.storage.narrow(3, 0, from.length));
  }
  copy.length = from.length;
  sequences_.emplace(target, std::move(copy));
}

void ContiguousKvCache::keep_path(SequenceId sequence, std::int64_t base, std::span<const std::int64_t> path) {
  Sequence& entry = find(sequence);
  const auto kept = static_cast<std::int64_t>(path.size());
  if (base < 0 || base + kept > entry.length) {
    throw UsageError("KV cache: keep_path base " + std::to_string(base) + " with " + std::to_string(kept) +
                     " positions does not fit " + sequence_name(sequence) + " of length " +
                     std::to_string(entry.length));
  }
  std::vector<std::int64_t> sources;
  bool moves = false;
  for (std::int64_t i = 0; i < kept; ++i) {
    const std::int64_t node = path[static_cast<std::size_t>(i)];
    if (node < i || base + node >= entry.length || (i > 0 && node <= path[static_cast<std::size_t>(i - 1)])) {
      throw UsageError("KV cache: keep_path entry " + std::to_string(i) + " = " + std::to_string(node) +
                       " must be increasing, >= its index, and below " + std::to_string(entry.length - base));
    }
    sources.push_back(base + node);
    moves = moves || node != i;
  }
  if (moves) {
    c10::InferenceMode guard;
    at::Tensor index = at::tensor(sources, at::TensorOptions().dtype(at::kLong)).to(shape_.device);
    // Gather first: the destination range may overlap later sources.
    at::Tensor gathered = entry.storage.index_select(3, index);
    entry.storage.narrow(3, base, kept).copy_(gathered);
  }
  entry.length = base + kept;
}

std::int64_t ContiguousKvCache::append(SequenceId sequence, std::int64_t count) {
  Sequence& entry = find(sequence);
  if (count < 0) throw UsageError("KV cache: cannot append " + std::to_string(count) + " positions");
  const std::int64_t start = entry.length;
  const std::int64_t needed = start + count;
  if (needed > shape_.max_length) {
    throw CapacityError("KV cache: " + sequence_name(sequence) + " would hold " + std::to_string(needed) +
                        " positions, more than the context of " + std::to_string(shape_.max_length));
  }
  const std::int64_t capacity = entry.storage.size(3);
  if (needed > capacity) {
    const std::int64_t grown = std::min(shape_.max_length, std::max(needed, 2 * capacity));
    Sequence bigger = allocate(grown);
    {
      c10::InferenceMode guard;
      bigger.storage.narrow(3, 0, start).copy_(entry.storage.narrow(3, 0, start));
    }
    bigger.length = start;
    entry = std::move(bigger);
  }
  entry.length = needed;
  return start;
}

void ContiguousKvCache::write(std::int64_t layer, SequenceId sequence, std::int64_t start, const at::Tensor& keys,
                              const at::Tensor& values) {
  Sequence& entry = find(sequence);
  const std::int64_t count = keys.size(0);
  if (layer < 0 || layer >= shape_.num_layers || start < 0 || start + count > entry.length) {
    throw UsageError("KV cache: write of layer " + std::to_string(layer) + " positions [" + std::to_string(start) +
                     ", " + std::to_string(start + count) + ") is outside " + sequence_name(sequence) +
                     " of length " + std::to_string(entry.length));
  }
  // [n, kv_heads, head_dim] -> [kv_heads, n, head_dim]
  entry.keys[static_cast<std::size_t>(layer)].narrow(1, start, count).copy_(keys.transpose(0, 1));
  entry.values[static_cast<std::size_t>(layer)].narrow(1, start, count).copy_(values.transpose(0, 1));
}

LayerKv ContiguousKvCache::read(std::int64_t layer, SequenceId sequence) const {
  const Sequence& entry = find(sequence);
  const auto index = static_cast<std::size_t>(layer);
  return {entry.keys[index].narrow(1, 0, entry.length), entry.values[index].narrow(1, 0, entry.length)};
}

}  // namespace specrouter
