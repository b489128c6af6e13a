#pragma once

/// @file
/// @brief A read-only view of one tensor inside a memory-mapped checkpoint file.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "specrouter/checkpoint/dtype.h"

namespace specrouter {

/// One tensor of a safetensors file: its header entry and where its bytes are mapped.
///
/// The bytes are little-endian, row-major (C order) and stay valid as long as the
/// SafetensorsFile or CheckpointFolder that produced the view lives, or as long as any
/// copy of `keep_alive` does. To wrap them in a tensor without a copy, capture
/// `keep_alive` in the deleter: `torch::from_blob(data, shape, [k = view.keep_alive](void*) {},
/// options)`. The mapping is read-only; never write through `data`. `data` is aligned to
/// the element size for files written by the `safetensors` library (its header is padded
/// to a multiple of 8 and tensors are laid out by decreasing element size), but a file
/// from another writer may break that; check is_aligned() before reinterpreting.
struct TensorView {
  std::string name;                   ///< the tensor's key in the header
  Dtype dtype = Dtype::kF32;          ///< element type
  std::vector<std::int64_t> shape;    ///< dimensions; empty for a scalar
  const std::byte* data = nullptr;    ///< first byte of the tensor (never null for a view from a file)
  std::size_t nbytes = 0;             ///< product(shape) * element_size(dtype)
  std::filesystem::path file;         ///< the safetensors file holding the tensor
  std::shared_ptr<const void> keep_alive;  ///< owns the file mapping `data` points into

  /// Number of elements: the product of `shape` (1 for a scalar).
  std::int64_t numel() const;
  /// The tensor's bytes.
  std::span<const std::byte> bytes() const { return {data, nbytes}; }
  /// True when `data` is a multiple of the element size, so it may be read as that type.
  bool is_aligned() const;
};

/// Renders a shape the way error messages print it: `[4096, 128]`, `[]` for a scalar.
std::string shape_to_string(const std::vector<std::int64_t>& shape);

}  // namespace specrouter
