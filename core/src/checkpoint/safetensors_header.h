#pragma once
// Parsing and validating the header of a safetensors file (private to the module).

#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "specrouter/checkpoint/dtype.h"

namespace specrouter::detail {

/// One tensor entry of a validated header.
struct HeaderEntry {
  std::string name;
  Dtype dtype = Dtype::kF32;
  std::vector<std::int64_t> shape;
  std::size_t begin = 0;  // offset in the data section
  std::size_t end = 0;    // one past the last byte
};

/// A header that passed every check: entries sorted by offset, covering the data
/// section exactly.
struct ParsedHeader {
  std::size_t header_size = 0;  // JSON bytes, padding included
  std::size_t data_size = 0;    // bytes after the header
  std::vector<HeaderEntry> entries;
  std::map<std::string, std::string> metadata;
  bool has_metadata = false;
};

/// Validates the whole file image `file`: length field, JSON, every entry, and exact
/// coverage of the data section. `label` starts every message (it names the file).
/// Throws CheckpointError; never reads outside `file`.
ParsedHeader parse_safetensors_header(std::span<const std::byte> file, const std::string& label);

}  // namespace specrouter::detail
