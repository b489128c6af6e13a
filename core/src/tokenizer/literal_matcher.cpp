#include "literal_matcher.h"

#include <algorithm>

namespace specrouter::tokenizer_detail {

std::int64_t LiteralMatcher::child(std::uint32_t node, unsigned char byte) const {
  const auto& children = nodes_[node].children;
  const auto it = std::lower_bound(children.begin(), children.end(), byte,
                                   [](const auto& entry, unsigned char b) { return entry.first < b; });
  return it != children.end() && it->first == byte ? static_cast<std::int64_t>(it->second) : -1;
}

void LiteralMatcher::add(std::string_view pattern, std::size_t value) {
  if (pattern.empty()) return;
  starts_[static_cast<unsigned char>(pattern.front())] = true;
  std::uint32_t node = 0;
  for (char c : pattern) {
    const auto byte = static_cast<unsigned char>(c);
    const std::int64_t next = child(node, byte);
    if (next >= 0) {
      node = static_cast<std::uint32_t>(next);
      continue;
    }
    const auto created = static_cast<std::uint32_t>(nodes_.size());
    nodes_.emplace_back();
    auto& children = nodes_[node].children;
    children.insert(std::lower_bound(children.begin(), children.end(), byte,
                                     [](const auto& entry, unsigned char b) { return entry.first < b; }),
                    {byte, created});
    node = created;
  }
  if (nodes_[node].value < 0) nodes_[node].value = static_cast<std::int64_t>(value);
}

std::vector<LiteralMatcher::Match> LiteralMatcher::find_all(std::string_view text) const {
  std::vector<Match> matches;
  if (empty()) return matches;
  std::size_t pos = 0;
  while (pos < text.size()) {
    if (!starts_[static_cast<unsigned char>(text[pos])]) {
      ++pos;
      continue;
    }
    std::uint32_t node = 0;
    std::int64_t best_value = -1;
    std::size_t best_end = pos;
    for (std::size_t i = pos; i < text.size(); ++i) {
      const std::int64_t next = child(node, static_cast<unsigned char>(text[i]));
      if (next < 0) break;
      node = static_cast<std::uint32_t>(next);
      if (nodes_[node].value >= 0) {
        best_value = nodes_[node].value;
        best_end = i + 1;
      }
    }
    if (best_value >= 0) {
      matches.push_back({pos, best_end, static_cast<std::size_t>(best_value)});
      pos = best_end;
    } else {
      ++pos;
    }
  }
  return matches;
}

}  // namespace specrouter::tokenizer_detail
