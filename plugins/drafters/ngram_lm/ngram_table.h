#pragma once

// A flat hash table from the n-grams of one length to a value, for the Kneser-Ney model's
// counts and contexts. Private to the plugin.
//
// An n-gram is stored as its start position in the training corpus (4 bytes), so keys
// cost no copies; lookups hash the tokens and compare them with the corpus. Open
// addressing with linear probing in a power-of-two array sized up front for a known
// maximum number of entries (load <= 1/2), so there is no node allocation, no rehash and
// no pointer chasing: std::unordered_map spent most of the model's build time in both.

#include <bit>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

#include "specrouter/types.h"

namespace specrouter::ngram_lm {

/// splitmix64's finalizer folded over the ids, seeded with the length.
inline std::uint64_t hash_ngram(std::span<const TokenId> ngram) {
  std::uint64_t hash = 0x9E3779B97F4A7C15ull ^ ngram.size();
  for (const TokenId token : ngram) {
    hash ^= static_cast<std::uint32_t>(token);
    hash *= 0xBF58476D1CE4E5B9ull;
    hash ^= hash >> 31;
    hash *= 0x94D049BB133111EBull;
    hash ^= hash >> 29;
  }
  return hash;
}

/// Maps n-grams of `length` tokens, named by their start in `corpus`, to a Value.
template <class Value>
class NgramTable {
 public:
  /// Position marking a free slot; corpora are limited to fewer tokens than this.
  static constexpr std::uint32_t kFree = std::numeric_limits<std::uint32_t>::max();

  NgramTable() = default;
  /// An empty table for n-grams of `length` tokens of `corpus`, with room for `max_entries`.
  NgramTable(std::span<const TokenId> corpus, std::size_t length, std::size_t max_entries)
      : corpus_(corpus), length_(length), mask_(std::bit_ceil(2 * max_entries + 2) - 1), starts_(mask_ + 1, kFree),
        values_(mask_ + 1) {}

  /// The value of the n-gram starting at corpus position `start`, inserted (Value{}) if absent.
  Value& at_position(std::uint32_t start) {
    const std::span<const TokenId> ngram = corpus_.subspan(start, length_);
    std::size_t slot = hash_ngram(ngram) & mask_;
    for (; starts_[slot] != kFree; slot = (slot + 1) & mask_) {
      if (equal(starts_[slot], ngram)) return values_[slot];
    }
    starts_[slot] = start;
    ++size_;
    return values_[slot];
  }

  /// The value of `ngram` (any tokens, `length` of them), or nullptr when absent.
  const Value* find(std::span<const TokenId> ngram) const {
    const std::size_t slot = slot_of(ngram);
    return slot == kNoSlot ? nullptr : &values_[slot];
  }
  /// The value of the n-gram starting at corpus position `start`, which must be present.
  Value& existing(std::uint32_t start) { return values_[slot_of(corpus_.subspan(start, length_))]; }

  /// Calls `visit(start, value)` for every entry, in slot order (deterministic for a given corpus).
  template <class Visit>
  void for_each(Visit&& visit) {
    for (std::size_t slot = 0; slot < starts_.size(); ++slot) {
      if (starts_[slot] != kFree) visit(starts_[slot], values_[slot]);
    }
  }
  template <class Visit>
  void for_each(Visit&& visit) const {
    for (std::size_t slot = 0; slot < starts_.size(); ++slot) {
      if (starts_[slot] != kFree) visit(starts_[slot], values_[slot]);
    }
  }

  std::size_t size() const { return size_; }

 private:
  static constexpr std::size_t kNoSlot = std::numeric_limits<std::size_t>::max();

  std::size_t slot_of(std::span<const TokenId> ngram) const {
    if (ngram.size() != length_ || starts_.empty()) return kNoSlot;
    for (std::size_t slot = hash_ngram(ngram) & mask_; starts_[slot] != kFree; slot = (slot + 1) & mask_) {
      if (equal(starts_[slot], ngram)) return slot;
    }
    return kNoSlot;
  }

  bool equal(std::uint32_t start, std::span<const TokenId> ngram) const {
    const TokenId* stored = corpus_.data() + start;
    for (std::size_t i = 0; i < length_; ++i) {
      if (stored[i] != ngram[i]) return false;
    }
    return true;
  }

  std::span<const TokenId> corpus_;
  std::size_t length_ = 0;
  std::size_t mask_ = 0;
  std::vector<std::uint32_t> starts_;  // kFree or the n-gram's corpus position
  std::vector<Value> values_;
  std::size_t size_ = 0;
};

}  // namespace specrouter::ngram_lm
