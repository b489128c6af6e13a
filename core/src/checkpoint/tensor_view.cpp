// TensorView helpers.
#include "specrouter/checkpoint/tensor_view.h"

#include <cstdint>

namespace specrouter {

std::int64_t TensorView::numel() const {
  // Unsigned: with a zero dimension the partial products of a valid shape may pass
  // INT64_MAX even though the total (0) does not.
  std::uint64_t count = 1;
  for (const std::int64_t dim : shape) count *= static_cast<std::uint64_t>(dim);
  return static_cast<std::int64_t>(count);
}

bool TensorView::is_aligned() const {
  return reinterpret_cast<std::uintptr_t>(data) % element_size(dtype) == 0;
}

std::string shape_to_string(const std::vector<std::int64_t>& shape) {
  std::string out = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) out += ", ";
    out += std::to_string(shape[i]);
  }
  out += "]";
  return out;
}

}  // namespace specrouter
