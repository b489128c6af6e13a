// Registration of the kernels_cuda plugin, and the bindings from the kernel interfaces
// (argument checks, scratch memory, errors as exceptions) to the raw launchers.
#include <cuda_runtime_api.h>

#include <cstdint>
#include <memory>
#include <string>

#include "block_copy.cuh"
#include "specrouter/error.h"
#include "specrouter/kernels/block_copy.h"
#include "specrouter/plugin/plugin_api.h"

namespace {

using specrouter::BlockBuffer;
using specrouter::BlockCopyPair;

void check(cudaError_t status, const char* what) {
  if (status != cudaSuccess) {
    throw specrouter::Error(std::string("block_copy/cuda: ") + what + " failed: " + cudaGetErrorString(status));
  }
}

// block_copy/cuda: `buffer.data` is device memory, `stream` a cudaStream_t (nullptr: the
// default stream). The pairs travel to the device through stream-ordered scratch memory,
// so calls on different streams never share a buffer and the call never synchronises.
class CudaBlockCopy final : public specrouter::BlockCopyKernel {
 protected:
  void run(const BlockBuffer& buffer, std::span<const BlockCopyPair> pairs, void* stream) override {
    static_assert(sizeof(BlockCopyPair) == 2 * sizeof(std::int64_t), "the device reads pairs as [P, 2] int64");
    const auto cuda_stream = static_cast<cudaStream_t>(stream);
    void* device_pairs = nullptr;
    check(cudaMallocAsync(&device_pairs, pairs.size_bytes(), cuda_stream), "cudaMallocAsync");
    cudaError_t status =
        cudaMemcpyAsync(device_pairs, pairs.data(), pairs.size_bytes(), cudaMemcpyHostToDevice, cuda_stream);
    if (status == cudaSuccess) {
      status = specrouter::cuda::launch_block_copy(buffer.data, buffer.block_bytes,
                                                   static_cast<const std::int64_t*>(device_pairs),
                                                   static_cast<std::int64_t>(pairs.size()), cuda_stream);
    }
    const cudaError_t freed = cudaFreeAsync(device_pairs, cuda_stream);
    check(status, "the block copy");
    check(freed, "cudaFreeAsync");
  }
};

}  // namespace

SPECROUTER_PLUGIN(registrar) {
  registrar.add<specrouter::Kernel>(
      {specrouter::kernel_name("block_copy", "cuda"), "block copy in device memory, one launch on a CUDA stream", {}},
      [](const specrouter::Params&) { return std::make_unique<CudaBlockCopy>(); });
}
