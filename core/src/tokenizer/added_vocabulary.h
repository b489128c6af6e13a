#pragma once
// Added tokens of tokenizer.json ("added_tokens"): special and user-added tokens that are
// cut out of the text before normalization and pre-tokenization, as `tokenizers`'
// AddedVocabulary does (leftmost-longest matching, lstrip/rstrip/single_word, and matching
// of "normalized" tokens against normalized text).

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "bpe_model.h"
#include "literal_matcher.h"
#include "specrouter/types.h"

namespace specrouter::tokenizer_detail {

class Normalizer;

/// One entry of "added_tokens".
struct AddedToken {
  TokenId id = 0;
  std::string content;
  bool single_word = false;  // match only where not inside a word
  bool lstrip = false;       // also swallow whitespace on the left
  bool rstrip = false;       // also swallow whitespace on the right
  bool normalized = true;    // match against normalized text instead of the raw input
  bool special = false;      // a control token (skippable when decoding)
};

/// A stretch of text [begin, end), or an added token found there.
struct TextSegment {
  std::size_t begin;
  std::size_t end;
  std::optional<TokenId> token;
};

/// The added tokens of one tokenizer.
class AddedVocabulary {
 public:
  /// `normalizer` (may be null) gives the form that "normalized" tokens are matched in.
  AddedVocabulary(std::vector<AddedToken> tokens, const Normalizer* normalizer);

  /// Cuts raw input at the tokens with normalized=false; segments cover the whole text.
  std::vector<TextSegment> split_raw(std::string_view text) const;
  /// Cuts normalized text at the tokens with normalized=true.
  std::vector<TextSegment> split_normalized(std::string_view text) const;

  /// The added token with this id, or nullptr.
  const AddedToken* find(TokenId id) const;
  /// The id of the added token with this content.
  std::optional<TokenId> token_to_id(std::string_view content) const;
  /// True when `content` is the content of a special token (decode's skip test).
  bool is_special_content(std::string_view content) const;
  /// Largest added id (-1 when there are none).
  TokenId max_id() const { return max_id_; }
  /// All added tokens, in file order.
  const std::vector<AddedToken>& tokens() const { return tokens_; }

 private:
  std::vector<TextSegment> split(std::string_view text, const LiteralMatcher& matcher) const;

  std::vector<AddedToken> tokens_;
  std::unordered_map<TokenId, std::size_t> index_by_id_;
  Vocabulary id_by_content_;
  std::unordered_set<std::string, StringHash, std::equal_to<>> special_contents_;
  LiteralMatcher raw_matcher_;         // values: index into tokens_
  LiteralMatcher normalized_matcher_;  // patterns: normalized contents
  TokenId max_id_ = -1;
};

}  // namespace specrouter::tokenizer_detail
