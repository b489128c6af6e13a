#pragma once
// Writing a file under a temporary name and renaming it into place (private).

#include <cstddef>
#include <filesystem>
#include <span>
#include <string_view>

namespace specrouter::detail {

/// Collects the bytes of one file in a hidden temporary file next to the destination;
/// commit() flushes them to disk and renames the file into place. Destroying an
/// uncommitted writer removes the temporary file, so a failed write leaves nothing behind.
class AtomicFileWriter {
 public:
  /// Creates the temporary file; throws CheckpointError naming `destination`.
  explicit AtomicFileWriter(std::filesystem::path destination);
  AtomicFileWriter(const AtomicFileWriter&) = delete;
  AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;
  ~AtomicFileWriter();

  void write(std::span<const std::byte> bytes);
  void write(std::string_view text);
  /// fsync, close, rename over the destination, fsync the folder.
  void commit();

 private:
  std::filesystem::path destination_;
  std::filesystem::path temporary_;
  int fd_ = -1;
  bool committed_ = false;
};

/// Writes `text` to `destination` atomically.
void write_text_file_atomically(const std::filesystem::path& destination, std::string_view text);

}  // namespace specrouter::detail
