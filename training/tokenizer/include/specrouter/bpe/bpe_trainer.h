#pragma once

/// @file
/// @brief Learning byte-level BPE merges from piece counts.
///
/// @code
/// std::unordered_map<std::string, std::uint64_t> counts;
/// specrouter::bpe::PieceSplitter(specrouter::bpe::kLlama3Pattern).count_pieces(text, counts);
/// specrouter::bpe::BpeVocabulary vocabulary = specrouter::bpe::train_bpe(counts, {.vocab_size = 4094});
/// @endcode

#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace specrouter::bpe {

/// Id of a token in the learned vocabulary.
using TokenIndex = std::uint32_t;

/// What train_bpe() learns.
struct BpeVocabulary {
  /// Token id -> its bytes. Ids 0-255 are the single bytes in byte-alphabet order
  /// (bytes_in_alphabet_order()), then one id per new token in the order it was made.
  std::vector<std::string> tokens;
  /// The merges in rank order: (left id, right id); their concatenation is a token.
  std::vector<std::pair<TokenIndex, TokenIndex>> merges;
};

/// How train_bpe() runs.
struct BpeTrainerOptions {
  /// Stop when the vocabulary (256 bytes + merged tokens, no special tokens) has this
  /// many tokens.
  std::size_t vocab_size = 4094;
  /// Stop earlier when the most frequent pair occurs fewer times than this.
  std::uint64_t min_pair_count = 2;
};

/// Learns merges from `piece_counts` (piece bytes -> occurrences): repeatedly merges the
/// adjacent pair of tokens that occurs most often, counting each piece's occurrences.
///
/// Ties go to the pair whose left token's bytes sort first (bytewise), then whose right
/// token's bytes sort first, so the result depends only on the counts. Within a piece,
/// overlapping occurrences merge leftmost first (`aaa` with the pair (a, a) gives `Aa`).
/// A merge whose bytes equal an existing token reuses its id (as `tokenizers` does), so
/// the vocabulary can grow by less than one per merge. Counts are updated incrementally
/// (only the pieces holding the merged pair are touched), with a lazily refreshed
/// max-heap of pair counts.
BpeVocabulary train_bpe(const std::unordered_map<std::string, std::uint64_t>& piece_counts,
                        const BpeTrainerOptions& options);

}  // namespace specrouter::bpe
