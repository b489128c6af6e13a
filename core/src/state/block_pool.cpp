// The block pool: storage, reference counts, free list and debug shadow.
#include "specrouter/state/block_pool.h"

#include <ATen/Functions.h>
#include <ATen/ops/index_copy.h>

#include <cstddef>
#include <cstring>
#include <string>

#include "specrouter/state/state_errors.h"

namespace specrouter {
namespace {

std::string shape_of(const at::Tensor& tensor) {
  std::string out = "[";
  for (std::int64_t d = 0; d < tensor.dim(); ++d) out += (d ? ", " : "") + std::to_string(tensor.size(d));
  return out + "]";
}

}  // namespace

KvBlockPool::KvBlockPool(KvCacheSpec spec, std::int64_t num_blocks, bool track_shadow,
                         std::shared_ptr<BlockCopyKernel> block_copy)
    : spec_(std::move(spec)), block_copy_(std::move(block_copy)) {
  spec_.validate();
  const auto options = at::TensorOptions().dtype(spec_.dtype).device(spec_.device);
  // Zero-filled rather than empty: the budget is touched (really reserved) now, and a
  // kernel bug that reads an unwritten slot sees zeros, not NaNs from old memory.
  storage_ = at::zeros({2, spec_.num_layers, num_blocks, spec_.block_size, spec_.num_kv_heads, spec_.head_dim}, options);
  keys_ = storage_[0];
  values_ = storage_[1];
  ref_counts_.assign(static_cast<std::size_t>(num_blocks), 0);
  free_list_.reserve(static_cast<std::size_t>(num_blocks));
  // A stack whose top is block 0, so blocks are handed out in index order at first.
  for (std::int64_t b = num_blocks - 1; b >= 0; --b) free_list_.push_back(static_cast<BlockId>(b));
  if (track_shadow) shadow_.assign(static_cast<std::size_t>(num_blocks * spec_.block_size), SlotShadow{});
}

at::Tensor KvBlockPool::key_cache(std::int64_t layer) const {
  if (layer < 0 || layer >= spec_.num_layers) {
    throw KvStateError("KV pool of model '" + spec_.model + "': layer " + std::to_string(layer) + " out of range [0, " +
                       std::to_string(spec_.num_layers) + ")");
  }
  return keys_.select(0, layer);
}

at::Tensor KvBlockPool::value_cache(std::int64_t layer) const {
  if (layer < 0 || layer >= spec_.num_layers) {
    throw KvStateError("KV pool of model '" + spec_.model + "': layer " + std::to_string(layer) + " out of range [0, " +
                       std::to_string(spec_.num_layers) + ")");
  }
  return values_.select(0, layer);
}

void KvBlockPool::write(std::int64_t layer, const at::Tensor& slots, const at::Tensor& key, const at::Tensor& value) {
  const std::string where = "KV write into model '" + spec_.model + "' layer " + std::to_string(layer);
  at::Tensor key_layer = key_cache(layer);  // checks the layer
  at::Tensor value_layer = value_cache(layer);
  if (slots.dim() != 1) throw KvStateError(where + ": slots must be 1-D, got " + shape_of(slots));
  for (const auto* tensor : {&key, &value}) {
    const char* name = tensor == &key ? "key" : "value";
    if (tensor->dim() != 3 || tensor->size(0) != slots.size(0) || tensor->size(1) != spec_.num_kv_heads ||
        tensor->size(2) != spec_.head_dim) {
      throw KvStateError(where + ": " + name + " must be [" + std::to_string(slots.size(0)) + ", " +
                         std::to_string(spec_.num_kv_heads) + ", " + std::to_string(spec_.head_dim) + "], got " +
                         shape_of(*tensor));
    }
  }
  const at::Tensor index = slots.to(spec_.device, at::kLong);
  const std::int64_t num_slots = num_blocks() * spec_.block_size;
  // [num_blocks * block_size, num_kv_heads, head_dim] views of this layer's storage.
  key_layer.view({num_slots, spec_.num_kv_heads, spec_.head_dim})
      .index_copy_(0, index, key.to(spec_.device, spec_.dtype));
  value_layer.view({num_slots, spec_.num_kv_heads, spec_.head_dim})
      .index_copy_(0, index, value.to(spec_.device, spec_.dtype));
}

SlotShadow KvBlockPool::shadow(std::int64_t slot) const {
  if (shadow_.empty() || slot < 0 || slot >= static_cast<std::int64_t>(shadow_.size())) return {};
  return shadow_[static_cast<std::size_t>(slot)];
}

BlockId KvBlockPool::allocate() {
  if (free_list_.empty()) {
    // The manager checks every operation's needs first; reaching this is a manager bug,
    // but it must still not corrupt anything.
    throw OutOfKvMemory("KV pool of model '" + spec_.model + "' is out of blocks (" + std::to_string(num_blocks()) +
                        " blocks of " + std::to_string(spec_.block_size) + " positions)");
  }
  const BlockId block = free_list_.back();
  free_list_.pop_back();
  ref_counts_[static_cast<std::size_t>(block)] = 1;
  peak_used_ = std::max(peak_used_, used_blocks());
  return block;
}

void KvBlockPool::retain(BlockId block) { ++ref_counts_[static_cast<std::size_t>(block)]; }

void KvBlockPool::release(BlockId block) {
  if (--ref_counts_[static_cast<std::size_t>(block)] > 0) return;
  free_list_.push_back(block);  // capacity is num_blocks: never reallocates
  if (!shadow_.empty()) {
    const auto first = static_cast<std::size_t>(block) * static_cast<std::size_t>(spec_.block_size);
    std::fill_n(shadow_.begin() + static_cast<std::ptrdiff_t>(first), spec_.block_size, SlotShadow{});
  }
}

void KvBlockPool::copy_blocks(std::span<const BlockCopyPair> pairs) {
  if (pairs.empty()) return;
  // The storage seen as 2 * num_layers * num_blocks blocks: block b of layer l of K (t=0)
  // or V (t=1) is block (t * num_layers + l) * num_blocks + b, one block_size slab each.
  const std::int64_t blocks_per_plane = num_blocks();
  const std::int64_t planes = 2 * spec_.num_layers;
  std::vector<BlockCopyPair> expanded;
  expanded.reserve(pairs.size() * static_cast<std::size_t>(planes));
  for (std::int64_t plane = 0; plane < planes; ++plane) {
    for (const BlockCopyPair& pair : pairs) {
      expanded.push_back({plane * blocks_per_plane + pair.src, plane * blocks_per_plane + pair.dst});
    }
  }
  const std::int64_t slab_bytes = spec_.bytes_per_block() / (2 * spec_.num_layers);  // one block of one plane
  if (block_copy_) {
    const BlockBuffer buffer{storage_.data_ptr(), planes * blocks_per_plane, slab_bytes};
    block_copy_->copy(buffer, expanded);
  } else if (spec_.device.is_cpu()) {
    // Host memory without a kernel: the pairs are independent (fresh targets), so a
    // plain copy per slab, as block_copy/reference does.
    auto* base = static_cast<std::byte*>(storage_.data_ptr());
    for (const BlockCopyPair& pair : expanded) {
      std::memcpy(base + pair.dst * slab_bytes, base + pair.src * slab_bytes, static_cast<std::size_t>(slab_bytes));
    }
  } else {
    std::vector<std::int64_t> sources, targets;
    sources.reserve(expanded.size());
    targets.reserve(expanded.size());
    for (const BlockCopyPair& pair : expanded) {
      sources.push_back(pair.src);
      targets.push_back(pair.dst);
    }
    // [2 * num_layers * num_blocks, block_size, num_kv_heads, head_dim]
    at::Tensor blocks = storage_.view({planes * blocks_per_plane, spec_.block_size, spec_.num_kv_heads, spec_.head_dim});
    const at::Tensor source_index = at::tensor(at::ArrayRef<std::int64_t>(sources), at::kLong).to(spec_.device);
    const at::Tensor target_index = at::tensor(at::ArrayRef<std::int64_t>(targets), at::kLong).to(spec_.device);
    blocks.index_copy_(0, target_index, blocks.index_select(0, source_index));
  }
  if (!shadow_.empty()) {
    const auto size = static_cast<std::ptrdiff_t>(spec_.block_size);
    for (const BlockCopyPair& pair : pairs) {
      std::copy_n(shadow_.begin() + pair.src * size, size, shadow_.begin() + pair.dst * size);
    }
  }
}

void KvBlockPool::copy_slots(const std::vector<std::int64_t>& sources, const std::vector<std::int64_t>& targets) {
  if (sources.empty()) return;
  const auto count = static_cast<std::int64_t>(sources.size());
  const at::Tensor source_index = at::tensor(at::ArrayRef<std::int64_t>(sources), at::kLong).to(spec_.device);
  const at::Tensor target_index = at::tensor(at::ArrayRef<std::int64_t>(targets), at::kLong).to(spec_.device);
  const std::int64_t num_slots = num_blocks() * spec_.block_size;
  // [2 * num_layers, num_blocks * block_size, num_kv_heads, head_dim]
  at::Tensor slots = storage_.view({2 * spec_.num_layers, num_slots, spec_.num_kv_heads, spec_.head_dim});
  // index_select copies first, so overlapping sources and targets are safe.
  slots.index_copy_(1, target_index, slots.index_select(1, source_index));
  if (!shadow_.empty()) {
    std::vector<SlotShadow> moved(static_cast<std::size_t>(count));
    for (std::size_t i = 0; i < moved.size(); ++i) moved[i] = shadow_[static_cast<std::size_t>(sources[i])];
    for (std::size_t i = 0; i < moved.size(); ++i) shadow_[static_cast<std::size_t>(targets[i])] = moved[i];
  }
}

void KvBlockPool::record(std::int64_t slot, TokenId token, std::int64_t position) {
  if (!shadow_.empty()) shadow_[static_cast<std::size_t>(slot)] = SlotShadow{token, position};
}

}  // namespace specrouter
