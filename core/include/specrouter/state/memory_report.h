#pragma once

/// @file
/// @brief How much KV memory each model's pool holds, uses and has used at most.

#include <cstdint>
#include <string>
#include <vector>

namespace specrouter {

/// Usage of one model's block pool.
struct KvPoolUsage {
  std::string model;                   ///< model name
  std::int64_t block_size = 0;         ///< positions per block
  std::int64_t num_blocks = 0;         ///< blocks reserved
  std::int64_t used_blocks = 0;        ///< blocks held by some sequence
  std::int64_t free_blocks = 0;        ///< blocks on the free list
  std::int64_t peak_used_blocks = 0;   ///< most blocks in use at once so far
  std::int64_t shared_blocks = 0;      ///< blocks held by more than one sequence (forks, shared prefixes)
  std::int64_t bytes_per_token = 0;    ///< K plus V of one position over all layers
  std::int64_t bytes_per_block = 0;    ///< bytes_per_token * block_size
  std::int64_t reserved_bytes = 0;     ///< num_blocks * bytes_per_block
  std::int64_t stored_positions = 0;   ///< sum of K/V lengths over sequences (shared positions counted per sequence)

  /// Bytes in use per stored position, `used_blocks * bytes_per_block / stored_positions`:
  /// bytes_per_token plus the unfilled tails of last blocks, minus what sharing saves.
  /// Zero when nothing is stored.
  double used_bytes_per_position() const;
};

/// Usage of every pool of a StateManager.
struct MemoryReport {
  std::vector<KvPoolUsage> pools;  ///< one entry per model, in registration order

  /// A human-readable table, one line per pool.
  std::string to_string() const;
};

}  // namespace specrouter
