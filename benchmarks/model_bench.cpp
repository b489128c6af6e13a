// What one target call costs: a decode step (1 new token) versus a verification pass
// over k = 2, 4, 8, 16 draft tokens, after 128 cached tokens, for random float32 models
// of about 1M, 10M and 50M parameters on 2 threads. Speculative decoding pays off only
// if verifying k tokens costs little more than decoding one; the summary printed at the
// end gives verify(k=8) / decode(1) per model and linear kernel (the core's reference,
// at::linear; linear/cpu_small_batch from kernels/cpu with its default tiles, the widest
// the CPU supports; the same kernel forced to its AVX2 tiles; and the AVX2 tiles without
// prefetching, the kernel as it was before the AVX-512 tiles, so that they are compared
// within one run), and for the 1M model (where arithmetic is
// negligible) the fixed cost of a step: the intercept of time over k. With
// --benchmark_repetitions the summary takes the median of the repetitions (interleave
// them with --benchmark_enable_random_interleaving=true).
//
//   build/bin/model_bench [--threads=2] [--benchmark_filter=...]
//   build/bin/model_bench --benchmark_filter='BM_Forward/2/[0-9]+/[123]'   # 50M, no MKL
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <iterator>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <c10/core/InferenceMode.h>

#include "specrouter/kernels/linear.h"
#include "specrouter/kernels/paged_attention.h"
#include "specrouter/state/state_manager.h"
#include "specrouter/model/threads.h"
#include "specrouter/model/transformer_model.h"
#include "specrouter/plugin/params.h"
#include "specrouter/plugin/registries.h"

// Defined by SPECROUTER_PLUGIN in kernels/cpu/kernels_cpu.cpp and
// kernels/cpu/paged_attention/register.cpp.
void specrouter_register_kernels_cpu(specrouter::PluginRegistrar& registrar);
void specrouter_register_kernels_cpu_attention(specrouter::PluginRegistrar& registrar);

namespace {

using namespace specrouter;

constexpr std::int64_t kCached = 128;

// The linear kernels compared; index = the benchmark's third argument.
struct BenchKernel {
  const char* label;
  const char* name;  // in the registry
  const char* isa;   // the `isa` parameter of linear/cpu_small_batch, or nullptr
  bool prefetch;     // its `prefetch` parameter
};
constexpr BenchKernel kKernels[] = {
    {"linear/reference", "linear/reference", nullptr, true},
    {"cpu_small_batch", "linear/cpu_small_batch", nullptr, true},
    {"cpu_small_batch avx2", "linear/cpu_small_batch", "avx2", true},
    {"avx2 no prefetch (old)", "linear/cpu_small_batch", "avx2", false},
};
constexpr std::size_t kNumKernels = std::size(kKernels);

const Registries& cpu_kernels() {
  static const Registries registries = [] {
    PluginRegistrar registrar;
    specrouter_register_kernels_cpu(registrar);
    specrouter_register_kernels_cpu_attention(registrar);
    Registries made;
    registrar.commit(made);
    return made;
  }();
  return registries;
}

std::shared_ptr<const LinearKernel> make_linear(std::size_t kernel) {
  const Registries& registries = cpu_kernels();
  const std::string name = kKernels[kernel].name;
  const auto& info = registries.kernels.at(name).info;
  std::map<std::string, ParamValue> overrides;
  if (kKernels[kernel].isa != nullptr) {
    overrides["isa"] = std::string(kKernels[kernel].isa);
    overrides["prefetch"] = kKernels[kernel].prefetch;
  }
  return std::dynamic_pointer_cast<const LinearKernel>(
      registries.kernels.create(name, Params::from_specs("kernel '" + name + "'", info.params, overrides)));
}

struct BenchModel {
  const char* name;
  std::int64_t vocab, hidden, intermediate, layers, heads, kv_heads;
};

// Shapes in the proportions of small Llama models (GQA 2:1, MLP ~2.7x).
constexpr BenchModel kModels[] = {
    {"1M", 1000, 128, 344, 4, 4, 2},
    {"10M", 8000, 256, 688, 8, 8, 4},
    {"50M", 16000, 512, 1376, 12, 8, 4},
};

ModelConfig config_of(const BenchModel& shape) {
  ModelConfig config;
  config.architecture = Architecture::kLlama;
  config.vocab_size = shape.vocab;
  config.hidden_size = shape.hidden;
  config.intermediate_size = shape.intermediate;
  config.num_hidden_layers = shape.layers;
  config.num_attention_heads = shape.heads;
  config.num_key_value_heads = shape.kv_heads;
  config.head_dim = shape.hidden / shape.heads;
  config.max_position_embeddings = 1024;
  config.layer_windows.assign(static_cast<std::size_t>(shape.layers), std::nullopt);
  return config;
}

// One loaded model (with one linear kernel, attention by paged_attention/cpu) with one
// sequence holding kCached committed tokens in its KV, shared by its benchmarks.
struct Fixture {
  std::unique_ptr<TransformerModel> model;
  std::unique_ptr<StateManager> state;
  KvModelId kv = 0;
  SequenceId sequence = 0;
  std::vector<TokenId> draft;
};

Fixture& fixture(std::size_t index, std::size_t kernel) {
  static std::map<std::pair<std::size_t, std::size_t>, Fixture> fixtures;
  auto it = fixtures.find({index, kernel});
  if (it != fixtures.end()) return it->second;
  c10::InferenceMode guard;
  const ModelConfig config = config_of(kModels[index]);
  Fixture f;
  ModelOptions options;
  options.linear = make_linear(kernel);
  options.attention = make_paged_attention(cpu_kernels().kernels, "paged_attention/cpu");
  f.model = TransformerModel::create(config, random_weights(config, 7), options);
  f.state = std::make_unique<StateManager>();
  f.kv = f.model->add_kv_cache(*f.state, "model", KvBudget::blocks(64));
  std::mt19937_64 rng(3);
  std::vector<TokenId> prompt;
  for (std::int64_t i = 0; i < kCached; ++i) prompt.push_back(static_cast<TokenId>(rng() % config.vocab_size));
  for (int i = 0; i < 16; ++i) f.draft.push_back(static_cast<TokenId>(rng() % config.vocab_size));
  f.sequence = f.state->create_sequence(prompt);
  SequenceInput input;
  input.sequence = f.sequence;
  input.tokens = prompt;
  input.logits = LogitsWanted::kNone;
  f.model->forward({&input, 1}, *f.state, f.kv);
  return fixtures.emplace(std::pair{index, kernel}, std::move(f)).first->second;
}

// One pass over k new (speculative) tokens with logits for all of them, then rollback
// to kCached, as a rejected draft would be.
void BM_Forward(benchmark::State& state) {
  const auto index = static_cast<std::size_t>(state.range(0));
  const auto k = static_cast<std::size_t>(state.range(1));
  const auto kernel = static_cast<std::size_t>(state.range(2));
  Fixture& f = fixture(index, kernel);
  c10::InferenceMode guard;
  SequenceInput input;
  input.sequence = f.sequence;
  input.tokens = std::span<const TokenId>(f.draft).first(k);
  input.logits = LogitsWanted::kAll;
  for (auto _ : state) {
    ForwardOutput output = f.model->forward({&input, 1}, *f.state, f.kv);
    benchmark::DoNotOptimize(output.logits.data_ptr());
    f.state->rollback(f.kv, f.sequence, kCached);
  }
  state.SetLabel(std::string(kModels[index].name) + (k == 1 ? " decode" : " verify k=" + std::to_string(k)) + " " +
                 kKernels[kernel].label);
  state.counters["params_M"] = static_cast<double>(config_of(kModels[index]).parameter_count()) / 1e6;
}

void forward_args(benchmark::internal::Benchmark* bench) {
  for (std::int64_t model = 0; model < 3; ++model) {
    for (std::int64_t kernel = 0; kernel < static_cast<std::int64_t>(kNumKernels); ++kernel) {
      for (std::int64_t k : {1, 2, 4, 8, 16}) bench->Args({model, k, kernel});
    }
  }
}
// Process CPU time (all threads) as well as real time: on a machine shared with other
// work, real time measures the scheduler; CPU time with OMP_WAIT_POLICY=passive (idle
// threads sleep instead of spinning) is the work itself, summed over the threads.
BENCHMARK(BM_Forward)->Apply(forward_args)->Unit(benchmark::kMicrosecond)->UseRealTime()->MeasureProcessCPUTime();

// Keeps the real times per (model, k, kernel) to print the summary after the table.
class SummaryReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& run : runs) {
      if (run.run_type != Run::RT_Iteration) continue;
      times_[run.benchmark_name()].push_back(run.GetAdjustedRealTime());  // microseconds
      cpu_times_[run.benchmark_name()].push_back(run.GetAdjustedCPUTime());
    }
  }

  void PrintSummary() const {
    std::printf("\nsummary (%d threads, float32, %lld cached tokens)\n", specrouter::compute_threads(),
                static_cast<long long>(kCached));
    for (std::size_t m = 0; m < 3; ++m) {
      for (std::size_t kernel = 0; kernel < kNumKernels; ++kernel) {
        const double decode = time_of(m, 1, kernel);
        const double verify8 = time_of(m, 8, kernel);
        if (decode <= 0 || verify8 <= 0) continue;
        const double decode_cpu = time_of(m, 1, kernel, cpu_times_);
        const double verify8_cpu = time_of(m, 8, kernel, cpu_times_);
        std::printf("  %-4s %-23s decode %9.1f us   verify(k=8) %9.1f us   ratio %.2f   (CPU time ratio %.2f)\n",
                    kModels[m].name, kKernels[kernel].label, decode, verify8, verify8 / decode,
                    verify8_cpu / decode_cpu);
      }
    }
    for (std::size_t kernel = 0; kernel < kNumKernels; ++kernel) print_fixed_cost(kernel);
  }

 private:
  // Least-squares line through time(k) of the 1M model; its intercept is the cost of a
  // pass that does (almost) no arithmetic.
  void print_fixed_cost(std::size_t kernel) const {
    double n = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
    for (int k : {1, 2, 4, 8, 16}) {
      const double t = time_of(0, k, kernel);
      if (t <= 0) continue;
      n += 1;
      sx += k;
      sy += t;
      sxx += k * k;
      sxy += k * t;
    }
    if (n >= 2) {
      const double slope = (n * sxy - sx * sy) / (n * sxx - sx * sx);
      std::printf("  1M   %-23s fixed cost per pass (intercept) %.1f us, %.1f us per extra token\n", kKernels[kernel].label,
                  (sy - slope * sx) / n, slope);
    }
  }

  // The median over the repetitions (the machine's timings drift).
  double time_of(std::size_t model, int k, std::size_t kernel) const { return time_of(model, k, kernel, times_); }
  double time_of(std::size_t model, int k, std::size_t kernel,
                 const std::map<std::string, std::vector<double>>& all) const {
    auto it = all.find("BM_Forward/" + std::to_string(model) + "/" + std::to_string(k) + "/" +
                          std::to_string(kernel) + "/process_time/real_time");
    if (it == all.end()) return -1.0;
    std::vector<double> times = it->second;
    std::sort(times.begin(), times.end());
    const std::size_t half = times.size() / 2;
    return times.size() % 2 == 1 ? times[half] : (times[half - 1] + times[half]) / 2;
  }
  std::map<std::string, std::vector<double>> times_;
  std::map<std::string, std::vector<double>> cpu_times_;
};

}  // namespace

int main(int argc, char** argv) {
  // --threads=N (default 2) is ours; the rest goes to Google Benchmark.
  int threads = 2;
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind("--threads=", 0) == 0) {
      threads = std::stoi(arg.substr(10));
    } else {
      argv[kept++] = argv[i];
    }
  }
  argc = kept;
  specrouter::set_compute_threads(threads);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  SummaryReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  reporter.PrintSummary();
  benchmark::Shutdown();
  return 0;
}
