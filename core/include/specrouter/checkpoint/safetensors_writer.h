#pragma once

/// @file
/// @brief Writing safetensors files byte for byte as the `safetensors` Python library does.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "specrouter/checkpoint/tensor_view.h"

namespace specrouter {

/// The `__metadata__` of a safetensors header: free-form string pairs.
using SafetensorsMetadata = std::map<std::string, std::string>;

/// One tensor to write: its name, type, shape and bytes (not owned; they must stay
/// valid until the write returns).
struct TensorToWrite {
  std::string name;                  ///< key in the header; valid UTF-8, not `__metadata__`
  Dtype dtype = Dtype::kF32;         ///< element type
  std::vector<std::int64_t> shape;   ///< dimensions; empty for a scalar
  std::span<const std::byte> data;   ///< row-major little-endian bytes, product(shape) * element size

  /// The same tensor as a view read from a file, ready to be written elsewhere.
  static TensorToWrite from_view(const TensorView& view);
};

/// The JSON header (with its padding, without the 8-byte length) that write_safetensors()
/// writes for these tensors.
///
/// Identical to the header of the `safetensors` library (checked against version 0.8 in
/// tests/checkpoint): tensors sorted by descending dtype (the library's enum order,
/// mirrored by Dtype) and then by name, offsets assigned in that order with no gaps,
/// `__metadata__` first when given (even empty), compact JSON with serde_json's string
/// escaping, and spaces appended up to a multiple of 8 bytes. One deliberate difference:
/// with two or more metadata entries the library writes them in its hash map's
/// per-process random order; here they are sorted, so output is reproducible. Throws
/// CheckpointError (naming the tensor) for a duplicate or reserved name, invalid UTF-8, a
/// negative dimension, or a byte count that does not match the shape.
std::string safetensors_header_json(std::span<const TensorToWrite> tensors,
                                    const std::optional<SafetensorsMetadata>& metadata);

/// Writes a safetensors file, atomically: the bytes go to a hidden temporary file in the
/// same folder, which is flushed to disk and then renamed over `path`, so readers see
/// either the old file or the complete new one. Throws CheckpointError naming the file
/// (and the tensor, for the checks of safetensors_header_json()).
void write_safetensors(const std::filesystem::path& path, std::span<const TensorToWrite> tensors,
                       const std::optional<SafetensorsMetadata>& metadata = std::nullopt);

}  // namespace specrouter
