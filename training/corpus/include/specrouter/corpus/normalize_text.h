#pragma once

/// @file
/// @brief Turning one source file's bytes into corpus text: decompression, the checks
/// that drop binary files, and the normalisation every file gets.

#include <string>
#include <string_view>

namespace specrouter::corpus {

/// A file's text after normalize_file(), or why the file was skipped.
struct NormalizedText {
  std::string text;         ///< normalised UTF-8 text, ending in one newline; empty when skipped
  std::string skip_reason;  ///< empty when the file is used, else e.g. "binary (NUL byte at offset 12)"
};

/// Decompresses gzip data (a `.gz` file); returns false when `compressed` is not valid gzip.
bool gunzip(std::string_view compressed, std::string& out);

/// The corpus text of one file, in this order:
///  1. `.gz` names are decompressed (invalid gzip: skipped);
///  2. a NUL byte or invalid UTF-8 skips the file (binary or another encoding);
///  3. a leading UTF-8 byte-order mark is dropped; CR LF and lone CR become LF;
///  4. a backspace removes itself and the character before it (nroff overstrike), other
///     C0 control characters except tab and newline, and DEL, are dropped;
///  5. trailing spaces and tabs are stripped from every line;
///  6. leading blank lines are dropped, runs of blank lines become one, and the text ends
///     with exactly one newline (a file with nothing left is skipped as "empty").
NormalizedText normalize_file(std::string_view path, std::string_view bytes);

}  // namespace specrouter::corpus
