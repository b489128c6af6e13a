#pragma once

/// @file
/// @brief The key/value cache of one model, seen as per-sequence token positions.
///
/// The model's forward pass reads and writes keys and values only through this
/// interface, so the paged state manager (block pool, block tables, copy-on-write forks)
/// can replace ContiguousKvCache without touching the model.

#include <cstdint>
#include <span>

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>
#include <c10/core/ScalarType.h>

namespace specrouter {

/// Identifies a sequence within one KvCache; the caller chooses the ids.
using SequenceId = std::int64_t;

/// The geometry of a model's keys and values.
struct KvCacheShape {
  std::int64_t num_layers = 0;    ///< decoder layers, each with its own keys and values
  std::int64_t num_kv_heads = 0;  ///< key/value heads per layer
  std::int64_t head_dim = 0;      ///< width of one head
  std::int64_t max_length = 0;    ///< most positions one sequence may hold (the model's context)
  c10::ScalarType dtype = c10::ScalarType::Float;  ///< element type of keys and values
  c10::Device device = c10::Device(c10::DeviceType::CPU);  ///< where keys and values live
};

/// Keys and values of one layer for one sequence, positions `[0, length)`.
struct LayerKv {
  at::Tensor keys;    ///< [num_kv_heads, length, head_dim]
  at::Tensor values;  ///< [num_kv_heads, length, head_dim]
};

/// Per-sequence keys and values of every layer of one model.
///
/// Invariant: positions `[0, length(seq))` hold the keys and values of the tokens
/// `[0, length(seq))` of that sequence, as the model computed them. The model's forward
/// pass is the only writer: it calls append() for the new tokens, then write() once per
/// layer, then reads them back with read() (which includes the appended positions).
///
/// Implementations must make truncate() O(1) in the kept length (it may free storage, but
/// never copies kept data), and must report running out of room as CapacityError before
/// changing anything. Every method throws UsageError for an unknown sequence id.
class KvCache {
 public:
  virtual ~KvCache() = default;

  /// The geometry every tensor passed in or out follows.
  virtual const KvCacheShape& shape() const = 0;

  /// Starts an empty sequence; throws UsageError when `sequence` already exists.
  virtual void add_sequence(SequenceId sequence) = 0;
  /// True when `sequence` exists.
  virtual bool contains(SequenceId sequence) const = 0;
  /// Forgets a sequence and gives its storage back.
  virtual void release(SequenceId sequence) = 0;
  /// Positions holding valid keys and values.
  virtual std::int64_t length(SequenceId sequence) const = 0;

  /// Rolls back to the first `new_length` positions (`new_length <= length`); O(1).
  virtual void truncate(SequenceId sequence, std::int64_t new_length) = 0;

  /// Makes `target` (which must not exist) a sequence holding the same positions as
  /// `source`. The contiguous cache copies; a paged cache shares blocks.
  virtual void fork(SequenceId source, SequenceId target) = 0;

  /// Keeps an accepted tree path: positions `base + path[i]` move to `base + i`, and the
  /// length becomes `base + path.size()`.
  ///
  /// Use after a tree-masked pass that appended nodes at `base..`: the keys and values of
  /// an accepted root-to-leaf path were computed with rotary position `base + depth` and
  /// attending only to the prefix and their ancestors, so moved into place they are
  /// exactly what a linear pass over the path would have produced. Requires `path`
  /// strictly increasing with `path[i] >= i` (parents precede children) and inside the
  /// current length. Cost: O(path.size()) per layer.
  virtual void keep_path(SequenceId sequence, std::int64_t base,
                         std::span<const std::int64_t> path) = 0;

  /// Grows a sequence by `count` positions whose contents the caller writes next, and
  /// returns the first new position (the old length). Throws CapacityError (changing
  /// nothing) when the sequence would exceed `shape().max_length` or storage runs out.
  virtual std::int64_t append(SequenceId sequence, std::int64_t count) = 0;

  /// Stores the keys and values of positions `[start, start + n)` of one layer; keys and
  /// values are `[n, num_kv_heads, head_dim]` with the cache's dtype and device.
  virtual void write(std::int64_t layer, SequenceId sequence, std::int64_t start,
                     const at::Tensor& keys, const at::Tensor& values) = 0;

  /// Keys and values of one layer, positions `[0, length)`. The tensors may be views
  /// into the cache, valid until the next append(), fork(), keep_path() or release().
  virtual LayerKv read(std::int64_t layer, SequenceId sequence) const = 0;
};

}  // namespace specrouter
