#pragma once
// A read-only memory mapping of a whole file (private to the checkpoint module).

#include <cstddef>
#include <filesystem>
#include <memory>
#include <span>

namespace specrouter::detail {

/// Maps a file read-only and private; unmaps on destruction. Never copied or moved, so
/// shared_ptr owners can keep the bytes alive.
class MappedFile {
 public:
  /// Maps `path`; throws CheckpointError naming the file when it cannot be opened, is
  /// not a regular file, or cannot be mapped. An empty file gets an empty span.
  static std::shared_ptr<const MappedFile> map(const std::filesystem::path& path);

  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  std::span<const std::byte> bytes() const { return {data_, size_}; }

 private:
  MappedFile(const std::byte* data, std::size_t size) : data_(data), size_(size) {}

  const std::byte* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace specrouter::detail
