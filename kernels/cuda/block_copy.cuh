// block_copy on the device: raw pointers, a stream and an error code, no SpecRouter or
// framework headers (kernels_cuda.cpp binds it to specrouter::BlockCopyKernel).
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

namespace specrouter::cuda {

// For every i < num_pairs, copies block pairs[2i] of `buffer` over block pairs[2i + 1].
// `buffer` holds blocks of `block_bytes` bytes and `pairs` is `[num_pairs, 2]` (src, dst),
// both in device memory. The pairs must be independent (no block written twice, no block
// both read and written: see specrouter/kernels/block_copy.h); they are not checked here.
// Asynchronous on `stream`; returns the launch status.
cudaError_t launch_block_copy(void* buffer, std::int64_t block_bytes, const std::int64_t* pairs,
                              std::int64_t num_pairs, cudaStream_t stream);

}  // namespace specrouter::cuda
