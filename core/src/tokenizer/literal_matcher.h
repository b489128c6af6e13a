#pragma once
// Finds literal strings (added and special tokens) in text with Aho-Corasick's
// "leftmost-longest" semantics, as `tokenizers` does: the match starting first wins, the
// longest among those, and the search resumes after it.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

namespace specrouter::tokenizer_detail {

/// A set of byte strings, each with a caller-chosen value.
class LiteralMatcher {
 public:
  /// One occurrence: text[begin, end) equals the pattern that was added with `value`.
  struct Match {
    std::size_t begin;
    std::size_t end;
    std::size_t value;
  };

  /// Adds a non-empty pattern; a pattern added twice keeps its first value.
  void add(std::string_view pattern, std::size_t value);

  /// True when no pattern was added.
  bool empty() const { return nodes_.size() <= 1; }

  /// Every non-overlapping leftmost-longest match, in order.
  std::vector<Match> find_all(std::string_view text) const;

 private:
  struct Node {
    std::vector<std::pair<unsigned char, std::uint32_t>> children;  // sorted by byte
    std::int64_t value = -1;                                        // >= 0: a pattern ends here
  };
  std::int64_t child(std::uint32_t node, unsigned char byte) const;

  std::vector<Node> nodes_{Node{}};
  std::array<bool, 256> starts_{};  // bytes some pattern starts with
};

}  // namespace specrouter::tokenizer_detail
