#pragma once
// Canonical Unicode normalization (NFC and NFD) of valid UTF-8, as the `tokenizers` NFC/NFD
// normalizers do it: full canonical decomposition, canonical ordering of combining marks,
// then (NFC) canonical composition, Hangul syllables included.

#include <string>
#include <string_view>

namespace specrouter::tokenizer_detail {

/// NFC of valid UTF-8 text.
std::string to_nfc(std::string_view text);

/// NFD of valid UTF-8 text.
std::string to_nfd(std::string_view text);

}  // namespace specrouter::tokenizer_detail
