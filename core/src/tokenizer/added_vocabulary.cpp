#include "added_vocabulary.h"

#include <algorithm>

#include "normalizer.h"
#include "onig_regex.h"
#include "utf8.h"

namespace specrouter::tokenizer_detail {
namespace {

// The character that ends at `end` (end > 0), decoding backwards over continuation bytes.
Utf8Char char_before(std::string_view text, std::size_t end) {
  std::size_t start = end - 1;
  while (start > 0 && end - start < 4 && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) --start;
  Utf8Char c = decode_utf8(text, start);
  if (!c.valid || start + c.length != end) return Utf8Char{static_cast<unsigned char>(text[end - 1]), 1, false};
  return c;
}

// Rust regex's Unicode `\w`: Alphabetic, marks, decimal digits, connector punctuation, joiners.
bool is_word_char(const Utf8Char& c) {
  if (!c.valid) return false;
  if (c.code_point < 0x80) {
    const char32_t cp = c.code_point;
    return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9') || cp == '_';
  }
  static const OnigRegex word(R"(\A[\p{Alphabetic}\p{M}\p{Nd}\p{Pc}\p{Join_Control}]\z)");
  std::string text;
  append_utf8(text, c.code_point);
  return !word.find_all(text).empty();
}

bool ends_with_word(std::string_view text) { return !text.empty() && is_word_char(char_before(text, text.size())); }

bool starts_with_word(std::string_view text) { return !text.empty() && is_word_char(decode_utf8(text, 0)); }

// Start of the whitespace run that ends `text` (text.size() when none).
std::size_t trailing_whitespace_start(std::string_view text) {
  std::size_t start = text.size();
  while (start > 0) {
    const Utf8Char c = char_before(text, start);
    if (!c.valid || !is_unicode_whitespace(c.code_point)) break;
    start -= c.length;
  }
  return start;
}

// Length of the whitespace run that starts `text`.
std::size_t leading_whitespace_length(std::string_view text) {
  std::size_t end = 0;
  while (end < text.size()) {
    const Utf8Char c = decode_utf8(text, end);
    if (!c.valid || !is_unicode_whitespace(c.code_point)) break;
    end += c.length;
  }
  return end;
}

}  // namespace

AddedVocabulary::AddedVocabulary(std::vector<AddedToken> tokens, const Normalizer* normalizer)
    : tokens_(std::move(tokens)) {
  for (std::size_t i = 0; i < tokens_.size(); ++i) {
    const AddedToken& token = tokens_[i];
    if (token.content.empty()) continue;  // tokenizers ignores empty added tokens
    index_by_id_[token.id] = i;
    id_by_content_[token.content] = token.id;
    if (token.special) special_contents_.insert(token.content);
    max_id_ = std::max(max_id_, token.id);
  }
  // tokenizers builds its matchers from special tokens first, then the others; with
  // leftmost-longest matching only identical patterns could tell the order apart.
  for (int pass = 0; pass < 2; ++pass) {
    for (std::size_t i = 0; i < tokens_.size(); ++i) {
      const AddedToken& token = tokens_[i];
      if (token.content.empty() || token.special != (pass == 0)) continue;
      if (!token.normalized) {
        raw_matcher_.add(token.content, i);
      } else {
        normalized_matcher_.add(normalizer != nullptr ? normalizer->normalize(token.content) : token.content, i);
      }
    }
  }
}

std::vector<TextSegment> AddedVocabulary::split_raw(std::string_view text) const { return split(text, raw_matcher_); }

std::vector<TextSegment> AddedVocabulary::split_normalized(std::string_view text) const {
  return split(text, normalized_matcher_);
}

std::vector<TextSegment> AddedVocabulary::split(std::string_view text, const LiteralMatcher& matcher) const {
  std::vector<TextSegment> segments;
  std::size_t consumed = 0;
  for (const LiteralMatcher::Match& match : matcher.find_all(text)) {
    const AddedToken& token = tokens_[match.value];
    std::size_t begin = match.begin;
    std::size_t end = match.end;
    if (token.single_word) {
      const bool space_before = begin == 0 || !ends_with_word(text.substr(0, begin));
      const bool space_after = end == text.size() || !starts_with_word(text.substr(end));
      if (!space_before || !space_after) continue;
    }
    // The whitespace may already belong to the previous token (its rstrip).
    if (token.lstrip) begin = std::max(trailing_whitespace_start(text.substr(0, begin)), consumed);
    if (token.rstrip) end += leading_whitespace_length(text.substr(end));
    if (consumed < begin) segments.push_back({consumed, begin, std::nullopt});
    segments.push_back({begin, end, token.id});
    consumed = end;
  }
  if (consumed != text.size()) segments.push_back({consumed, text.size(), std::nullopt});
  return segments;
}

const AddedToken* AddedVocabulary::find(TokenId id) const {
  const auto it = index_by_id_.find(id);
  return it == index_by_id_.end() ? nullptr : &tokens_[it->second];
}

std::optional<TokenId> AddedVocabulary::token_to_id(std::string_view content) const {
  const auto it = id_by_content_.find(content);
  return it == id_by_content_.end() ? std::nullopt : std::optional<TokenId>(it->second);
}

bool AddedVocabulary::is_special_content(std::string_view content) const {
  return special_contents_.find(content) != special_contents_.end();
}

}  // namespace specrouter::tokenizer_detail
