#pragma once

/// @file
/// @brief UTF-8 validation with the position of the first ill-formed byte, the one
/// validator of the project (tokenizer, checkpoint writer, text corpus).

#include <cstddef>
#include <string_view>

namespace specrouter {

/// The byte offset of the first byte of `text` that does not begin a well-formed UTF-8
/// sequence, or `std::string_view::npos` when all of `text` is well-formed.
///
/// Well-formed means Unicode's Table 3-7 (RFC 3629), the rules of Python's
/// `bytes.decode('utf-8')`: no overlong forms (C0, C1, E0 80..9F, F0 80..8F), no
/// surrogates (ED A0..BF), nothing above U+10FFFF (F4 90..BF, F5..FF), no continuation
/// byte without a lead byte, and no sequence cut short by a wrong byte or by the end of
/// `text`. The offset is that of the lead byte of the offending sequence, which is the
/// `start` of Python's `UnicodeDecodeError`. Cost: one pass, O(text.size()).
std::size_t first_invalid_utf8(std::string_view text);

}  // namespace specrouter
