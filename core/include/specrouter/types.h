#pragma once

/// @file
/// @brief Vocabulary types shared by every component.

#include <cstdint>
#include <span>

namespace specrouter {

/// A token id in the pool's shared vocabulary.
using TokenId = std::int32_t;

/// Identifies a sequence (a request, or a fork of one) in a StateManager.
using SequenceId = std::int64_t;

/// Identifies a model registered with a StateManager (its registration index).
using KvModelId = std::int32_t;

/// Probability distributions over the vocabulary for consecutive positions, row-major
/// `[rows, vocab_size]`, on the host. Does not own its data.
struct ProbabilityRows {
  const float* data = nullptr;   ///< rows * vocab_size values, each row sums to 1
  std::int64_t rows = 0;         ///< number of positions
  std::int64_t vocab_size = 0;   ///< entries per row

  /// True when no distributions are given.
  bool empty() const { return data == nullptr || rows == 0; }
  /// The distribution of position `i`.
  std::span<const float> row(std::int64_t i) const {
    return {data + i * vocab_size, static_cast<std::size_t>(vocab_size)};
  }
};

}  // namespace specrouter
