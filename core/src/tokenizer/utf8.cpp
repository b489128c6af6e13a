#include "utf8.h"

#include "specrouter/tokenizer/utf8.h"

namespace specrouter::tokenizer_detail {
namespace {

bool is_continuation(unsigned char byte) { return (byte & 0xC0) == 0x80; }

// Allowed range of the second byte for a lead byte (Unicode Table 3-7); other continuation
// bytes are always 0x80..0xBF. Returns false for bytes that cannot lead a sequence.
bool second_byte_range(unsigned char lead, unsigned char& low, unsigned char& high, std::size_t& length) {
  low = 0x80;
  high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;
    if (lead == 0xED) high = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;
  } else {
    return false;
  }
  return true;
}

}  // namespace

Utf8Char decode_utf8(std::string_view text, std::size_t pos) {
  const auto lead = static_cast<unsigned char>(text[pos]);
  if (lead < 0x80) return {lead, 1, true};
  unsigned char low = 0, high = 0;
  std::size_t length = 0;
  if (!second_byte_range(lead, low, high, length) || pos + length > text.size()) {
    return {lead, 1, false};
  }
  const auto second = static_cast<unsigned char>(text[pos + 1]);
  if (second < low || second > high) return {lead, 1, false};
  char32_t code_point = lead & (length == 2 ? 0x1F : length == 3 ? 0x0F : 0x07);
  code_point = (code_point << 6) | (second & 0x3F);
  for (std::size_t i = 2; i < length; ++i) {
    const auto byte = static_cast<unsigned char>(text[pos + i]);
    if (!is_continuation(byte)) return {lead, 1, false};
    code_point = (code_point << 6) | (byte & 0x3F);
  }
  return {code_point, length, true};
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

std::string utf8_encode(char32_t code_point) {
  std::string out;
  append_utf8(out, code_point);
  return out;
}

bool is_valid_utf8(std::string_view text) { return first_invalid_utf8(text) == std::string_view::npos; }

std::size_t incomplete_utf8_suffix(std::string_view text) {
  // Look back at most 3 bytes for the lead byte of the last sequence.
  const std::size_t lookback = text.size() < 3 ? text.size() : 3;
  for (std::size_t back = 1; back <= lookback; ++back) {
    const std::size_t lead_pos = text.size() - back;
    const auto lead = static_cast<unsigned char>(text[lead_pos]);
    if (is_continuation(lead)) continue;
    unsigned char low = 0, high = 0;
    std::size_t length = 0;
    if (!second_byte_range(lead, low, high, length) || back >= length) return 0;
    if (back >= 2) {
      const auto second = static_cast<unsigned char>(text[lead_pos + 1]);
      if (second < low || second > high) return 0;
      // Any further bytes are continuation bytes (checked by the loop reaching here).
    }
    return back;
  }
  return 0;
}

std::vector<Utf8Run> split_utf8_runs(std::string_view text) {
  std::vector<Utf8Run> runs;
  for (std::size_t pos = 0; pos < text.size();) {
    const auto byte = static_cast<unsigned char>(text[pos]);
    std::size_t length = 1;
    bool valid = true;
    if (byte >= 0x80) {
      const Utf8Char c = decode_utf8(text, pos);
      valid = c.valid;
      length = c.length;
    }
    if (!runs.empty() && runs.back().valid == valid) {
      runs.back().end = pos + length;
    } else {
      runs.push_back({pos, pos + length, valid});
    }
    pos += length;
  }
  return runs;
}

bool is_unicode_whitespace(char32_t cp) {
  switch (cp) {
    case 0x09: case 0x0A: case 0x0B: case 0x0C: case 0x0D: case 0x20: case 0x85: case 0xA0:
    case 0x1680: case 0x2028: case 0x2029: case 0x202F: case 0x205F: case 0x3000:
      return true;
    default:
      return cp >= 0x2000 && cp <= 0x200A;
  }
}

char32_t first_code_point(std::string_view text) {
  if (text.empty()) return 0;
  return decode_utf8(text, 0).code_point;
}

}  // namespace specrouter::tokenizer_detail

namespace specrouter {

std::size_t first_invalid_utf8(std::string_view text) {
  for (std::size_t pos = 0; pos < text.size();) {
    const auto byte = static_cast<unsigned char>(text[pos]);
    if (byte < 0x80) {  // ASCII, the common case, without a call
      ++pos;
      continue;
    }
    const tokenizer_detail::Utf8Char c = tokenizer_detail::decode_utf8(text, pos);
    if (!c.valid) return pos;
    pos += c.length;
  }
  return std::string_view::npos;
}

}  // namespace specrouter
