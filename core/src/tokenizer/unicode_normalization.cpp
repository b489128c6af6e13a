#include "unicode_normalization.h"

#include <algorithm>
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "unicode_normalization_tables.h"
#include "utf8.h"

namespace specrouter::tokenizer_detail {
namespace {

// Hangul syllables decompose and compose by arithmetic (Unicode 3.12).
constexpr char32_t kHangulBase = 0xAC00, kLeadBase = 0x1100, kVowelBase = 0x1161, kTrailBase = 0x11A7;
constexpr char32_t kLeadCount = 19, kVowelCount = 21, kTrailCount = 28;
constexpr char32_t kSyllableCount = kLeadCount * kVowelCount * kTrailCount;
// Combining marks start here; every character below has combining class 0.
constexpr char32_t kFirstCombiningMark = 0x300;

unsigned char combining_class(char32_t cp) {
  if (cp < kFirstCombiningMark) return 0;
  const CombiningClassRange* begin = kCombiningClassRanges;
  const CombiningClassRange* end = kCombiningClassRanges + kCombiningClassRangeCount;
  const CombiningClassRange* it =
      std::upper_bound(begin, end, cp, [](char32_t value, const CombiningClassRange& r) { return value < r.first; });
  if (it == begin) return 0;
  --it;
  return cp <= it->last ? it->combining_class : 0;
}

const CanonicalDecomposition* find_decomposition(char32_t cp) {
  const CanonicalDecomposition* begin = kCanonicalDecompositions;
  const CanonicalDecomposition* end = kCanonicalDecompositions + kCanonicalDecompositionCount;
  const CanonicalDecomposition* it = std::lower_bound(
      begin, end, cp, [](const CanonicalDecomposition& d, char32_t value) { return d.code_point < value; });
  return it != end && it->code_point == cp ? it : nullptr;
}

void decompose_into(char32_t cp, std::vector<char32_t>& out) {
  if (cp >= kHangulBase && cp < kHangulBase + kSyllableCount) {
    const char32_t index = cp - kHangulBase;
    out.push_back(kLeadBase + index / (kVowelCount * kTrailCount));
    out.push_back(kVowelBase + (index % (kVowelCount * kTrailCount)) / kTrailCount);
    if (index % kTrailCount != 0) out.push_back(kTrailBase + index % kTrailCount);
    return;
  }
  // Nothing below U+00C0 decomposes; skip the table search for ASCII and Latin-1 symbols.
  const CanonicalDecomposition* d = cp < 0xC0 ? nullptr : find_decomposition(cp);
  if (d == nullptr) {
    out.push_back(cp);
    return;
  }
  decompose_into(d->first, out);
  if (d->second != 0) decompose_into(d->second, out);
}

std::uint64_t pair_key(char32_t first, char32_t second) {
  return (static_cast<std::uint64_t>(first) << 32) | second;
}

const std::unordered_map<std::uint64_t, char32_t>& composition_table() {
  static const auto* table = [] {
    auto* map = new std::unordered_map<std::uint64_t, char32_t>();
    for (std::size_t i = 0; i < kCanonicalDecompositionCount; ++i) {
      const CanonicalDecomposition& d = kCanonicalDecompositions[i];
      if (d.composes) map->emplace(pair_key(d.first, d.second), d.code_point);
    }
    return map;
  }();
  return *table;
}

// Returns the primary composite of (first, second), or 0.
char32_t compose_pair(char32_t first, char32_t second) {
  if (first >= kLeadBase && first < kLeadBase + kLeadCount && second >= kVowelBase &&
      second < kVowelBase + kVowelCount) {
    return kHangulBase + ((first - kLeadBase) * kVowelCount + (second - kVowelBase)) * kTrailCount;
  }
  if (first >= kHangulBase && first < kHangulBase + kSyllableCount && (first - kHangulBase) % kTrailCount == 0 &&
      second > kTrailBase && second < kTrailBase + kTrailCount) {
    return first + (second - kTrailBase);
  }
  const auto& table = composition_table();
  const auto it = table.find(pair_key(first, second));
  return it == table.end() ? 0 : it->second;
}

bool needs_normalization(std::string_view text) {
  for (char c : text) {
    // Any code point >= U+0300 starts with a byte >= 0xCC; the Latin-1 range below it
    // (0xC3 leads U+00C0..U+00FF) also holds precomposed letters, which NFD must split.
    if (static_cast<unsigned char>(c) >= 0xC3) return true;
  }
  return false;
}

std::vector<char32_t> canonical_decomposition(std::string_view text) {
  std::vector<char32_t> cps;
  cps.reserve(text.size());
  for (std::size_t pos = 0; pos < text.size();) {
    const Utf8Char c = decode_utf8(text, pos);
    decompose_into(c.code_point, cps);
    pos += c.length;
  }
  // Canonical ordering: stable sort of each run of non-starters by combining class.
  for (std::size_t i = 0; i < cps.size();) {
    if (combining_class(cps[i]) == 0) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < cps.size() && combining_class(cps[j]) != 0) ++j;
    std::stable_sort(cps.begin() + static_cast<std::ptrdiff_t>(i), cps.begin() + static_cast<std::ptrdiff_t>(j),
                     [](char32_t a, char32_t b) { return combining_class(a) < combining_class(b); });
    i = j;
  }
  return cps;
}

std::string encode(const std::vector<char32_t>& cps) {
  std::string out;
  out.reserve(cps.size());
  for (char32_t cp : cps) append_utf8(out, cp);
  return out;
}

}  // namespace

std::string to_nfd(std::string_view text) {
  if (!needs_normalization(text)) return std::string(text);
  return encode(canonical_decomposition(text));
}

std::string to_nfc(std::string_view text) {
  if (!needs_normalization(text)) return std::string(text);
  std::vector<char32_t> cps = canonical_decomposition(text);
  // Canonical composition (Unicode 3.11, D117): a character combines with the last starter
  // unless a character between them has a combining class >= its own (it is blocked).
  std::size_t starter = 0;
  bool have_starter = false;
  int last_class = -1;  // combining class of the last character kept after the starter
  std::size_t out = 0;
  for (std::size_t i = 0; i < cps.size(); ++i) {
    const char32_t cp = cps[i];
    const int cls = combining_class(cp);
    if (have_starter) {
      const bool blocked = last_class != -1 && (last_class == 0 || last_class >= cls);
      if (!blocked) {
        if (const char32_t composite = compose_pair(cps[starter], cp); composite != 0) {
          cps[starter] = composite;
          continue;
        }
      }
    }
    if (cls == 0) {
      starter = out;
      have_starter = true;
      last_class = -1;
    } else {
      last_class = cls;
    }
    cps[out++] = cp;
  }
  cps.resize(out);
  return encode(cps);
}

}  // namespace specrouter::tokenizer_detail
