// paged_attention/cpu against paged_attention/reference (Google Benchmark; by hand):
// decode (one new token per sequence) and chunked prefill over paged caches, Llama-like
// heads (32 query heads, 8 key/value heads, head_dim 128, float32, blocks of 16).
// The kernels come from the kernels_cpu_attention plugin, loaded like the CLI loads it
// (build the `kernels_cpu_attention` target first).
#include <benchmark/benchmark.h>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <cmath>
#include <memory>
#include <string>

#include "specrouter/kernels/paged_attention.h"
#include "specrouter/plugin/plugin_loader.h"

namespace specrouter {
namespace {

std::shared_ptr<PagedAttention> load_kernel(const std::string& impl) {
  static Registries registries;
  static bool loaded = [] {
    PluginLoader loader(registries);
    loader.load_directories(PluginLoader::default_search_path());
    return true;
  }();
  (void)loaded;
  if (registries.kernels.find(kernel_name(PagedAttention::kOp, impl)) == nullptr) return nullptr;
  return make_paged_attention(registries.kernels, impl);
}

// `batch` sequences, each with `context` positions of which the last `new_tokens` are new.
PagedAttentionArgs make_args(std::int64_t batch, std::int64_t context, std::int64_t new_tokens) {
  constexpr std::int64_t kHeads = 32, kKvHeads = 8, kHeadDim = 128, kBlock = 16;
  const std::int64_t blocks_per_seq = (context + kBlock - 1) / kBlock;
  at::manual_seed(0);
  PagedAttentionArgs args;
  args.query = at::randn({batch * new_tokens, kHeads, kHeadDim});
  args.key_cache = at::randn({batch * blocks_per_seq, kBlock, kKvHeads, kHeadDim});
  args.value_cache = at::randn({batch * blocks_per_seq, kBlock, kKvHeads, kHeadDim});
  // Blocks of different sequences interleaved, as a shared pool hands them out.
  args.block_tables = at::arange(batch * blocks_per_seq, at::kInt).view({blocks_per_seq, batch}).t().contiguous();
  args.context_lens = at::full({batch}, context, at::kLong);
  args.query_start = at::arange(0, (batch + 1) * new_tokens, new_tokens, at::kLong);
  args.scale = 1.0 / std::sqrt(static_cast<double>(kHeadDim));
  return args;
}

void run(benchmark::State& state, const std::string& impl) {
  const std::shared_ptr<PagedAttention> kernel = load_kernel(impl);
  if (!kernel) {
    state.SkipWithError("kernels_cpu_attention plugin not found; build the kernels_cpu_attention target");
    return;
  }
  const PagedAttentionArgs args = make_args(state.range(0), state.range(1), state.range(2));
  for (auto _ : state) {
    at::Tensor out = kernel->forward(args);
    benchmark::DoNotOptimize(out.data_ptr());
  }
  state.counters["threads"] = static_cast<double>(at::get_num_threads());
  state.counters["kv_positions"] = static_cast<double>(state.range(0) * state.range(1));
}

void BM_PagedAttentionReference(benchmark::State& state) { run(state, "reference"); }
void BM_PagedAttentionCpu(benchmark::State& state) { run(state, "cpu"); }

// {batch, context, new tokens}: decode at 1k and 4k, a chunk of 64 over 1k.
#define SHAPES ->Args({8, 1024, 1})->Args({8, 4096, 1})->Args({1, 1024, 64})->Unit(benchmark::kMillisecond)
BENCHMARK(BM_PagedAttentionReference) SHAPES;
BENCHMARK(BM_PagedAttentionCpu) SHAPES;

}  // namespace
}  // namespace specrouter

BENCHMARK_MAIN();
