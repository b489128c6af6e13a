// The ngram_lm drafter (plugins/drafters/ngram_lm/): building its Kneser-Ney model from a
// corpus of T token ids, and drafting greedy and sampled with vocabularies of 32k and 128k.
//
//   build/bin/ngram_lm_bench
//
// The corpus is i.i.d. Zipf(1) ids: nearly every 3- and 4-gram is new, the worst case for
// the size of the tables (real text repeats itself far more). Figures are quoted in
// docs/design/ngram_lm_drafter.md.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "specrouter/drafter.h"
#include "specrouter/plugin/registries.h"

// Defined by SPECROUTER_PLUGIN in plugins/drafters/ngram_lm/ngram_lm_drafter.cpp.
void specrouter_register_ngram_lm_drafter(specrouter::PluginRegistrar& registrar);

namespace {

using specrouter::TokenId;

const specrouter::Registries& registries() {
  static const specrouter::Registries instance = [] {
    specrouter::Registries r;
    specrouter::PluginRegistrar registrar;
    specrouter_register_ngram_lm_drafter(registrar);
    registrar.commit(r);
    return r;
  }();
  return instance;
}

// A file of `tokens` Zipf(1) ids below `vocab`, written once per process and removed at exit.
std::string zipf_ids_file(std::int64_t tokens, std::int64_t vocab) {
  static std::map<std::pair<std::int64_t, std::int64_t>, std::string> files;
  static const struct Cleanup {
    ~Cleanup() {
      for (const auto& [key, path] : files) std::filesystem::remove(path);
    }
  } cleanup;
  (void)cleanup;
  auto& path = files[{tokens, vocab}];
  if (!path.empty()) return path;
  std::vector<double> cumulative(static_cast<std::size_t>(vocab));
  double total = 0;
  for (std::int64_t rank = 0; rank < vocab; ++rank) cumulative[static_cast<std::size_t>(rank)] = total += 1.0 / (rank + 1);
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> uniform(0, total);
  std::string text;
  text.reserve(static_cast<std::size_t>(tokens) * 6);
  for (std::int64_t i = 0; i < tokens; ++i) {
    const auto id = std::lower_bound(cumulative.begin(), cumulative.end(), uniform(rng)) - cumulative.begin();
    text += std::to_string(std::min<std::int64_t>(id, vocab - 1));
    text += i % 16 == 15 ? '\n' : ' ';
  }
  path = (std::filesystem::temp_directory_path() /
          ("specrouter_ngram_lm_bench_" + std::to_string(::getpid()) + "_" + std::to_string(tokens) + "_" +
           std::to_string(vocab) + ".ids"))
             .string();
  std::ofstream(path) << text;
  return path;
}

std::shared_ptr<specrouter::Drafter> make_drafter(std::int64_t tokens, std::int64_t vocab, std::int64_t order,
                                                  bool sample) {
  const auto& info = registries().drafters.at("ngram_lm").info;
  const std::map<std::string, specrouter::ParamValue> overrides = {
      {"training_file", zipf_ids_file(tokens, vocab)}, {"vocab_size", vocab}, {"order", order}, {"sample", sample}};
  return registries().drafters.create("ngram_lm",
                                      specrouter::Params::from_specs("drafter 'ngram_lm'", info.params, overrides));
}

// Args: corpus tokens, order. Includes reading and parsing the ids file.
void BM_Build(benchmark::State& state) {
  const std::int64_t tokens = state.range(0), order = state.range(1);
  zipf_ids_file(tokens, 32'000);  // not timed
  for (auto _ : state) benchmark::DoNotOptimize(make_drafter(tokens, 32'000, order, false));
  state.counters["tokens/s"] = benchmark::Counter(static_cast<double>(tokens * state.iterations()),
                                                  benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Build)->Args({1'000'000, 2})->Args({1'000'000, 4})->Args({3'000'000, 4})->Unit(benchmark::kMillisecond);

// Args: vocab, sample (0/1), first id of the context. One request of 8 tokens, order 4,
// 1M-token corpus. Context ids from 0 (the most frequent: a bigram context followed by
// nearly the whole vocabulary) or from 2000 (rarer: a few hundred followers). Greedy
// drafts walk on to frequent ids, so later tokens of a greedy draft pay the frequent case.
void BM_Draft8(benchmark::State& state) {
  const std::int64_t vocab = state.range(0);
  const auto drafter = make_drafter(1'000'000, vocab, 4, state.range(1) != 0);
  std::mt19937 rng(3);
  std::vector<TokenId> context(64);
  for (TokenId& token : context) token = static_cast<TokenId>(state.range(2) + rng() % 50);
  const specrouter::DraftRequest request{context, 8};
  for (auto _ : state) benchmark::DoNotOptimize(drafter->propose({&request, 1}, {}));
  state.counters["drafted tokens/s"] = benchmark::Counter(static_cast<double>(8 * state.iterations()),
                                                          benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Draft8)
    ->ArgsProduct({{32'000, 128'256}, {0, 1}, {0, 2'000}})
    ->Unit(benchmark::kMicrosecond);

// Args: vocab, first id of the context. The first greedy token alone (max_tokens 1).
void BM_DraftGreedy1(benchmark::State& state) {
  const auto drafter = make_drafter(1'000'000, state.range(0), 4, false);
  std::mt19937 rng(3);
  std::vector<TokenId> context(64);
  for (TokenId& token : context) token = static_cast<TokenId>(state.range(1) + rng() % 50);
  const specrouter::DraftRequest request{context, 1};
  for (auto _ : state) benchmark::DoNotOptimize(drafter->propose({&request, 1}, {}));
}
BENCHMARK(BM_DraftGreedy1)->ArgsProduct({{32'000, 128'256}, {0, 2'000}})->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
