// State manager costs (Google Benchmark; run by hand, not by CTest):
//   BM_Rollback       ragged rollback of a batch after a draft, against the tokens kept
//                     (128 .. 32k) and the batch size: flat in tokens kept;
//   BM_Fork           fork of every sequence of a batch: O(blocks) bookkeeping, no K/V copy;
//   BM_ForkFirstWrite the first append to a fork (copy-on-write of one partial block),
//                     against BM_AppendOne, the same append without a shared block;
//   BM_ContiguousCopy what a fork costs a contiguous cache (copying the kept K/V), same shape;
//   BM_MemoryOverhead bytes held per stored token, paged against a contiguous cache that
//                     reserves the maximum context per sequence (with and without a shared prompt).
// Timed parts use manual timing, so the set-up (drafting) is not counted.
#include <benchmark/benchmark.h>

#include <ATen/ATen.h>

#include <chrono>
#include <random>
#include <vector>

#include "specrouter/state/state_manager.h"

namespace specrouter {
namespace {

using Clock = std::chrono::steady_clock;

// Small K/V per token: rollback and fork never touch kept K/V, so their cost does not
// depend on it; the copy-on-write and the contiguous copy do (their byte counts are reported).
KvCacheSpec bench_spec(std::int64_t block_size = 16) {
  KvCacheSpec spec;
  spec.model = "bench";
  spec.num_layers = 2;
  spec.num_kv_heads = 2;
  spec.head_dim = 16;
  spec.dtype = at::kHalf;
  spec.block_size = block_size;
  return spec;  // 256 bytes per token
}

constexpr std::int64_t kDraft = 8;

// `batch` sequences of `context` committed and prefilled tokens.
std::vector<SequenceId> prefill(StateManager& manager, KvModelId model, std::int64_t context, std::int64_t batch) {
  std::vector<SequenceId> ids;
  std::vector<TokenId> prompt(static_cast<std::size_t>(context));
  for (std::size_t i = 0; i < prompt.size(); ++i) prompt[i] = static_cast<TokenId>(i % 1000);
  for (std::int64_t s = 0; s < batch; ++s) {
    ids.push_back(manager.create_sequence(prompt));
    manager.append(model, ids.back(), prompt);
  }
  return ids;
}

std::int64_t budget_blocks(std::int64_t context, std::int64_t batch, std::int64_t block_size) {
  return batch * ((context + 2 * kDraft) / block_size + 3);
}

void BM_Rollback(benchmark::State& state) {
  const std::int64_t context = state.range(0);
  const std::int64_t batch = state.range(1);
  StateManager manager;
  const KvCacheSpec spec = bench_spec();
  const KvModelId model = manager.add_model(spec, KvBudget::blocks(budget_blocks(context, batch, spec.block_size)));
  const std::vector<SequenceId> ids = prefill(manager, model, context, batch);
  std::vector<TokenId> draft(kDraft, 7);
  std::vector<SequenceTokens> drafts;
  for (SequenceId id : ids) drafts.push_back({id, draft, {}});
  std::mt19937 rng(1);
  std::vector<SequenceLength> targets(ids.size());
  const std::vector<KvModelId> models{model};
  std::int64_t freed = 0;
  double timed = 0;
  for (auto _ : state) {
    manager.append(model, drafts);
    for (std::size_t i = 0; i < ids.size(); ++i) {
      targets[i] = {ids[i], context + std::uniform_int_distribution<std::int64_t>(0, kDraft)(rng)};  // ragged
    }
    const std::int64_t used = manager.pool(model).used_blocks();
    const auto start = Clock::now();
    manager.rollback(models, targets);
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    state.SetIterationTime(seconds);
    timed += seconds;
    freed += used - manager.pool(model).used_blocks();
    manager.rollback_to_committed(models, std::vector<SequenceId>(ids.begin(), ids.end()));
  }
  state.counters["tokens_kept"] = static_cast<double>(context);
  state.counters["blocks_freed_per_call"] = static_cast<double>(freed) / static_cast<double>(state.iterations());
  state.counters["ns_per_sequence"] = timed * 1e9 / static_cast<double>(state.iterations() * batch);
}

void BM_Fork(benchmark::State& state) {
  const std::int64_t context = state.range(0);
  const std::int64_t batch = state.range(1);
  StateManager manager;
  const KvCacheSpec spec = bench_spec();
  const KvModelId model = manager.add_model(spec, KvBudget::blocks(budget_blocks(context, batch, spec.block_size)));
  const std::vector<SequenceId> ids = prefill(manager, model, context, batch);
  std::vector<SequenceId> forks(ids.size());
  double timed = 0;
  for (auto _ : state) {
    const auto start = Clock::now();
    for (std::size_t i = 0; i < ids.size(); ++i) forks[i] = manager.fork(ids[i]);
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    state.SetIterationTime(seconds);
    timed += seconds;
    manager.release(forks);
  }
  state.counters["tokens_kept"] = static_cast<double>(context);
  state.counters["ns_per_sequence"] = timed * 1e9 / static_cast<double>(state.iterations() * batch);
}

void BM_ForkFirstWrite(benchmark::State& state) {
  const std::int64_t context = state.range(0);  // not a multiple of the block size: a partial block is shared
  StateManager manager;
  const KvCacheSpec spec = bench_spec();
  const KvModelId model = manager.add_model(spec, KvBudget::blocks(budget_blocks(context, 2, spec.block_size)));
  const SequenceId parent = prefill(manager, model, context, 1).front();
  const std::vector<TokenId> token{5};
  for (auto _ : state) {
    const SequenceId child = manager.fork(parent);
    const auto start = Clock::now();
    manager.append(model, child, token);
    state.SetIterationTime(std::chrono::duration<double>(Clock::now() - start).count());
    manager.release(child);
  }
  state.counters["tokens_kept"] = static_cast<double>(context);
  state.counters["bytes_copied"] = static_cast<double>(spec.bytes_per_block());
}

// Baseline for BM_ForkFirstWrite: the same one-token append without a shared block.
void BM_AppendOne(benchmark::State& state) {
  const std::int64_t context = state.range(0);
  StateManager manager;
  const KvCacheSpec spec = bench_spec();
  const KvModelId model = manager.add_model(spec, KvBudget::blocks(budget_blocks(context, 2, spec.block_size)));
  const SequenceId sequence = prefill(manager, model, context, 1).front();
  const std::vector<TokenId> token{5};
  for (auto _ : state) {
    const auto start = Clock::now();
    manager.append(model, sequence, token);
    state.SetIterationTime(std::chrono::duration<double>(Clock::now() - start).count());
    manager.rollback(model, sequence, context);
  }
  state.counters["tokens_kept"] = static_cast<double>(context);
}

void BM_ContiguousCopy(benchmark::State& state) {
  const std::int64_t context = state.range(0);
  const KvCacheSpec spec = bench_spec();
  // A contiguous cache of one sequence: [layers, 2, kv_heads, context, head_dim].
  const at::Tensor cache = at::zeros({spec.num_layers, 2, spec.num_kv_heads, context, spec.head_dim}, at::kHalf);
  for (auto _ : state) {
    const auto start = Clock::now();
    at::Tensor copy = cache.clone();
    state.SetIterationTime(std::chrono::duration<double>(Clock::now() - start).count());
    benchmark::DoNotOptimize(copy.data_ptr());
  }
  state.counters["tokens_kept"] = static_cast<double>(context);
  state.counters["bytes_copied"] = static_cast<double>(context * spec.bytes_per_token());
}

// Bytes held per stored token. `shared_prompt` > 0: every sequence is a fork of one
// prompt of that many tokens, then grows on its own.
void BM_MemoryOverhead(benchmark::State& state) {
  const std::int64_t block_size = state.range(0);
  const std::int64_t shared_prompt = state.range(1);
  constexpr std::int64_t kSequences = 64;
  constexpr std::int64_t kMaxContext = 4096;
  const KvCacheSpec spec = bench_spec(block_size);
  double paged_ratio = 0, contiguous_ratio = 0, doubling_ratio = 0;
  for (auto _ : state) {
    StateManager manager;
    const KvModelId model = manager.add_model(spec, KvBudget::blocks(kSequences * (kMaxContext / block_size + 1)));
    std::mt19937 rng(3);
    std::vector<TokenId> prompt(static_cast<std::size_t>(shared_prompt), 1);
    SequenceId root = -1;
    if (shared_prompt > 0) {
      root = manager.create_sequence(prompt);
      manager.append(model, root, prompt);
    }
    std::int64_t stored = 0, doubling_capacity = 0;
    for (std::int64_t s = 0; s < kSequences; ++s) {
      const std::int64_t length = std::uniform_int_distribution<std::int64_t>(std::max<std::int64_t>(128, shared_prompt + 1), kMaxContext)(rng);
      const SequenceId id = shared_prompt > 0 ? manager.fork(root) : manager.create_sequence({});
      std::vector<TokenId> rest(static_cast<std::size_t>(length - shared_prompt), 2);
      manager.append(model, id, rest);
      stored += length;
      std::int64_t capacity = 64;  // a contiguous cache that doubles from 64, capped at the maximum
      while (capacity < length) capacity = std::min(2 * capacity, kMaxContext);
      doubling_capacity += capacity;
    }
    if (shared_prompt > 0) manager.release(root);
    const KvPoolUsage usage = manager.memory_report().pools.at(0);
    paged_ratio = static_cast<double>(usage.used_blocks * usage.bytes_per_block) / static_cast<double>(stored * usage.bytes_per_token);
    contiguous_ratio = static_cast<double>(kSequences * kMaxContext) / static_cast<double>(stored);
    doubling_ratio = static_cast<double>(doubling_capacity) / static_cast<double>(stored);
  }
  state.counters["paged_bytes_per_token_ratio"] = paged_ratio;             // 1.0 = no overhead
  state.counters["contiguous_max_bytes_per_token_ratio"] = contiguous_ratio;  // reserve max context
  state.counters["contiguous_doubling_bytes_per_token_ratio"] = doubling_ratio;
}

void context_and_batch(benchmark::internal::Benchmark* bench) {
  for (std::int64_t batch : {1, 8, 32}) {
    for (std::int64_t context : {128, 1024, 4096, 16384, 32768}) bench->Args({context, batch});
  }
}

// Fixed iteration counts: the untimed set-up of each iteration (drafting, releasing)
// costs far more than the timed call, so time-based stopping would run for minutes.
BENCHMARK(BM_Rollback)->Apply(context_and_batch)->UseManualTime()->Iterations(20000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Fork)->Apply(context_and_batch)->UseManualTime()->Iterations(1000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ForkFirstWrite)->Arg(135)->Arg(1031)->Arg(4099)->Arg(32771)->UseManualTime()->Iterations(20000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_AppendOne)->Arg(135)->Arg(1031)->Arg(4099)->Arg(32771)->UseManualTime()->Iterations(20000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ContiguousCopy)->Arg(128)->Arg(1024)->Arg(4096)->Arg(32768)->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_MemoryOverhead)->Args({16, 0})->Args({1, 0})->Args({64, 0})->Args({16, 1024})->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace specrouter

BENCHMARK_MAIN();
