#include "byte_level.h"

#include <array>

#include "utf8.h"

namespace specrouter::tokenizer_detail {
namespace {

struct ByteLevelTables {
  std::array<std::string, 256> byte_to_utf8;    // UTF-8 of the character each byte maps to
  std::array<char32_t, 256> byte_to_code_point;
  std::array<int, 324> code_point_to_byte;      // all mapped code points are < 0x144; -1: none

  ByteLevelTables() {
    code_point_to_byte.fill(-1);
    char32_t next_extra = 256;
    for (int byte = 0; byte < 256; ++byte) {
      const bool printable = (byte >= '!' && byte <= '~') || (byte >= 0xA1 && byte <= 0xAC) || (byte >= 0xAE);
      const char32_t cp = printable ? static_cast<char32_t>(byte) : next_extra++;
      byte_to_code_point[static_cast<std::size_t>(byte)] = cp;
      byte_to_utf8[static_cast<std::size_t>(byte)] = utf8_encode(cp);
      code_point_to_byte[cp] = byte;
    }
  }
};

const ByteLevelTables& tables() {
  static const ByteLevelTables instance;
  return instance;
}

}  // namespace

void append_byte_level(std::string& out, std::string_view bytes) {
  const ByteLevelTables& t = tables();
  for (char c : bytes) out.append(t.byte_to_utf8[static_cast<unsigned char>(c)]);
}

std::optional<unsigned char> byte_level_char_to_byte(char32_t code_point) {
  const ByteLevelTables& t = tables();
  if (code_point >= t.code_point_to_byte.size() || t.code_point_to_byte[code_point] < 0) return std::nullopt;
  return static_cast<unsigned char>(t.code_point_to_byte[code_point]);
}

std::string byte_level_to_bytes(std::string_view token) {
  std::string bytes;
  bytes.reserve(token.size());
  for (std::size_t pos = 0; pos < token.size();) {
    const Utf8Char c = decode_utf8(token, pos);
    const auto byte = c.valid ? byte_level_char_to_byte(c.code_point) : std::nullopt;
    if (!byte) return std::string(token);
    bytes.push_back(static_cast<char>(*byte));
    pos += c.length;
  }
  return bytes;
}

}  // namespace specrouter::tokenizer_detail
