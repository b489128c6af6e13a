// linear/cpu_small_batch: y = x W^T + b on the host for a few rows of x (a verification
// pass over k draft tokens), at about the cost of one row.
//
// With M = 1 at::linear is a gemv that streams the weights once (memory bound); with
// M = 2..17 MKL's sgemm repacks the whole weight matrix on every call, which costs more
// than the product. Here the output columns are cut into blocks of weight rows; each task
// of at::parallel_for streams its weight rows once from memory and, while they sit in
// registers or L1, takes their dot products with every row of x in vector accumulators,
// so each loaded weight vector serves several rows of x and each loaded x vector several
// weight rows. The register tiles (linear_tiles_*.cpp) depend on the instruction set:
// 16-lane tiles of up to 8 rows of x in one pass where the CPU has AVX-512, 4 x 3 tiles
// of 8 lanes with AVX2+FMA, the same in plain vector extensions elsewhere. The `isa`
// parameter picks one by name ("auto": the widest the CPU has), so tests and benchmarks
// can compare them on one machine. `prefetch` (default on) fetches the next block of
// weight rows into L2 while the current one is multiplied: without it the tiles wait on
// memory (docs/design/linear_kernel.md). One row (decode) also runs here: with both cores
// streaming, the tiles beat at::linear's gemv.
//
// Tolerance against linear/reference (float32): |y - y_ref| <= 1e-5 * (|x_m| |w_n| + |b_n|)
// per element; only the order of the K-term sums differs (interleaved partial sums).
// Other dtypes, more than max_rows rows and non-CPU tensors go to at::linear unchanged.

#include <ATen/Parallel.h>
#include <ATen/ops/empty.h>
#include <ATen/ops/linear.h>

#include <algorithm>
#include <string>

#include "kernels_cpu.h"
#include "linear_tiles.h"
#include "specrouter/error.h"

namespace specrouter::kernels_cpu {
namespace {

// Weight floats per parallel task at least: below this, waking a thread costs more than
// the work (the 1M-parameter model's 128 x 128 projections stay on one thread).
constexpr std::int64_t kMinTaskFloats = 32 * 1024;

// Widest first: "auto" takes the first one the CPU supports.
constexpr const LinearTilePath* kTilePaths[] = {&kAvx512TilePath, &kAvx2TilePath, &kBaselineTilePath};

const LinearTilePath& tile_path_named(const Params& params, const std::string& isa) {
  std::string known = "auto";
  for (const LinearTilePath* path : kTilePaths) {
    if (isa == "auto" && path->supported()) return *path;
    if (isa == path->name) {
      if (!path->supported()) {
        throw ConfigError(params.owner() + ": isa '" + isa + "' is not supported by this CPU");
      }
      return *path;
    }
    known += std::string(", ") + path->name;
  }
  throw ConfigError(params.owner() + ": unknown isa '" + isa + "' (expected one of " + known + ")");
}

class CpuSmallBatchLinear final : public LinearKernel {
 public:
  explicit CpuSmallBatchLinear(const Params& params)
      : max_rows_(params.get<std::int64_t>("max_rows")),
        prefetch_(params.get<bool>("prefetch")),
        path_(tile_path_named(params, params.get<std::string>("isa"))) {
    if (max_rows_ < 0) throw ConfigError(params.owner() + ": max_rows must be >= 0, got " + std::to_string(max_rows_));
  }

 protected:
  at::Tensor run(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias) const override {
    const std::int64_t rows = x.size(0);
    if (x.scalar_type() != at::kFloat || !x.device().is_cpu() || rows > max_rows_ || rows == 0) {
      return at::linear(x, weight, bias);
    }
    const at::Tensor xc = x.contiguous();
    const at::Tensor wc = weight.contiguous();
    const at::Tensor bc = bias.defined() ? bias.contiguous() : bias;
    at::Tensor y = at::empty({rows, weight.size(0)}, x.options());  // [M, N]
    const LinearProblem problem{xc.const_data_ptr<float>(), wc.const_data_ptr<float>(),
                                bc.defined() ? bc.const_data_ptr<float>() : nullptr,
                                y.mutable_data_ptr<float>(), rows, x.size(1), weight.size(0)};

    // Tasks are whole blocks of weight rows, so only the last block has a tail.
    const std::int64_t block_rows = path_.block_rows(rows);
    const std::int64_t blocks = (problem.N + block_rows - 1) / block_rows;
    const std::int64_t grain = std::max<std::int64_t>(1, kMinTaskFloats / std::max<std::int64_t>(1, problem.K * block_rows));
    const auto columns = path_.columns;
    const bool prefetch = prefetch_;
    at::parallel_for(0, blocks, grain, [&](std::int64_t first, std::int64_t last) {
      columns(problem, first * block_rows, std::min(problem.N, last * block_rows), prefetch);
    });
    return y;
  }

 private:
  std::int64_t max_rows_;
  bool prefetch_;
  const LinearTilePath& path_;
};

}  // namespace

std::unique_ptr<LinearKernel> make_cpu_small_batch_linear(const Params& params) {
  return std::make_unique<CpuSmallBatchLinear>(params);
}

}  // namespace specrouter::kernels_cpu
