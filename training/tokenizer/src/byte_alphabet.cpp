#include "specrouter/bpe/byte_alphabet.h"

#include <algorithm>

namespace specrouter::bpe {
namespace {

bool stands_for_itself(int byte) { return (byte >= '!' && byte <= '~') || (byte >= 0xA1 && byte <= 0xAC) || byte >= 0xAE; }

std::string utf8(std::uint32_t code_point) {
  std::string out;
  if (code_point < 0x80) {
    out.push_back(static_cast<char>(code_point));
  } else {  // the alphabet stays below U+0800
    out.push_back(static_cast<char>(0xC0 | (code_point >> 6)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  }
  return out;
}

std::array<std::uint32_t, 256> code_points() {
  std::array<std::uint32_t, 256> points{};
  std::uint32_t next = 256;
  for (int byte = 0; byte < 256; ++byte) points[byte] = stands_for_itself(byte) ? byte : next++;
  return points;
}

}  // namespace

const std::array<std::string, 256>& byte_alphabet() {
  static const std::array<std::string, 256> alphabet = [] {
    std::array<std::string, 256> out;
    const auto points = code_points();
    for (int byte = 0; byte < 256; ++byte) out[byte] = utf8(points[byte]);
    return out;
  }();
  return alphabet;
}

std::string to_alphabet(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const char c : bytes) out += byte_alphabet()[static_cast<unsigned char>(c)];
  return out;
}

const std::array<std::uint8_t, 256>& bytes_in_alphabet_order() {
  static const std::array<std::uint8_t, 256> order = [] {
    const auto points = code_points();
    std::array<std::uint8_t, 256> out{};
    for (int byte = 0; byte < 256; ++byte) out[byte] = static_cast<std::uint8_t>(byte);
    std::sort(out.begin(), out.end(), [&](std::uint8_t x, std::uint8_t y) { return points[x] < points[y]; });
    return out;
  }();
  return order;
}

}  // namespace specrouter::bpe
