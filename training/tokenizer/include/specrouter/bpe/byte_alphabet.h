#pragma once

/// @file
/// @brief GPT-2's byte-to-unicode alphabet: how byte-level BPE spells raw bytes as
/// printable characters in tokenizer.json.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace specrouter::bpe {

/// The UTF-8 spelling of each byte: printable Latin-1 bytes ('!'..'~', '¡'..'¬',
/// '®'..'ÿ') stand for themselves, the other 68 bytes map to U+0100 onwards in byte order
/// (so the space is 'Ġ', the newline 'Ċ').
const std::array<std::string, 256>& byte_alphabet();

/// `bytes` spelled in the byte alphabet (what tokenizer.json stores for a token).
std::string to_alphabet(std::string_view bytes);

/// The 256 bytes ordered by the code point of their spelling (GPT-2's id order for the
/// base vocabulary: '!' first). Element i is the byte that gets id i.
const std::array<std::uint8_t, 256>& bytes_in_alphabet_order();

}  // namespace specrouter::bpe
