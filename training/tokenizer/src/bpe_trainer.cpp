#include "specrouter/bpe/bpe_trainer.h"

#include <algorithm>
#include <map>

#include "specrouter/bpe/byte_alphabet.h"

namespace specrouter::bpe {
namespace {

using PairKey = std::uint64_t;

PairKey pair_key(TokenIndex left, TokenIndex right) { return (PairKey{left} << 32) | right; }
TokenIndex left_of(PairKey key) { return static_cast<TokenIndex>(key >> 32); }
TokenIndex right_of(PairKey key) { return static_cast<TokenIndex>(key & 0xFFFFFFFFu); }

struct Piece {
  std::vector<TokenIndex> symbols;
  std::uint64_t count = 0;
};

struct Candidate {
  std::uint64_t count = 0;
  PairKey pair = 0;
};

// The training state: pieces as token sequences, the count of every adjacent pair, and
// which pieces hold each pair (possibly stale: checked when used).
class Trainer {
 public:
  Trainer(const std::unordered_map<std::string, std::uint64_t>& piece_counts, const BpeTrainerOptions& options)
      : options_(options) {
    std::array<TokenIndex, 256> id_of_byte{};
    const auto& order = bytes_in_alphabet_order();
    for (TokenIndex id = 0; id < 256; ++id) {
      id_of_byte[order[id]] = id;
      vocabulary_.tokens.emplace_back(1, static_cast<char>(order[id]));
      id_of_bytes_.emplace(vocabulary_.tokens.back(), id);
    }
    // Sorted, so that the piece order (and the work done) never depends on hashing.
    std::vector<std::pair<std::string, std::uint64_t>> sorted(piece_counts.begin(), piece_counts.end());
    std::sort(sorted.begin(), sorted.end());
    for (const auto& [bytes, count] : sorted) {
      if (bytes.size() < 2 || count == 0) continue;  // nothing to merge
      Piece piece;
      piece.count = count;
      for (const char c : bytes) piece.symbols.push_back(id_of_byte[static_cast<unsigned char>(c)]);
      const auto index = static_cast<std::uint32_t>(pieces_.size());
      for (std::size_t i = 0; i + 1 < piece.symbols.size(); ++i) {
        const PairKey key = pair_key(piece.symbols[i], piece.symbols[i + 1]);
        pair_counts_[key] += count;
        add_holder(key, index);
      }
      pieces_.push_back(std::move(piece));
    }
    for (const auto& [key, count] : pair_counts_) push({count, key});
  }

  BpeVocabulary run() {
    while (vocabulary_.tokens.size() < options_.vocab_size && !heap_.empty()) {
      std::pop_heap(heap_.begin(), heap_.end(), before_);
      const Candidate top = heap_.back();
      heap_.pop_back();
      const std::uint64_t current = pair_counts_[top.pair];
      if (current != top.count) {  // stale entry: requeue with the true count
        if (current > 0) push({current, top.pair});
        continue;
      }
      if (current < options_.min_pair_count || current == 0) break;
      merge(top.pair);
    }
    return std::move(vocabulary_);
  }

 private:
  // Heap order: higher count first; ties to the smaller left bytes, then right bytes.
  struct Before {
    const std::vector<std::string>* tokens;
    bool operator()(const Candidate& x, const Candidate& y) const {  // true: x comes after y
      if (x.count != y.count) return x.count < y.count;
      const std::string& x_left = (*tokens)[left_of(x.pair)];
      const std::string& y_left = (*tokens)[left_of(y.pair)];
      if (x_left != y_left) return x_left > y_left;
      return (*tokens)[right_of(x.pair)] > (*tokens)[right_of(y.pair)];
    }
  };

  void push(Candidate candidate) {
    heap_.push_back(candidate);
    std::push_heap(heap_.begin(), heap_.end(), before_);
  }

  void add_holder(PairKey key, std::uint32_t piece) {
    std::vector<std::uint32_t>& holders = holders_[key];
    if (holders.empty() || holders.back() != piece) holders.push_back(piece);
  }

  void merge(PairKey pair) {
    const TokenIndex left = left_of(pair), right = right_of(pair);
    const std::string bytes = vocabulary_.tokens[left] + vocabulary_.tokens[right];
    TokenIndex merged = 0;
    if (const auto it = id_of_bytes_.find(bytes); it != id_of_bytes_.end()) {
      merged = it->second;
    } else {
      merged = static_cast<TokenIndex>(vocabulary_.tokens.size());
      vocabulary_.tokens.push_back(bytes);
      id_of_bytes_.emplace(bytes, merged);
    }
    vocabulary_.merges.emplace_back(left, right);

    std::vector<std::uint32_t> holders = std::move(holders_[pair]);
    holders_.erase(pair);
    std::vector<PairKey> grown;
    for (const std::uint32_t index : holders) merge_in_piece(index, left, right, merged, grown);
    std::sort(grown.begin(), grown.end());
    grown.erase(std::unique(grown.begin(), grown.end()), grown.end());
    for (const PairKey key : grown) {
      if (const std::uint64_t count = pair_counts_[key]; count > 0) push({count, key});
    }
  }

  // Replaces every (left, right) in one piece, leftmost first, and moves the counts of
  // exactly the pairs that change: old pairs touching a merged position go, new pairs
  // touching a merged token come.
  void merge_in_piece(std::uint32_t index, TokenIndex left, TokenIndex right, TokenIndex merged,
                      std::vector<PairKey>& grown) {
    Piece& piece = pieces_[index];
    const std::vector<TokenIndex>& old = piece.symbols;
    const std::size_t n = old.size();
    std::vector<TokenIndex> fresh;
    fresh.reserve(n);
    std::vector<std::size_t> lost_pairs;     // i: the old pair (old[i], old[i+1])
    std::vector<std::size_t> merged_places;  // positions of the merged token in `fresh`
    for (std::size_t i = 0; i < n;) {
      if (i + 1 < n && old[i] == left && old[i + 1] == right) {
        for (std::size_t j = (i == 0 ? 0 : i - 1); j <= i + 1; ++j) {
          if (j + 1 < n && (lost_pairs.empty() || lost_pairs.back() < j)) lost_pairs.push_back(j);
        }
        merged_places.push_back(fresh.size());
        fresh.push_back(merged);
        i += 2;
      } else {
        fresh.push_back(old[i]);
        ++i;
      }
    }
    if (merged_places.empty()) return;  // a stale holder entry
    for (const std::size_t i : lost_pairs) pair_counts_[pair_key(old[i], old[i + 1])] -= piece.count;
    std::size_t last_added = SIZE_MAX;
    for (const std::size_t k : merged_places) {
      for (std::size_t j = (k == 0 ? 0 : k - 1); j <= k; ++j) {
        if (j + 1 >= fresh.size() || (last_added != SIZE_MAX && j <= last_added)) continue;
        last_added = j;
        const PairKey key = pair_key(fresh[j], fresh[j + 1]);
        pair_counts_[key] += piece.count;
        add_holder(key, index);
        grown.push_back(key);
      }
    }
    piece.symbols = std::move(fresh);
  }

  BpeTrainerOptions options_;
  BpeVocabulary vocabulary_;
  std::unordered_map<std::string, TokenIndex> id_of_bytes_;
  std::vector<Piece> pieces_;
  std::unordered_map<PairKey, std::uint64_t> pair_counts_;
  std::unordered_map<PairKey, std::vector<std::uint32_t>> holders_;
  std::vector<Candidate> heap_;
  Before before_{&vocabulary_.tokens};
};

}  // namespace

BpeVocabulary train_bpe(const std::unordered_map<std::string, std::uint64_t>& piece_counts,
                        const BpeTrainerOptions& options) {
  return Trainer(piece_counts, options).run();
}

}  // namespace specrouter::bpe
