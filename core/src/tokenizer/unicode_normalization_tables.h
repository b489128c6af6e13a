#pragma once
// Unicode data for canonical normalization (NFC/NFD), generated into
// unicode_normalization_tables.cpp by scripts/gen_unicode_normalization_tables.py.

#include <cstddef>

namespace specrouter::tokenizer_detail {

/// Code points [first, last] all have canonical combining class `combining_class`.
struct CombiningClassRange {
  char32_t first;
  char32_t last;
  unsigned char combining_class;
};

/// `code_point` canonically decomposes to `first` (and `second`, unless 0); `composes` marks
/// primary composites, the only characters canonical composition produces.
struct CanonicalDecomposition {
  char32_t code_point;
  char32_t first;
  char32_t second;
  bool composes;
};

extern const char* const kUnicodeNormalizationVersion;
extern const CombiningClassRange kCombiningClassRanges[];
extern const std::size_t kCombiningClassRangeCount;
extern const CanonicalDecomposition kCanonicalDecompositions[];
extern const std::size_t kCanonicalDecompositionCount;

}  // namespace specrouter::tokenizer_detail
