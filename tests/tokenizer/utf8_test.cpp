// first_invalid_utf8: the offset of the first ill-formed byte under Unicode Table 3-7 (what
// Python's bytes.decode('utf-8') reports as the error's start), on a table of inputs worked
// out by hand, and on every code point encoded by a test-local encoder.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "specrouter/tokenizer/utf8.h"

namespace specrouter {
namespace {

constexpr std::size_t kValid = std::string_view::npos;

struct Case {
  std::string bytes;
  std::size_t first_invalid;
  const char* what;
};

std::string hex(std::string_view bytes) {
  std::string out;
  char byte[4];
  for (const char c : bytes) {
    std::snprintf(byte, sizeof byte, "%02X ", static_cast<unsigned char>(c));
    out += byte;
  }
  return out;
}

TEST(FirstInvalidUtf8, OffsetOfTheFirstBadByteForATableOfInputs) {
  const std::vector<Case> cases = {
      {"", kValid, "empty"},
      {"plain ASCII\n\t~\x7F", kValid, "ASCII including DEL"},
      {"\xC2\x80", kValid, "smallest 2-byte (U+0080)"},
      {"\xDF\xBF", kValid, "largest 2-byte (U+07FF)"},
      {"\xE0\xA0\x80", kValid, "smallest 3-byte (U+0800)"},
      {"\xED\x9F\xBF", kValid, "U+D7FF, just below the surrogates"},
      {"\xEE\x80\x80", kValid, "U+E000, just above the surrogates"},
      {"\xEF\xBF\xBF", kValid, "U+FFFF"},
      {"\xF0\x90\x80\x80", kValid, "smallest 4-byte (U+10000)"},
      {"\xF0\x9F\x98\x80", kValid, "U+1F600, an emoji"},
      {"\xF4\x8F\xBF\xBF", kValid, "U+10FFFF, the largest code point"},
      {"a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80z", kValid, "1-, 2-, 3- and 4-byte characters in a row"},
      {"\xEF\xBB\xBFtext", kValid, "a byte-order mark is a character like any other"},

      {"\x80", 0, "continuation byte first"},
      {"ab\xBF", 2, "continuation byte after ASCII"},
      {"\xC3\xA9\x80", 2, "continuation byte after a complete character"},
      {"\xC0\x80", 0, "overlong 2-byte NUL (C0 80)"},
      {"\xC1\xBF", 0, "overlong 2-byte U+007F (C1 BF)"},
      {"\xE0\x80\x80", 0, "overlong 3-byte NUL (E0 80 80)"},
      {"\xE0\x9F\xBF", 0, "overlong 3-byte U+07FF (E0 9F BF)"},
      {"\xF0\x80\x80\x80", 0, "overlong 4-byte NUL (F0 80 80 80)"},
      {"\xF0\x8F\xBF\xBF", 0, "overlong 4-byte U+FFFF (F0 8F BF BF)"},
      {"\xED\xA0\x80", 0, "surrogate U+D800"},
      {"\xED\xBF\xBF", 0, "surrogate U+DFFF"},
      {"x\xED\xB2\x80y", 1, "low surrogate U+DC80 after ASCII"},
      {"\xED\xA0\xBD\xED\xB8\x80", 0, "a surrogate pair encoded as two 3-byte sequences (CESU-8)"},
      {"\xF4\x90\x80\x80", 0, "U+110000, past the largest code point (F4 90 ..)"},
      {"\xF5\x80\x80\x80", 0, "lead byte F5"},
      {"\xF8\x88\x80\x80\x80", 0, "5-byte form"},
      {"\xFE", 0, "byte FE"},
      {"\xFF", 0, "byte FF"},
      {"\xC3", 0, "2-byte sequence truncated at the end"},
      {"ok\xE2\x82", 2, "3-byte sequence truncated at the end"},
      {"\xF0\x9F\x98", 0, "4-byte sequence truncated at the end"},
      {"\xE2\x82\xAC\xF0\x9F", 3, "truncated at the end after a complete 3-byte character"},
      {"\xE2\x28\xA1", 0, "3-byte sequence with a bad second byte"},
      {"\xE2\x82\x28", 0, "3-byte sequence with a bad third byte"},
      {"\xF0\x9F\x98\x41", 0, "4-byte sequence with a bad last byte"},
      {"\xC3\xA9\xC3 ", 2, "2-byte sequence cut by a space"},
      {"valid \xF0\x9F\x98\x80 then \xC0\xAF and \xFF", 16, "only the first bad byte counts"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(first_invalid_utf8(c.bytes), c.first_invalid) << c.what << ": " << hex(c.bytes);
  }
}

// UTF-8 of `code_point` in `length` bytes (an overlong form when longer than needed; any
// value, surrogates and values past U+10FFFF included), written here from the definition
// rather than taken from the code under test.
std::string encode(char32_t code_point, int length) {
  if (length == 1) return std::string(1, static_cast<char>(code_point));
  static constexpr unsigned char kLead[] = {0, 0, 0xC0, 0xE0, 0xF0};
  std::string out(static_cast<std::size_t>(length), '\0');
  for (int i = length - 1; i > 0; --i) {
    out[static_cast<std::size_t>(i)] = static_cast<char>(0x80 | (code_point & 0x3F));
    code_point >>= 6;
  }
  out[0] = static_cast<char>(kLead[length] | code_point);
  return out;
}

int shortest_length(char32_t code_point) {
  return code_point < 0x80 ? 1 : code_point < 0x800 ? 2 : code_point < 0x10000 ? 3 : 4;
}

TEST(FirstInvalidUtf8, EveryScalarValueIsValidAndEverythingElseIsRefusedAtItsLeadByte) {
  int failures = 0;
  const auto expect = [&](const std::string& bytes, std::size_t expected, char32_t code_point, const char* what) {
    const std::string text = "<" + bytes + ">";  // the bad byte is at offset 1, not 0
    const std::size_t got = first_invalid_utf8(text);
    const std::size_t want = expected == kValid ? kValid : expected + 1;
    if (got != want && ++failures <= 10) {
      ADD_FAILURE() << what << " U+" << std::hex << static_cast<std::uint32_t>(code_point) << ": " << hex(bytes)
                    << "gave " << std::dec << got;
    }
  };
  for (char32_t code_point = 0; code_point <= 0x10FFFF; ++code_point) {
    const int length = shortest_length(code_point);
    const bool surrogate = code_point >= 0xD800 && code_point <= 0xDFFF;
    expect(encode(code_point, length), surrogate ? 0 : kValid, code_point, surrogate ? "surrogate" : "scalar value");
    if (length < 4) expect(encode(code_point, length + 1), 0, code_point, "overlong form");
    // Cut at the end: a well-formed beginning that the end of the text interrupts.
    if (length > 1 && !surrogate) {
      const std::string cut = encode(code_point, length).substr(0, static_cast<std::size_t>(length - 1));
      if (first_invalid_utf8(cut) != 0 && ++failures <= 10) ADD_FAILURE() << "truncated " << hex(cut);
    }
  }
  for (char32_t code_point = 0x110000; code_point <= 0x1FFFFF; code_point += 0x3F) {
    expect(encode(code_point, 4), 0, code_point, "past U+10FFFF");
  }
  EXPECT_EQ(failures, 0);
}

}  // namespace
}  // namespace specrouter
