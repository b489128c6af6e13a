#pragma once

/// @file
/// @brief What one model's KV cache looks like (layers, heads, dtype, device, block size)
/// and how much memory its pool reserves.

#include <c10/core/Device.h>
#include <c10/core/ScalarType.h>

#include <cstdint>
#include <string>

namespace specrouter {

/// Shape and placement of one model's KV cache; one block of its pool holds the keys and
/// values of `block_size` consecutive positions of one sequence, for every layer.
struct KvCacheSpec {
  std::string model;              ///< model name, used in messages and reports
  std::int64_t num_layers = 0;    ///< decoder layers, each with its own K and V
  std::int64_t num_kv_heads = 0;  ///< key/value heads per layer
  std::int64_t head_dim = 0;      ///< width of one head
  c10::ScalarType dtype = c10::ScalarType::Float;       ///< element type of K and V
  c10::Device device = c10::Device(c10::DeviceType::CPU);  ///< where the pool lives
  std::int64_t block_size = 16;   ///< positions per block

  /// Bytes of K plus V for one position over all layers.
  std::int64_t bytes_per_token() const;
  /// Bytes of one block (block_size positions).
  std::int64_t bytes_per_block() const;
  /// Throws KvStateError naming the model and field when a size is not positive.
  void validate() const;
};

/// How much memory a pool reserves up front, in blocks or in bytes.
struct KvBudget {
  /// The unit of `amount`.
  enum class Unit {
    kBlocks,  ///< a number of blocks
    kBytes,   ///< a number of bytes, rounded down to whole blocks
  };
  Unit unit = Unit::kBlocks;  ///< how `amount` is counted
  std::int64_t amount = 0;    ///< blocks or bytes

  /// A budget of `count` blocks.
  static KvBudget blocks(std::int64_t count) { return {Unit::kBlocks, count}; }
  /// A budget of `count` bytes (K and V of all layers together).
  static KvBudget bytes(std::int64_t count) { return {Unit::kBytes, count}; }

  /// Number of blocks this budget buys for `spec`; throws KvStateError when it is none.
  std::int64_t num_blocks(const KvCacheSpec& spec) const;
};

}  // namespace specrouter
