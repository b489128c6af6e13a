#pragma once
// Helpers that keep error messages on one line and name things unambiguously.

#include <string>
#include <string_view>
#include <vector>

namespace specrouter::detail {

/// `'text'`, with control characters, quotes and backslashes escaped (`\n`, `\x01`) so the
/// result stays on one line, and cut after 200 bytes with `...`.
std::string quote(std::string_view text);

/// `text` with every control character replaced by a space.
std::string one_line(std::string_view text);

/// Up to `count` of `candidates` closest to `name` by edit distance, closest first, as
/// `'a', 'b'`; empty when no candidate is close (distance above a third of the name).
std::string nearest_names(std::string_view name, const std::vector<std::string>& candidates,
                          std::size_t count = 3);

}  // namespace specrouter::detail
