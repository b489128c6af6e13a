#pragma once

/// @file
/// @brief Globs over a file tree: which source files a corpus reads, in a fixed order.

#include <string>
#include <string_view>
#include <vector>

namespace specrouter::corpus {

/// True when `path` (absolute, `/`-separated, as the corpus names files) matches `pattern`.
///
/// Patterns are matched segment by segment: `*`, `?` and `[...]` stay inside one segment
/// (fnmatch(3) rules), `**` matches zero or more whole segments. A pattern without `/`
/// is matched against the file name alone, so `*.dat` excludes such files anywhere.
bool glob_matches(std::string_view pattern, std::string_view path);

/// The regular files under `root` whose corpus path (`/` + path below `root`) matches
/// `pattern`, sorted bytewise. Symbolic links are not followed and never listed (Debian
/// uses them for duplicate files). The pattern must be absolute (start with `/`).
/// Throws specrouter::ConfigError for a relative pattern; a missing folder gives no files.
std::vector<std::string> expand_glob(const std::string& root, const std::string& pattern);

}  // namespace specrouter::corpus
