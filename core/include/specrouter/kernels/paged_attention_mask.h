#pragma once

/// @file
/// @brief Which keys each new token of one sequence sees, as the `paged_attention`
/// operation defines it (specrouter/kernels/paged_attention.h): the rule every
/// implementation shares, so a new kernel includes this instead of re-deriving it.

#include <cstdint>
#include <optional>
#include <vector>

namespace specrouter::detail {

/// Visibility of keys for the `count` new tokens of one sequence with `prefix` cached positions.
class SequenceMask {
 public:
  /// `parents` (nullable: a chain) holds `count` parent indices among the new tokens.
  SequenceMask(std::int64_t prefix, std::int64_t count, const std::int32_t* parents,
               std::optional<std::int64_t> window)
      : prefix_(prefix), count_(count), window_(window), tree_(parents != nullptr) {
    if (!tree_) return;
    depth_.resize(static_cast<std::size_t>(count));
    ancestor_.assign(static_cast<std::size_t>(count * count), 0);
    for (std::int64_t j = 0; j < count; ++j) {
      const std::int32_t parent = parents[j];
      depth_[static_cast<std::size_t>(j)] = parent < 0 ? 0 : depth_[static_cast<std::size_t>(parent)] + 1;
      if (parent >= 0) {
        for (std::int64_t k = 0; k < parent + 1; ++k) ancestor_[static_cast<std::size_t>(j * count + k)] = ancestor_[static_cast<std::size_t>(parent * count + k)];
      }
      ancestor_[static_cast<std::size_t>(j * count + j)] = 1;
    }
  }

  /// Cached positions before the new tokens.
  std::int64_t prefix() const { return prefix_; }
  /// Position of new token `j` (prefix + its depth).
  std::int64_t query_position(std::int64_t j) const {
    return prefix_ + (tree_ ? depth_[static_cast<std::size_t>(j)] : j);
  }
  /// Position of the key stored at `storage` (cached keys: their storage position).
  std::int64_t key_position(std::int64_t storage) const {
    return storage < prefix_ ? storage : query_position(storage - prefix_);
  }
  /// First cached position new token `j` sees (the sliding window's start).
  std::int64_t first_visible(std::int64_t j) const {
    if (!window_) return 0;
    const std::int64_t first = query_position(j) - *window_ + 1;
    return first < 0 ? 0 : first;
  }
  /// True when new token `j` sees the key stored at position `storage`.
  bool sees(std::int64_t j, std::int64_t storage) const {
    if (storage >= prefix_) {
      const std::int64_t k = storage - prefix_;
      const bool related = tree_ ? ancestor_[static_cast<std::size_t>(j * count_ + k)] != 0 : k <= j;
      if (!related) return false;
    }
    return key_position(storage) >= first_visible(j);
  }
  /// One past the last stored position new token `j` may see (its own storage position
  /// for a chain, the end of the new tokens for a tree).
  std::int64_t visible_end(std::int64_t j) const { return tree_ ? prefix_ + count_ : prefix_ + j + 1; }

 private:
  std::int64_t prefix_;
  std::int64_t count_;
  std::optional<std::int64_t> window_;
  bool tree_;
  std::vector<std::int64_t> depth_;      // [count] for trees
  std::vector<std::uint8_t> ancestor_;   // [count, count] for trees: ancestor_[j, k] = k is j or an ancestor of j
};

}  // namespace specrouter::detail
