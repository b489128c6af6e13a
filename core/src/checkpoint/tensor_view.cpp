// TensorView helpers.
#include "specrouter/checkpoint/tensor_view.h"

#include <cstdint>

namespace specrouter {

std::int64_t TensorView::numel() const {
  std::int64_t count = 1;
  for (const std::int64_t dim : shape) count *= dim;
  return count;
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
