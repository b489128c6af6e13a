// The AVX-512 tiles of linear/cpu_small_batch: 16-lane accumulators in the 32 zmm
// registers, so that a verification pass over up to 8 rows of x reads each block of
// weight rows once and uses it for every row while it is in registers.
//
// Why: with the 16 ymm registers of AVX2 the largest tile is 4 weight rows x 3 rows of x,
// so verify(k=8) takes three passes over each weight block (3 + 3 + 2 rows). Here a tile of WR weight rows x
// XR rows of x holds WR*XR accumulators, WR weight vectors and one x vector
// (WR*XR + WR + 1 <= 32): 3 x 8 for 7..8 rows, 4 x 6, 6 x 4 and 8 x 2 for fewer; more
// than 8 rows take passes of 8 over the block while it sits in L1. Each loaded weight
// vector serves every row of x, so the weights stream from memory once per call while
// the FMAs run, as in a decode step.
//
// With `prefetch` each step also prefetches the next block's weights (WR*K floats further
// on) into L2. Without it the tile waits on memory: the out-of-order window holds fewer
// cache misses when each line feeds 8 rows of FMAs than in a decode step, and the
// hardware prefetcher does not run far enough ahead. Measured on one Zen 4 core streaming
// 82 MB (K = 512, thread CPU time): M = 8 went from 14.3 to 5.1-6.3 ms and M = 1 from
// 5.6 to 3.9-4.2 ms; prefetching 1-2K floats ahead, or into L1, gained less. The same
// prefetch in the AVX2 tiles gives 6.5 ms at M = 8: the one-pass tile is worth ~20% more.
//
// The K % 16 tail is one masked iteration (masked loads neither read nor fault past the
// mask). The 16-lane partial sums are reduced 8 accumulators at a time (halves added,
// then a horizontal-add tree), along whichever of the tile's two sides is longer.
// Compiled with -O3 and target attributes only, as the AVX2 tiles are (no -march flag);
// used only where __builtin_cpu_supports says the CPU has AVX-512F.

#include "linear_tiles.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace specrouter::kernels_cpu {
namespace {

#if defined(__x86_64__) || defined(__i386__)

#define SPECROUTER_AVX512 __attribute__((target("avx512f,avx2,fma")))
#define SPECROUTER_AVX512_INLINE __attribute__((target("avx512f,avx2,fma"), always_inline)) inline

constexpr std::int64_t kLanes = 16;
constexpr int kRegisters = 32;
constexpr int kMaxXRows = 8;


// Rows of x per tile for WR weight rows: accumulators, weight vectors and one x vector
// must fit the registers, and the reduction handles at most 8 vectors at a time.
constexpr int max_x_rows(int weight_rows) {
  const int fit = (kRegisters - 1 - weight_rows) / weight_rows;
  return fit < kMaxXRows ? fit : kMaxXRows;
}

// The two 256-bit halves of a zmm register. Element shuffles rather than
// _mm512_castps512_ps256 / _mm512_extractf64x4_pd, whose undefined operand GCC 12 warns
// about wherever they are inlined; the same instructions come out.
SPECROUTER_AVX512_INLINE __m256 low_half(__m512 v) {
  using V16 = float __attribute__((vector_size(64)));
  return __builtin_shufflevector(static_cast<V16>(v), static_cast<V16>(v), 0, 1, 2, 3, 4, 5, 6, 7);
}
SPECROUTER_AVX512_INLINE __m256 high_half(__m512 v) {
  using V16 = float __attribute__((vector_size(64)));
  return __builtin_shufflevector(static_cast<V16>(v), static_cast<V16>(v), 8, 9, 10, 11, 12, 13, 14, 15);
}

// Sums of the first N (<= 8) of v, lane i = the sum of the 16 lanes of v[i] (zero
// above N): halves added (16 -> 8 lanes), then three rounds of horizontal adds.
template <int N>
SPECROUTER_AVX512_INLINE __m256 reduce_lanes(const __m512* v) {
  static_assert(N >= 1 && N <= 8);
  __m256 half[8];
  for (int i = 0; i < 8; ++i) {
    if (i < N) {
      half[i] = _mm256_add_ps(low_half(v[i]), high_half(v[i]));
    } else {
      half[i] = _mm256_setzero_ps();
    }
  }
  const __m256 pair01 = _mm256_hadd_ps(half[0], half[1]);
  const __m256 pair23 = _mm256_hadd_ps(half[2], half[3]);
  // Lanes [s0 s1 s2 s3 | s0 s1 s2 s3] of the two 128-bit halves of each input.
  const __m256 quad0 = _mm256_hadd_ps(pair01, pair23);
  if constexpr (N <= 4) {
    return _mm256_zextps128_ps256(_mm_add_ps(_mm256_castps256_ps128(quad0), _mm256_extractf128_ps(quad0, 1)));
  } else {
    const __m256 pair45 = _mm256_hadd_ps(half[4], half[5]);
    const __m256 pair67 = _mm256_hadd_ps(half[6], half[7]);
    const __m256 quad1 = _mm256_hadd_ps(pair45, pair67);
    return _mm256_add_ps(_mm256_permute2f128_ps(quad0, quad1, 0x20), _mm256_permute2f128_ps(quad0, quad1, 0x31));
  }
}

// One 16-lane step of the tile at k: every weight vector against every x vector, and a
// prefetch of the same step `ahead` floats further on (the next block of weight rows).
template <int WR, int XR, bool Masked, bool Prefetch>
SPECROUTER_AVX512_INLINE void accumulate(__m512 (&acc)[WR][XR], const float* const (&w_rows)[WR],
                                         const float* const (&x_rows)[XR], std::int64_t k, __mmask16 mask,
                                         std::int64_t ahead) {
  // The next block's weights into L2 while this block is being multiplied (prefetches
  // past the end of the matrix are harmless: they never fault).
  if constexpr (Prefetch) {
    for (int r = 0; r < WR; ++r) _mm_prefetch(reinterpret_cast<const char*>(w_rows[r] + k + ahead), _MM_HINT_T1);
  }
  __m512 wv[WR];
  for (int r = 0; r < WR; ++r) wv[r] = Masked ? _mm512_maskz_loadu_ps(mask, w_rows[r] + k) : _mm512_loadu_ps(w_rows[r] + k);
  for (int j = 0; j < XR; ++j) {
    __m512 xv = Masked ? _mm512_maskz_loadu_ps(mask, x_rows[j] + k) : _mm512_loadu_ps(x_rows[j] + k);
    // Keeps xv in a register: otherwise GCC folds the load into each of the WR FMAs and
    // the loop issues WR*XR loads instead of XR, more than the load ports sustain.
    asm("" : "+v"(xv));
    for (int r = 0; r < WR; ++r) acc[r][j] = _mm512_fmadd_ps(wv[r], xv, acc[r][j]);
  }
}

// y[m0 .. m0+XR) x [n0 .. n0+WR): WR weight rows against XR rows of x.
template <int WR, int XR, bool Prefetch>
SPECROUTER_AVX512_INLINE void tile(const LinearProblem& p, std::int64_t n0, std::int64_t m0) {
  static_assert(WR * XR + WR + 1 <= kRegisters && XR <= kMaxXRows && WR <= 8);
  const std::int64_t K = p.K;
  const float* w_rows[WR];
  const float* x_rows[XR];
  for (int r = 0; r < WR; ++r) w_rows[r] = p.w + (n0 + r) * K;
  for (int j = 0; j < XR; ++j) x_rows[j] = p.x + (m0 + j) * K;
  __m512 acc[WR][XR];
  for (int r = 0; r < WR; ++r) {
    for (int j = 0; j < XR; ++j) acc[r][j] = _mm512_setzero_ps();
  }
  const std::int64_t k_vec = K - K % kLanes;
  for (std::int64_t k = 0; k < k_vec; k += kLanes) accumulate<WR, XR, false, Prefetch>(acc, w_rows, x_rows, k, 0xFFFF, WR * K);
  if (k_vec < K) {
    accumulate<WR, XR, true, Prefetch>(acc, w_rows, x_rows, k_vec, static_cast<__mmask16>((1u << (K - k_vec)) - 1u), WR * K);
  }

  float bias[8] = {};
  if (p.bias) {
    for (int r = 0; r < WR; ++r) bias[r] = p.bias[n0 + r];
  }
  alignas(32) float sums[8];
  if constexpr (WR >= XR) {
    // Per row of x: the WR sums are adjacent in y.
    for (int j = 0; j < XR; ++j) {
      __m512 column[WR];
      for (int r = 0; r < WR; ++r) column[r] = acc[r][j];
      _mm256_store_ps(sums, _mm256_add_ps(reduce_lanes<WR>(column), _mm256_loadu_ps(bias)));
      float* y_row = p.y + (m0 + j) * p.N + n0;
      for (int r = 0; r < WR; ++r) y_row[r] = sums[r];
    }
  } else {
    // Per weight row: the XR sums are one column of y.
    for (int r = 0; r < WR; ++r) {
      _mm256_store_ps(sums, _mm256_add_ps(reduce_lanes<XR>(acc[r]), _mm256_set1_ps(bias[r])));
      for (int j = 0; j < XR; ++j) p.y[(m0 + j) * p.N + n0 + r] = sums[j];
    }
  }
}

// The last `remaining` (< XR) rows of x, from m: the tile of exactly that many rows.
template <int WR, int XR, bool Prefetch>
SPECROUTER_AVX512_INLINE void tail_rows(const LinearProblem& p, std::int64_t n, std::int64_t m, std::int64_t remaining) {
  if constexpr (XR > 0) {
    if (remaining == XR) {
      tile<WR, XR, Prefetch>(p, n, m);
    } else {
      tail_rows<WR, XR - 1, Prefetch>(p, n, m, remaining);
    }
  }
}

// Weight rows [n, n + WR) against every row of x: tiles of max_x_rows(WR) rows, then one
// smaller tile for the rest.
template <int WR, bool Prefetch>
SPECROUTER_AVX512_INLINE void row_tiles(const LinearProblem& p, std::int64_t n) {
  constexpr int kXRows = max_x_rows(WR);
  const std::int64_t m_full = p.M - p.M % kXRows;
  for (std::int64_t m = 0; m < m_full; m += kXRows) tile<WR, kXRows, Prefetch>(p, n, m);
  tail_rows<WR, kXRows - 1, Prefetch>(p, n, m_full, p.M - m_full);
}

template <int WR, bool Prefetch>
SPECROUTER_AVX512 void columns_of(const LinearProblem& p, std::int64_t n_begin, std::int64_t n_end) {
  std::int64_t n = n_begin;
  for (; n + WR <= n_end; n += WR) row_tiles<WR, Prefetch>(p, n);
  for (; n < n_end; ++n) row_tiles<1, Prefetch>(p, n);
}

// The widest tile that still holds all min(M, 8) rows of x at once.
std::int64_t block_rows(std::int64_t M) {
  if (M >= 7) return 3;
  if (M >= 5) return 4;
  if (M >= 3) return 6;
  return 8;
}

template <bool Prefetch>
void columns_with(const LinearProblem& p, std::int64_t n_begin, std::int64_t n_end) {
  switch (block_rows(p.M)) {
    case 3: return columns_of<3, Prefetch>(p, n_begin, n_end);
    case 4: return columns_of<4, Prefetch>(p, n_begin, n_end);
    case 6: return columns_of<6, Prefetch>(p, n_begin, n_end);
    default: return columns_of<8, Prefetch>(p, n_begin, n_end);
  }
}

void columns(const LinearProblem& p, std::int64_t n_begin, std::int64_t n_end, bool prefetch) {
  if (prefetch) {
    columns_with<true>(p, n_begin, n_end);
  } else {
    columns_with<false>(p, n_begin, n_end);
  }
}

bool supported() {
  static const bool has = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx2") &&
                          __builtin_cpu_supports("fma");
  return has;
}

#else  // not x86: the path exists (so `isa: avx512` gives a clear error) but is never chosen

std::int64_t block_rows(std::int64_t) { return 1; }
void columns(const LinearProblem&, std::int64_t, std::int64_t, bool) {}
bool supported() { return false; }

#endif

}  // namespace

const LinearTilePath kAvx512TilePath{"avx512", &supported, &block_rows, &columns};

}  // namespace specrouter::kernels_cpu
