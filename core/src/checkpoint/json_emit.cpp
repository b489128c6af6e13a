// JSON string escaping that matches serde_json and Python's json module exactly.
#include "json_emit.h"

#include <cstdint>
#include <cstdio>

namespace specrouter::detail {
namespace {

void append_u_escape(std::string& out, std::uint32_t unit) {
  char escaped[16];
  std::snprintf(escaped, sizeof escaped, "\\u%04x", static_cast<unsigned>(unit));
  out += escaped;
}

// The escapes both writers share for ASCII; returns false for a character written as is.
bool append_common_escape(std::string& out, unsigned char c) {
  switch (c) {
    case '"': out += "\\\""; return true;
    case '\\': out += "\\\\"; return true;
    case '\b': out += "\\b"; return true;
    case '\f': out += "\\f"; return true;
    case '\n': out += "\\n"; return true;
    case '\r': out += "\\r"; return true;
    case '\t': out += "\\t"; return true;
    default: break;
  }
  if (c < 0x20) {
    append_u_escape(out, c);
    return true;
  }
  return false;
}

// Decodes the UTF-8 sequence starting at text[i]; returns its length, or 0 if invalid.
std::size_t decode_utf8(std::string_view text, std::size_t i, std::uint32_t& code_point) {
  const auto lead = static_cast<unsigned char>(text[i]);
  std::size_t length = 0;
  std::uint32_t min_value = 0;
  if (lead < 0x80) {
    code_point = lead;
    return 1;
  } else if ((lead & 0xE0) == 0xC0) {
    length = 2, min_value = 0x80, code_point = lead & 0x1F;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3, min_value = 0x800, code_point = lead & 0x0F;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4, min_value = 0x10000, code_point = lead & 0x07;
  } else {
    return 0;
  }
  if (i + length > text.size()) return 0;
  for (std::size_t k = 1; k < length; ++k) {
    const auto next = static_cast<unsigned char>(text[i + k]);
    if ((next & 0xC0) != 0x80) return 0;
    code_point = (code_point << 6) | (next & 0x3F);
  }
  if (code_point < min_value || code_point > 0x10FFFF ||
      (code_point >= 0xD800 && code_point <= 0xDFFF)) {
    return 0;
  }
  return length;
}

}  // namespace

void append_serde_json_string(std::string& out, std::string_view text) {
  out += '"';
  for (const char c : text) {
    if (!append_common_escape(out, static_cast<unsigned char>(c))) out += c;
  }
  out += '"';
}

void append_python_json_string(std::string& out, std::string_view text) {
  out += '"';
  for (std::size_t i = 0; i < text.size();) {
    std::uint32_t code_point = 0;
    std::size_t length = decode_utf8(text, i, code_point);
    if (length == 0) {  // callers validate; keep going rather than loop forever
      code_point = 0xFFFD;
      length = 1;
    }
    i += length;
    if (code_point < 0x80 && append_common_escape(out, static_cast<unsigned char>(code_point))) {
      continue;
    }
    if (code_point >= 0x20 && code_point < 0x7F) {
      out += static_cast<char>(code_point);
    } else if (code_point < 0x10000) {
      append_u_escape(out, code_point);
    } else {
      const std::uint32_t offset = code_point - 0x10000;
      append_u_escape(out, 0xD800 + (offset >> 10));
      append_u_escape(out, 0xDC00 + (offset & 0x3FF));
    }
  }
  out += '"';
}

}  // namespace specrouter::detail
