#pragma once

/// @file
/// @brief The lock file: the SHA-256 of every source file a corpus reads, in sha256sum's
/// format, so that a changed package is reported file by file instead of silently used.

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace specrouter::corpus {

/// One file a corpus read: its corpus path, the hash of its bytes as stored, and the
/// package that ships it.
struct LockedFile {
  std::string path;     ///< corpus path, e.g. /usr/share/games/fortunes/art
  std::string sha256;   ///< 64 hex digits of the file's bytes (compressed bytes for .gz)
  std::string package;  ///< Debian package, or empty
  std::string version;  ///< the package's pinned version, or empty
};

/// Reads a lock file into path -> SHA-256. Throws ConfigError naming the file and line
/// when a line is malformed.
std::map<std::string, std::string> read_lock_file(const std::filesystem::path& file);

/// Writes a lock file (to a temporary name, then renamed): a comment header naming the
/// packages and versions, then `<sha256>  <path>` per file, in the given order.
void write_lock_file(const std::filesystem::path& file, const std::vector<LockedFile>& files);

/// Compares what was read with a lock; returns one line per difference (a changed hash,
/// a file not in the lock, a locked file not read), naming the file, the package and its
/// pinned version. Empty when everything matches.
std::vector<std::string> lock_differences(const std::map<std::string, std::string>& lock,
                                          const std::vector<LockedFile>& files);

}  // namespace specrouter::corpus
