#pragma once
// Seeded random byte strings for round-trip tests: a mix of ASCII words, valid multi-byte
// characters, arbitrary bytes (mostly invalid UTF-8), truncated sequences and special tokens.

#include <random>
#include <string>
#include <vector>

namespace specrouter::test {

inline void append_code_point(std::string& out, char32_t cp) {
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

/// A random string of up to `max_parts` parts; `specials` may be inserted as parts.
inline std::string random_text(std::mt19937& rng, int max_parts, const std::vector<std::string>& specials = {}) {
  static const std::string kAscii = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 \t\n\r.,;:!?'\"()[]{}<>|_-+=*/\\";
  // Code point ranges with letters, marks, digits, symbols and emoji of several scripts.
  static const std::vector<std::pair<char32_t, char32_t>> kRanges = {
      {0xA0, 0x24F}, {0x300, 0x36F}, {0x391, 0x3C9}, {0x400, 0x4FF}, {0x600, 0x6FF}, {0x900, 0x97F},
      {0xE00, 0xE7F}, {0x1100, 0x11FF}, {0x2000, 0x206F}, {0x3000, 0x303F}, {0x4E00, 0x4FFF}, {0xAC00, 0xAD00},
      {0x1F300, 0x1F6FF}, {0x1F900, 0x1F9FF}};
  std::uniform_int_distribution<int> part_count(0, max_parts);
  std::uniform_int_distribution<int> kind(0, 9);
  std::uniform_int_distribution<int> byte(0, 255);
  std::string text;
  const int parts = part_count(rng);
  for (int i = 0; i < parts; ++i) {
    switch (kind(rng)) {
      case 0: case 1: case 2: case 3:
        text.push_back(kAscii[std::uniform_int_distribution<std::size_t>(0, kAscii.size() - 1)(rng)]);
        break;
      case 4: case 5: {
        const auto& [low, high] = kRanges[std::uniform_int_distribution<std::size_t>(0, kRanges.size() - 1)(rng)];
        append_code_point(text, std::uniform_int_distribution<char32_t>(low, high)(rng));
        break;
      }
      case 6: case 7:
        text.push_back(static_cast<char>(byte(rng)));
        break;
      case 8: {
        // The first bytes of a multi-byte character, cut short.
        std::string full;
        append_code_point(full, std::uniform_int_distribution<char32_t>(0x800, 0x10FFFF)(rng));
        text += full.substr(0, std::uniform_int_distribution<std::size_t>(1, full.size() - 1)(rng));
        break;
      }
      default:
        if (!specials.empty()) text += specials[std::uniform_int_distribution<std::size_t>(0, specials.size() - 1)(rng)];
        break;
    }
  }
  return text;
}

}  // namespace specrouter::test
