#pragma once
// GPT-2's byte-to-unicode mapping: every byte becomes a printable character (printable
// ASCII and most of Latin-1 map to themselves, the other 68 bytes to U+0100 onwards), so a
// byte-level vocabulary is a set of ordinary strings.

#include <optional>
#include <string>
#include <string_view>

namespace specrouter::tokenizer_detail {

/// Appends the byte-level spelling of every byte of `bytes` (any bytes) to `out`.
void append_byte_level(std::string& out, std::string_view bytes);

/// The byte a byte-level character stands for, or std::nullopt if it is not one of the 256.
std::optional<unsigned char> byte_level_char_to_byte(char32_t code_point);

/// Decodes a byte-level token back to bytes, as the `tokenizers` ByteLevel decoder does: every
/// character mapped back to its byte, or, if any character is not a byte-level character,
/// the token's own UTF-8 bytes.
std::string byte_level_to_bytes(std::string_view token);

}  // namespace specrouter::tokenizer_detail
