// The register tiles of linear/cpu_small_batch, one set per instruction set (internal to
// the kernels_cpu plugin). A tile path computes y = x W^T + b for the weight rows
// [n_begin, n_end) and every row of x; the kernel cuts the weight rows into blocks of
// block_rows(M) rows, spreads the blocks over threads and picks the path at run time.
#pragma once

#include <cstdint>

namespace specrouter::kernels_cpu {

/// One product y = x W^T + b, all float32, contiguous, on the host.
struct LinearProblem {
  const float* x;     // [M, K]
  const float* w;     // [N, K]
  const float* bias;  // [N] or nullptr
  float* y;           // [M, N]
  std::int64_t M, K, N;
};

/// One way of computing the tiles, usable where `supported()` says so.
struct LinearTilePath {
  const char* name;  // the value of the kernel's `isa` parameter that selects it
  bool (*supported)();
  // Weight rows per block for M rows of x; task boundaries fall on multiples of it.
  std::int64_t (*block_rows)(std::int64_t M);
  // prefetch: fetch the next block of weight rows into L2 while multiplying this one
  // (ignored by the baseline path).
  void (*columns)(const LinearProblem& problem, std::int64_t n_begin, std::int64_t n_end, bool prefetch);
};

/// 16-lane tiles in the 32 zmm registers: up to 8 rows of x in one pass over each block
/// of weight rows (linear_tiles_avx512.cpp). Supported where the CPU has AVX-512F (and
/// AVX2, FMA); elsewhere `supported()` is false and `columns` must not be called.
extern const LinearTilePath kAvx512TilePath;
/// 8-lane tiles of 4 weight rows x 3 rows of x in the 16 ymm registers (AVX2 + FMA).
extern const LinearTilePath kAvx2TilePath;
/// The 4 x 3 tile in GCC vector extensions: any CPU, no particular instruction set.
extern const LinearTilePath kBaselineTilePath;

}  // namespace specrouter::kernels_cpu
