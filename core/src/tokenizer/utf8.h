#pragma once
// UTF-8 helpers shared by the tokenizer sources. Text is handled as bytes everywhere;
// these functions decide where characters begin and end, and never read past the end.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace specrouter::tokenizer_detail {

/// One decoded character: its code point and byte length; `valid` is false for a byte that
/// does not start a well-formed sequence (then length is 1 and code_point is the byte).
struct Utf8Char {
  char32_t code_point = 0;
  std::size_t length = 1;
  bool valid = false;
};

/// Decodes the character starting at `text[pos]` (pos < text.size()).
Utf8Char decode_utf8(std::string_view text, std::size_t pos);

/// Appends the UTF-8 encoding of `code_point`.
void append_utf8(std::string& out, char32_t code_point);

/// The UTF-8 encoding of `code_point`.
std::string utf8_encode(char32_t code_point);

/// True when `text` is well-formed UTF-8: specrouter::first_invalid_utf8() finds no bad byte.
bool is_valid_utf8(std::string_view text);

/// Length (0 to 3) of the shortest suffix that is an incomplete but still completable UTF-8
/// sequence: a lead byte followed by fewer continuation bytes than it announces.
std::size_t incomplete_utf8_suffix(std::string_view text);

/// A stretch of input: well-formed UTF-8, or a run of bytes that are not.
struct Utf8Run {
  std::size_t begin = 0;
  std::size_t end = 0;
  bool valid = true;
};

/// Splits `text` into maximal well-formed and ill-formed runs, in order.
std::vector<Utf8Run> split_utf8_runs(std::string_view text);

/// Unicode White_Space (what Rust's char::is_whitespace and regex `\s` accept).
bool is_unicode_whitespace(char32_t code_point);

/// The code point of the first character of a valid UTF-8 string (0 when empty).
char32_t first_code_point(std::string_view text);

}  // namespace specrouter::tokenizer_detail
