#pragma once

/// @file
/// @brief Cutting a file's text into chunks and assigning each chunk to the train or the
/// held-out split, deterministically.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace specrouter::corpus {

/// Cuts `text` into consecutive chunks of at most `max_bytes` (concatenated they give
/// `text`). Each cut goes after the last blank line ("\n\n") that keeps the chunk within
/// the limit, else after the last newline, else before the last whole UTF-8 character
/// that fits; so chunks depend only on the text.
std::vector<std::string_view> chunk_text(std::string_view text, std::size_t max_bytes);

/// True when chunk `chunk_index` of the file at corpus path `path` is held out: the
/// first 8 bytes of SHA-256("<path>#<chunk_index>"), read as a big-endian integer and
/// divided by 2^64, fall below `heldout_fraction`. It depends on nothing else, so a
/// file's chunks keep their split when other files come or go.
bool is_heldout(std::string_view path, std::size_t chunk_index, double heldout_fraction);

}  // namespace specrouter::corpus
