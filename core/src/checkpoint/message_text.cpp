// One-line, quoted names for error messages, and "did you mean" suggestions.
#include "message_text.h"

#include <algorithm>
#include <cstdio>
#include <utility>

namespace specrouter::detail {
namespace {

constexpr std::size_t kMaxQuotedBytes = 200;

// Levenshtein distance, with the usual two-row table; gives up early (returns limit + 1)
// once every entry of a row exceeds `limit`, which keeps a lookup over thousands of
// long tensor names cheap.
std::size_t edit_distance(std::string_view a, std::string_view b, std::size_t limit) {
  const std::size_t length_gap = a.size() > b.size() ? a.size() - b.size() : b.size() - a.size();
  if (length_gap > limit) return limit + 1;
  std::vector<std::size_t> previous(b.size() + 1), current(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) previous[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    current[0] = i;
    std::size_t row_min = current[0];
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, substitution});
      row_min = std::min(row_min, current[j]);
    }
    if (row_min > limit) return limit + 1;
    std::swap(previous, current);
  }
  return previous[b.size()];
}

}  // namespace

std::string quote(std::string_view text) {
  std::string out = "'";
  std::size_t written = 0;
  for (const char c : text) {
    if (written >= kMaxQuotedBytes) {
      out += "...";
      break;
    }
    const auto byte = static_cast<unsigned char>(c);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\'' || c == '\\') {
      out += '\\';
      out += c;
    } else if (byte < 0x20 || byte == 0x7F) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\x%02x", byte);
      out += escaped;
    } else {
      out += c;
    }
    ++written;
  }
  out += "'";
  return out;
}

std::string one_line(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) c = ' ';
  }
  return out;
}

std::string nearest_names(std::string_view name, const std::vector<std::string>& candidates,
                          std::size_t count) {
  const std::size_t limit = std::max<std::size_t>(2, name.size() / 3);
  std::vector<std::pair<std::size_t, const std::string*>> scored;
  for (const std::string& candidate : candidates) {
    const std::size_t distance = edit_distance(name, candidate, limit);
    if (distance <= limit) scored.emplace_back(distance, &candidate);
  }
  std::stable_sort(scored.begin(), scored.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string out;
  for (std::size_t i = 0; i < scored.size() && i < count; ++i) {
    if (i > 0) out += ", ";
    out += quote(*scored[i].second);
  }
  return out;
}

}  // namespace specrouter::detail
