#pragma once

/// @file
/// @brief A pool of fixed-size KV blocks for one model: the K and V storage reserved up
/// front, reference counts, a free list, and (in debug mode) a shadow of what each slot
/// holds.

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "specrouter/kernels/block_copy.h"
#include "specrouter/state/kv_spec.h"
#include "specrouter/types.h"

namespace specrouter {

class StateManager;
namespace detail {
struct StateTestAccess;  // tests only: corrupts state on purpose to prove the checks fire
}  // namespace detail

/// Index of a block in its pool.
using BlockId = std::int32_t;

/// What the debug shadow says one slot holds: the token whose K/V was written there and
/// the position (the RoPE position it was computed at). `token == -1`: nothing.
struct SlotShadow {
  TokenId token = -1;          ///< token id, or -1 for an unused slot
  std::int64_t position = -1;  ///< position the token was computed at
};

/// The KV storage of one model, shared by all sequences: `num_blocks` blocks of
/// `block_size` slots, for every layer.
///
/// Storage is one tensor `[2, num_layers, num_blocks, block_size, num_kv_heads, head_dim]`
/// (keys, then values), zero-filled when the pool is made, so the whole budget is
/// reserved (and touched) up front; each layer's keys and values are contiguous views. A slot is addressed by its flat index `block * block_size + offset`. Blocks are
/// reference-counted: a block shared by forked sequences is freed when its last user
/// lets go. Allocation is reserved to the StateManager that owns the pool; models read
/// and write K/V through key_cache(), value_cache() and write().
class KvBlockPool {
 public:
  /// Reserves `num_blocks` blocks for `spec` (zero-filled). `track_shadow` keeps the
  /// per-slot shadow used by the debug consistency check. `block_copy` (optional) copies
  /// blocks for copy-on-write; it must work on the pool's device. Without it a tensor
  /// gather/scatter does the same.
  KvBlockPool(KvCacheSpec spec, std::int64_t num_blocks, bool track_shadow,
              std::shared_ptr<BlockCopyKernel> block_copy = nullptr);

  /// The cache shape and placement.
  const KvCacheSpec& spec() const { return spec_; }
  /// Total blocks reserved.
  std::int64_t num_blocks() const { return static_cast<std::int64_t>(ref_counts_.size()); }
  /// Blocks on the free list.
  std::int64_t free_blocks() const { return static_cast<std::int64_t>(free_list_.size()); }
  /// Blocks held by at least one sequence.
  std::int64_t used_blocks() const { return num_blocks() - free_blocks(); }
  /// Most blocks ever in use at once.
  std::int64_t peak_used_blocks() const { return peak_used_; }
  /// Number of sequences (of this model) whose block table holds `block`.
  std::int32_t ref_count(BlockId block) const { return ref_counts_[static_cast<std::size_t>(block)]; }
  /// The blocks currently free, in the order they will be handed out last-to-first.
  const std::vector<BlockId>& free_list() const { return free_list_; }

  /// Keys of every layer: `[num_layers, num_blocks, block_size, num_kv_heads, head_dim]`.
  const at::Tensor& keys() const { return keys_; }
  /// Values of every layer, shaped like keys().
  const at::Tensor& values() const { return values_; }
  /// Keys of one layer, a view `[num_blocks, block_size, num_kv_heads, head_dim]`: the
  /// `key_cache` input of the paged_attention kernel.
  at::Tensor key_cache(std::int64_t layer) const;
  /// Values of one layer, a view shaped like key_cache().
  at::Tensor value_cache(std::int64_t layer) const;

  /// Writes K and V of new tokens of layer `layer` into their slots.
  ///
  /// `slots` `[num_tokens]` int64 (KvForwardBatch::slot_mapping), `key` and `value`
  /// `[num_tokens, num_kv_heads, head_dim]` (converted to the pool's dtype and device).
  /// Cost: one index_copy per tensor, O(num_tokens * num_kv_heads * head_dim).
  void write(std::int64_t layer, const at::Tensor& slots, const at::Tensor& key, const at::Tensor& value);

  /// True when the pool keeps the per-slot shadow (debug mode).
  bool tracks_shadow() const { return !shadow_.empty(); }
  /// What the shadow says slot `slot` holds (debug mode only; {-1, -1} otherwise).
  SlotShadow shadow(std::int64_t slot) const;

 private:
  friend class StateManager;
  friend struct detail::StateTestAccess;

  // Takes a block from the free list with reference count 1. The caller has checked
  // free_blocks() (the manager checks a whole operation before changing anything).
  BlockId allocate();
  // Adds a user to a block in use.
  void retain(BlockId block);
  // Removes a user; the block returns to the free list when none is left.
  void release(BlockId block);
  // Copies K/V of every layer (and the shadow) of block `src` over block `dst` for every
  // pair, in one block_copy call (pairs as BlockCopyKernel requires: independent).
  void copy_blocks(std::span<const BlockCopyPair> pairs);
  // Copies K/V of every layer (and the shadow) slot by slot, `sources[i]` to `targets[i]`.
  void copy_slots(const std::vector<std::int64_t>& sources, const std::vector<std::int64_t>& targets);
  // Records in the shadow that `slot` now holds `token` computed at `position`.
  void record(std::int64_t slot, TokenId token, std::int64_t position);

  KvCacheSpec spec_;
  at::Tensor storage_;  // [2, num_layers, num_blocks, block_size, num_kv_heads, head_dim]
  at::Tensor keys_;     // storage_[0]: [num_layers, num_blocks, block_size, num_kv_heads, head_dim]
  at::Tensor values_;   // storage_[1]
  std::shared_ptr<BlockCopyKernel> block_copy_;  // may be null: tensor fallback
  std::vector<std::int32_t> ref_counts_;  // [num_blocks]
  std::vector<BlockId> free_list_;        // a stack; capacity num_blocks, so pushes never allocate
  std::int64_t peak_used_ = 0;
  std::vector<SlotShadow> shadow_;        // [num_blocks * block_size] in debug mode, else empty
};

}  // namespace specrouter
