// "Did you mean" hints: candidates ranked by Damerau-Levenshtein distance (optimal string
// alignment: insertions, deletions, substitutions and swaps of neighbours cost 1).
#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include "specrouter/plugin/registry.h"

namespace specrouter {
namespace {

char fold(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

// Case is ignored: `MaxLen` for `maxlen` is a typo, not another name.
std::size_t edit_distance(const std::string& a, const std::string& b) {
  const std::size_t n = a.size(), m = b.size();
  // Three rolling rows: the swap rule looks two rows back.
  std::vector<std::size_t> before(m + 1), previous(m + 1), current(m + 1);
  for (std::size_t j = 0; j <= m; ++j) previous[j] = j;
  for (std::size_t i = 1; i <= n; ++i) {
    current[0] = i;
    for (std::size_t j = 1; j <= m; ++j) {
      const std::size_t cost = fold(a[i - 1]) == fold(b[j - 1]) ? 0 : 1;
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost});
      if (i > 1 && j > 1 && fold(a[i - 1]) == fold(b[j - 2]) && fold(a[i - 2]) == fold(b[j - 1])) {
        current[j] = std::min(current[j], before[j - 2] + 1);
      }
    }
    std::swap(before, previous);
    std::swap(previous, current);
  }
  return previous[m];
}

// A typo changes a small part of a name: allow about 40% of the longer name, at least 1.
bool close_enough(std::size_t distance, const std::string& a, const std::string& b) {
  const std::size_t longer = std::max(a.size(), b.size());
  const std::size_t allowed = std::max<std::size_t>(1, (longer * 2 + 4) / 5);
  return distance <= allowed && distance < longer;
}

}  // namespace

std::vector<std::string> nearest_names(const std::string& name, const std::vector<std::string>& candidates,
                                       std::size_t limit) {
  struct Scored {
    std::size_t distance;
    std::string name;
  };
  std::vector<Scored> scored;
  for (const std::string& candidate : candidates) {
    const std::size_t distance = edit_distance(name, candidate);
    if (close_enough(distance, name, candidate)) scored.push_back({distance, candidate});
  }
  std::sort(scored.begin(), scored.end(), [](const Scored& x, const Scored& y) {
    return x.distance != y.distance ? x.distance < y.distance : x.name < y.name;
  });
  std::vector<std::string> out;
  for (const Scored& s : scored) {
    if (out.size() == limit) break;
    if (std::find(out.begin(), out.end(), s.name) == out.end()) out.push_back(s.name);
  }
  return out;
}

}  // namespace specrouter
