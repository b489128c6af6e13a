#pragma once
// A compiled Oniguruma regex, the engine `tokenizers` itself uses (through the `onig`
// crate), so Unicode classes, look-ahead and (?i:...) groups behave identically.

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace specrouter::tokenizer_detail {

/// Byte range [first, second) of one match.
using MatchRange = std::pair<std::size_t, std::size_t>;

/// An immutable compiled pattern; searching is thread-safe.
class OnigRegex {
 public:
  /// Compiles `pattern` (UTF-8, Oniguruma's default syntax, no options, as `onig::Regex::new`).
  /// Throws std::invalid_argument with Oniguruma's message when the pattern is invalid.
  explicit OnigRegex(std::string_view pattern);
  ~OnigRegex();
  OnigRegex(const OnigRegex&) = delete;
  OnigRegex& operator=(const OnigRegex&) = delete;

  /// Every non-overlapping match in valid UTF-8 `text`, left to right, with the `onig`
  /// crate's rule for empty matches (none directly after the previous match).
  std::vector<MatchRange> find_all(std::string_view text) const;

  /// The pattern as given.
  const std::string& pattern() const { return pattern_; }

 private:
  std::string pattern_;
  void* regex_ = nullptr;  // regex_t*, kept opaque to keep oniguruma.h out of other sources
};

/// A `tokenizers` pattern as written in tokenizer.json: {"String": literal} or {"Regex": pattern}.
class TextPattern {
 public:
  /// Matches occurrences of `text` (as `tokenizers` does with the escaped literal).
  static TextPattern literal(std::string text);
  /// Matches the Oniguruma `pattern`; throws std::invalid_argument when it does not compile.
  static TextPattern regex(std::string pattern);

  /// Every non-overlapping match in valid UTF-8 `text`, left to right.
  std::vector<MatchRange> find_all(std::string_view text) const;

 private:
  std::string literal_;
  std::shared_ptr<const OnigRegex> regex_;  // null for a non-empty literal
};

}  // namespace specrouter::tokenizer_detail
