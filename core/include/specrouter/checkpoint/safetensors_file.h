#pragma once

/// @file
/// @brief Reading one safetensors file through a read-only memory mapping.

#include <cstddef>
#include <filesystem>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "specrouter/checkpoint/tensor_view.h"

namespace specrouter {

/// Largest JSON header accepted, as in the `safetensors` library (100 MB).
inline constexpr std::size_t kMaxSafetensorsHeaderBytes = 100'000'000;

/// One safetensors file, memory-mapped read-only and fully validated on open.
///
/// Layout: an 8-byte little-endian header length `n`, `n` bytes of JSON, then the data
/// section. The JSON object maps each tensor name to `{"dtype", "shape", "data_offsets"}`
/// (offsets `[begin, end)` relative to the data section) and may hold a `__metadata__`
/// object of strings. open() checks everything the format requires (see
/// docs/design/checkpoint.md) and throws CheckpointError, with a one-line message naming
/// the file and the tensor, for any violation; no input can make it read outside the
/// mapping. Nothing is copied: views point into the mapping.
///
/// The mapping is shared with every TensorView::keep_alive, so views may outlive this
/// object. Truncating the file on disk while it is mapped is not detected (reading the
/// lost pages raises SIGBUS, as with any mmap reader).
class SafetensorsFile {
 public:
  /// Maps and validates `path`; throws CheckpointError when it cannot be read or is not
  /// a well-formed safetensors file.
  static SafetensorsFile open(const std::filesystem::path& path);

  /// The file as given to open().
  const std::filesystem::path& path() const { return path_; }
  /// Tensor names, sorted (byte-wise).
  const std::vector<std::string>& names() const { return names_; }
  /// Every tensor, in the order of its bytes in the data section.
  const std::vector<TensorView>& tensors() const { return tensors_; }
  /// True when the file holds a tensor called `name`.
  bool has(std::string_view name) const { return find(name) != nullptr; }
  /// The tensor called `name`, or nullptr.
  const TensorView* find(std::string_view name) const;
  /// The tensor called `name`; throws CheckpointError naming the file and the tensor.
  const TensorView& tensor(std::string_view name) const;

  /// The `__metadata__` entries (empty when the header has none).
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  /// True when the header has a `__metadata__` key (possibly an empty object).
  bool has_metadata() const { return has_metadata_; }

  /// Length of the JSON header in bytes, padding included (the first 8 bytes' value).
  std::size_t header_size() const { return header_size_; }
  /// Size of the data section: the file size minus 8 minus header_size().
  std::size_t data_size() const { return data_size_; }
  /// The whole mapped file.
  std::span<const std::byte> file_bytes() const;

 private:
  SafetensorsFile() = default;

  std::filesystem::path path_;
  std::shared_ptr<const void> mapping_;  // detail::MappedFile
  std::span<const std::byte> bytes_;
  std::size_t header_size_ = 0;
  std::size_t data_size_ = 0;
  std::vector<TensorView> tensors_;
  std::vector<std::string> names_;
  std::map<std::string, std::size_t, std::less<>> index_;  // name -> position in tensors_
  std::map<std::string, std::string> metadata_;
  bool has_metadata_ = false;
};

}  // namespace specrouter
