// The AVX2 and baseline tiles of linear/cpu_small_batch: 4 weight rows x 3 rows of x.
//
// Each block of 4 weight rows is streamed once from memory and, while it sits in L1,
// multiplied with the rows of x three at a time: 4 x 3 accumulators of 8 lanes plus 3 x
// vectors and 1 weight vector fill the 16 AVX2 registers exactly (4 x 4 spills, 4 x 2
// reloads each weight vector from L1 twice as often; 3 x 4 measured the same in the
// model), so every loaded weight vector serves three rows and each loaded x vector four
// weight rows. The AVX2+FMA path (chosen at run time by __builtin_cpu_supports) is
// written with intrinsics, so the accumulators stay in registers and every multiply-add
// is one FMA; the baseline path uses GCC vector extensions. The file is compiled with
// -O3: the tile loops must be fully unrolled for the accumulators to live in registers
// (at -O2 the same code runs 3x slower). No -march flag, so the plugin runs on any
// x86-64 (and builds elsewhere, baseline only). Where the CPU has AVX-512 the kernel
// prefers the wider tiles of linear_tiles_avx512.cpp.

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

#include <cstring>

#include "linear_tiles.h"

namespace specrouter::kernels_cpu {
namespace {

constexpr std::int64_t kLanes = 8;
using Vec = float __attribute__((vector_size(kLanes * sizeof(float))));
constexpr std::int64_t kWeightRows = 4;
constexpr std::int64_t kXRows = 3;

using Problem = LinearProblem;

// Out-parameters rather than Vec by value: the baseline build has no 32-byte registers,
// so passing one by value would have a different ABI than in the AVX2 build.
inline __attribute__((always_inline)) void load(Vec& v, const float* p) { std::memcpy(&v, p, sizeof(v)); }

inline __attribute__((always_inline)) float sum_lanes(const Vec& v) {
  float s = 0.f;
  for (std::int64_t i = 0; i < kLanes; ++i) s += v[i];
  return s;
}

// y[m0 .. m0+XR) x [n0 .. n0+WR) of the product: WR weight rows against XR rows of x.
template <std::int64_t WR, std::int64_t XR>
inline __attribute__((always_inline)) void tile(const Problem& p, std::int64_t n0, std::int64_t m0) {
  Vec acc[WR][XR] = {};
  const std::int64_t K = p.K;
  const std::int64_t k_vec = K - K % kLanes;
  for (std::int64_t k = 0; k < k_vec; k += kLanes) {
    Vec xv[XR];
    for (std::int64_t j = 0; j < XR; ++j) load(xv[j], p.x + (m0 + j) * K + k);
    for (std::int64_t r = 0; r < WR; ++r) {
      Vec wv;
      load(wv, p.w + (n0 + r) * K + k);
      for (std::int64_t j = 0; j < XR; ++j) acc[r][j] += wv * xv[j];
    }
  }
  for (std::int64_t r = 0; r < WR; ++r) {
    const float* w_row = p.w + (n0 + r) * K;
    const float b = p.bias ? p.bias[n0 + r] : 0.f;
    for (std::int64_t j = 0; j < XR; ++j) {
      const float* x_row = p.x + (m0 + j) * K;
      float s = sum_lanes(acc[r][j]);
      for (std::int64_t k = k_vec; k < K; ++k) s += w_row[k] * x_row[k];
      p.y[(m0 + j) * p.N + n0 + r] = s + b;
    }
  }
}

// The tiles of weight rows [n, n + WR) against every row of x: full tiles of kXRows rows,
// then the remaining rows in one smaller tile. Written as a macro because it is needed
// twice, once inside the AVX2+FMA target (where its tiles must be inlined) and once for
// the baseline; GCC refuses to inline an AVX2 function into a baseline template.
#define SPECROUTER_LINEAR_ROW_TILES(TILE, WR, p, n)                                     \
  do {                                                                                  \
    const std::int64_t m_full = (p).M - (p).M % kXRows;                                 \
    for (std::int64_t m = 0; m < m_full; m += kXRows) TILE<WR, kXRows>::run(p, n, m);  \
    if ((p).M - m_full == 2) TILE<WR, 2>::run(p, n, m_full);                            \
    if ((p).M - m_full == 1) TILE<WR, 1>::run(p, n, m_full);                            \
  } while (false)
static_assert(kXRows == 3, "SPECROUTER_LINEAR_ROW_TILES handles up to 2 remaining rows of x");

// Weight rows [n_begin, n_end) against every row of x.
#define SPECROUTER_LINEAR_COLUMNS(TILE, p, n_begin, n_end)                                          \
  do {                                                                                              \
    std::int64_t n = (n_begin);                                                                     \
    for (; n + kWeightRows <= (n_end); n += kWeightRows) SPECROUTER_LINEAR_ROW_TILES(TILE, kWeightRows, p, n); \
    for (; n < (n_end); ++n) SPECROUTER_LINEAR_ROW_TILES(TILE, 1, p, n);                           \
  } while (false)

template <std::int64_t WR, std::int64_t XR>
struct VectorTile {
  static inline __attribute__((always_inline)) void run(const Problem& p, std::int64_t n0, std::int64_t m0) {
    tile<WR, XR>(p, n0, m0);
  }
};

#if defined(__x86_64__) || defined(__i386__)
__attribute__((target("avx2,fma"))) inline float sum_lanes_avx2(__m256 v) {
  __m128 low = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  low = _mm_hadd_ps(low, low);
  return _mm_cvtss_f32(_mm_hadd_ps(low, low));
}

// The AVX2+FMA tile: as tile(), with one FMA per multiply-add; with Prefetch, every 16
// floats of K it also prefetches the next block's weights (WR*K floats on) into L2.
template <std::int64_t WR, std::int64_t XR, bool Prefetch>
struct Avx2Tile {
  static inline __attribute__((target("avx2,fma"), always_inline)) void run(const Problem& p, std::int64_t n0,
                                                                            std::int64_t m0) {
    const std::int64_t K = p.K;
    const std::int64_t k_vec = K - K % kLanes;
    __m256 acc[WR][XR];
    for (std::int64_t r = 0; r < WR; ++r) {
      for (std::int64_t j = 0; j < XR; ++j) acc[r][j] = _mm256_setzero_ps();
    }
    for (std::int64_t k = 0; k < k_vec; k += kLanes) {
      __m256 xv[XR];
      for (std::int64_t j = 0; j < XR; ++j) xv[j] = _mm256_loadu_ps(p.x + (m0 + j) * K + k);
      if (Prefetch && k % 16 == 0) {
        for (std::int64_t r = 0; r < WR; ++r) {
          _mm_prefetch(reinterpret_cast<const char*>(p.w + (n0 + r) * K + k + WR * K), _MM_HINT_T1);
        }
      }
      for (std::int64_t r = 0; r < WR; ++r) {
        const __m256 wv = _mm256_loadu_ps(p.w + (n0 + r) * K + k);
        for (std::int64_t j = 0; j < XR; ++j) acc[r][j] = _mm256_fmadd_ps(wv, xv[j], acc[r][j]);
      }
    }
    for (std::int64_t r = 0; r < WR; ++r) {
      const float* w_row = p.w + (n0 + r) * K;
      const float b = p.bias ? p.bias[n0 + r] : 0.f;
      for (std::int64_t j = 0; j < XR; ++j) {
        const float* x_row = p.x + (m0 + j) * K;
        float s = sum_lanes_avx2(acc[r][j]);
        for (std::int64_t k = k_vec; k < K; ++k) s += w_row[k] * x_row[k];
        p.y[(m0 + j) * p.N + n0 + r] = s + b;
      }
    }
  }
};

template <std::int64_t WR, std::int64_t XR>
using Avx2PrefetchTile = Avx2Tile<WR, XR, true>;
template <std::int64_t WR, std::int64_t XR>
using Avx2PlainTile = Avx2Tile<WR, XR, false>;

__attribute__((target("avx2,fma"))) void columns_avx2(const Problem& p, std::int64_t n_begin, std::int64_t n_end,
                                                      bool prefetch) {
  if (prefetch) {
    SPECROUTER_LINEAR_COLUMNS(Avx2PrefetchTile, p, n_begin, n_end);
  } else {
    SPECROUTER_LINEAR_COLUMNS(Avx2PlainTile, p, n_begin, n_end);
  }
}

bool cpu_has_avx2_fma() {
  static const bool supported = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return supported;
}
#endif

void columns_baseline(const Problem& p, std::int64_t n_begin, std::int64_t n_end, bool /*prefetch*/) {
  SPECROUTER_LINEAR_COLUMNS(VectorTile, p, n_begin, n_end);
}

std::int64_t four_rows(std::int64_t) { return kWeightRows; }

bool always() { return true; }

}  // namespace

const LinearTilePath kBaselineTilePath{"baseline", &always, &four_rows, &columns_baseline};

#if defined(__x86_64__) || defined(__i386__)
const LinearTilePath kAvx2TilePath{"avx2", &cpu_has_avx2_fma, &four_rows, &columns_avx2};
#else
const LinearTilePath kAvx2TilePath{"avx2", [] { return false; }, &four_rows, &columns_baseline};
#endif

}  // namespace specrouter::kernels_cpu
