// block_copy/reference: the definition of block_copy, one plain copy per pair.
#include <algorithm>
#include <cstddef>

#include "kernels_cpu.h"

namespace specrouter::kernels_cpu {
namespace {

class ReferenceBlockCopy final : public BlockCopyKernel {
 protected:
  void run(const BlockBuffer& buffer, std::span<const BlockCopyPair> pairs, void* /*stream*/) override {
    auto* base = static_cast<std::byte*>(buffer.data);
    for (const BlockCopyPair& pair : pairs) {
      std::copy_n(base + pair.src * buffer.block_bytes, buffer.block_bytes, base + pair.dst * buffer.block_bytes);
    }
  }
};

}  // namespace

std::unique_ptr<BlockCopyKernel> make_reference_block_copy() { return std::make_unique<ReferenceBlockCopy>(); }

}  // namespace specrouter::kernels_cpu
