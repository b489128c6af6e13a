#pragma once
// The BPE model of tokenizer.json ("model": {"type": "BPE"}), merging exactly as the
// `tokenizers` BPE does: characters (or byte-fallback / unknown tokens) first, then the
// lowest-ranked adjacent merge, leftmost first among equal ranks, until none applies.

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "json_reader.h"
#include "specrouter/types.h"

namespace specrouter::tokenizer_detail {

/// Hash and equality that let unordered maps keyed by std::string be probed with string_view.
struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
};

/// Token string to id, probed without allocating.
using Vocabulary = std::unordered_map<std::string, TokenId, StringHash, std::equal_to<>>;
/// Token string (viewing storage owned elsewhere) to id.
using VocabularyIndex = std::unordered_map<std::string_view, TokenId, StringHash, std::equal_to<>>;

/// A loaded BPE vocabulary with its merge table; encoding is thread-safe.
class BpeModel {
 public:
  /// Reads the "model" node; CheckpointError naming the field for a bad vocabulary or merge.
  explicit BpeModel(const JsonNode& model);
  ~BpeModel();

  /// Appends the ids of one pre-tokenized piece of valid UTF-8.
  void tokenize(std::string_view piece, std::vector<TokenId>& out) const;

  /// Appends ids for bytes that are not valid UTF-8: one byte-fallback token per byte where
  /// the vocabulary has them, otherwise the unknown token (fused if fuse_unk), or nothing.
  void tokenize_invalid_bytes(std::string_view bytes, std::vector<TokenId>& out) const;

  std::optional<TokenId> token_to_id(std::string_view token) const;
  /// The token spelled by `id`, or nullptr.
  const std::string* id_to_token(TokenId id) const;
  /// Largest id in the vocabulary (-1 when empty).
  TokenId max_id() const { return static_cast<TokenId>(id_to_token_.size()) - 1; }
  /// The unknown token's spelling, if any.
  const std::optional<std::string>& unk_token() const { return unk_token_; }

 private:
  struct MergeResult {
    std::uint32_t rank;
    TokenId merged_id;
  };
  struct Symbol {
    TokenId id;
    std::int64_t prev;
    std::int64_t next;
    std::size_t byte_length;  // 0 once merged into its left neighbour
  };

  void read_merges(const JsonNode& merges);
  void initial_symbols(std::string_view piece, bool units_are_bytes, std::vector<Symbol>& symbols) const;
  void merge(std::vector<Symbol>& symbols) const;
  std::optional<MergeResult> find_merge(TokenId left, TokenId right) const;

  std::vector<std::string> id_to_token_;  // "" with present_ false for ids the vocabulary skips
  VocabularyIndex vocab_;                 // views into id_to_token_, which never changes after loading
  std::vector<bool> present_;
  std::unordered_map<std::uint64_t, MergeResult> merges_;  // (left << 32 | right) -> merge
  std::optional<std::string> unk_token_;
  std::optional<std::string> continuing_subword_prefix_;
  std::optional<std::string> end_of_word_suffix_;
  bool fuse_unk_ = false;
  bool byte_fallback_ = false;
  bool ignore_merges_ = false;
  std::array<std::optional<TokenId>, 256> byte_fallback_ids_{};  // "<0xNN>" tokens

  // Results for pieces seen before; only an optimisation, results are identical without it.
  mutable std::mutex cache_mutex_;
  mutable std::unordered_map<std::string, std::vector<TokenId>, StringHash, std::equal_to<>> cache_;
};

}  // namespace specrouter::tokenizer_detail
