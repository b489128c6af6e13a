// block_copy on the device: one CUDA block per (pair, slice of the block), each thread
// copying words with a grid stride, in the widest word that keeps every access aligned.
#include <algorithm>
#include <climits>
#include <cstdint>

#include "block_copy.cuh"

namespace specrouter::cuda {
namespace {

constexpr int kThreads = 256;
constexpr std::int64_t kWordsPerThread = 8;  // per slice, before the grid-stride loop wraps
constexpr std::int64_t kMaxSlices = 65535;   // gridDim.y limit

// blockIdx.x: the pair; blockIdx.y: which slice of the block this CUDA block starts at.
template <class Word>
__global__ void block_copy_kernel(Word* buffer, std::int64_t words_per_block, const std::int64_t* pairs) {
  const std::int64_t src = pairs[2 * std::int64_t{blockIdx.x}];
  const std::int64_t dst = pairs[2 * std::int64_t{blockIdx.x} + 1];
  const Word* from = buffer + src * words_per_block;
  Word* to = buffer + dst * words_per_block;
  const std::int64_t stride = std::int64_t{gridDim.y} * blockDim.x;
  for (std::int64_t i = std::int64_t{blockIdx.y} * blockDim.x + threadIdx.x; i < words_per_block; i += stride) {
    to[i] = from[i];
  }
}

template <class Word>
cudaError_t launch(void* buffer, std::int64_t block_bytes, const std::int64_t* pairs, std::int64_t num_pairs,
                   cudaStream_t stream) {
  const std::int64_t words = block_bytes / static_cast<std::int64_t>(sizeof(Word));
  const std::int64_t per_slice = kThreads * kWordsPerThread;
  const std::int64_t slices = std::min((words + per_slice - 1) / per_slice, kMaxSlices);
  const dim3 grid(static_cast<unsigned>(num_pairs), static_cast<unsigned>(slices));
  block_copy_kernel<Word><<<grid, kThreads, 0, stream>>>(static_cast<Word*>(buffer), words, pairs);
  return cudaGetLastError();
}

}  // namespace

cudaError_t launch_block_copy(void* buffer, std::int64_t block_bytes, const std::int64_t* pairs,
                              std::int64_t num_pairs, cudaStream_t stream) {
  if (num_pairs == 0) return cudaSuccess;
  if (num_pairs < 0 || num_pairs > INT_MAX || block_bytes < 1) return cudaErrorInvalidValue;
  const auto alignment = reinterpret_cast<std::uintptr_t>(buffer) | static_cast<std::uintptr_t>(block_bytes);
  if (alignment % 16 == 0) return launch<uint4>(buffer, block_bytes, pairs, num_pairs, stream);
  if (alignment % 8 == 0) return launch<uint2>(buffer, block_bytes, pairs, num_pairs, stream);
  if (alignment % 4 == 0) return launch<unsigned>(buffer, block_bytes, pairs, num_pairs, stream);
  return launch<unsigned char>(buffer, block_bytes, pairs, num_pairs, stream);
}

}  // namespace specrouter::cuda
