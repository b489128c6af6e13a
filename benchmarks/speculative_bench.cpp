// Speculative decoding end to end: tokens per second and tau of plans [T] (plain
// decoding), [D4, T] and [D1, D4, T], with the token and the tree verifier, for batches
// of 1 and 8 sequences, greedy; and the step executor's own overhead per step (a step's
// wall time minus the time of its model calls) in microseconds and as a percentage of the
// step; and each model's forward time per step.
//
// One pool of random float32 Llamas sharing a 4096-token vocabulary: the target T has 16
// layers (hidden 512, about 51M parameters); the drafts are T cut to its first layer (D1)
// and its first four layers (D4), sharing T's embeddings, final norm and lm_head (a
// self-speculative, early-exit draft): per token they compute about 10% and 28% of T's
// weights. Random layers each rewrite the residual stream, so a cut model rarely agrees
// with the whole one (D4's drafts: 9% accepted by T). As in trained models, where later
// layers refine, layer l's output projections (o_proj, down_proj) are scaled by
// decay^l (--layer-decay, default 0.5): then T accepts about 75% of D4's tokens and D4
// about 30% of D1's. --layer-decay=1 runs the models as drawn.
//
// Each configuration decodes the same eight 32-token random prompts, one per iteration at
// batch 1 and all in one iteration at batch 8: create the sequences, run one untimed step
// (the prefill of every model), then time steps until every sequence has --new-tokens
// (default 64) new tokens; tokens/s counts those (not what the last step commits beyond). The summary printed at the end gives each plan's
// speedup over [T] at the same batch size (medians with --benchmark_repetitions; on a
// shared machine add --benchmark_enable_random_interleaving=true so that drift hits every
// configuration alike).
//
//   build/bin/speculative_bench [--threads=2] [--new-tokens=64] [--layer-decay=0.5]
//                               [--benchmark_filter=...]
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include <ATen/ops/mul.h>
#include <c10/core/InferenceMode.h>

#include "specrouter/decoding/model_pool.h"
#include "specrouter/decoding/step_executor.h"
#include "specrouter/kernels/linear.h"
#include "specrouter/kernels/make_kernel.h"
#include "specrouter/kernels/paged_attention.h"
#include "specrouter/model/early_exit.h"
#include "specrouter/model/threads.h"
#include "specrouter/model/transformer_model.h"
#include "specrouter/model/weights.h"
#include "specrouter/plugin/params.h"
#include "specrouter/plugin/registries.h"
#include "specrouter/state/state_manager.h"

// Defined by SPECROUTER_PLUGIN in the plugins' sources (linked statically).
void specrouter_register_kernels_cpu(specrouter::PluginRegistrar& registrar);
void specrouter_register_kernels_cpu_attention(specrouter::PluginRegistrar& registrar);
void specrouter_register_token_verifier(specrouter::PluginRegistrar& registrar);
void specrouter_register_tree_verifier(specrouter::PluginRegistrar& registrar);

namespace {

using namespace specrouter;
using Clock = std::chrono::steady_clock;

// Set from the command line in main().
int g_new_tokens = 64;
double g_layer_decay = 0.5;

constexpr std::int64_t kPromptTokens = 32;
constexpr std::int64_t kBlockSize = 16;
constexpr int kTargetLayers = 16;

// Pool indices: D1, D4, T.
constexpr int kD1 = 0, kD4 = 1, kTarget = 2;
constexpr const char* kPoolNames[] = {"D1", "D4", "T"};
constexpr int kPoolLayers[] = {1, 4, kTargetLayers};

struct BenchPlan {
  const char* name;
  Plan plan;
};
// With the executor's truncation rule a level asked for k tokens drafts at most k - 1
// per round from below (docs/design/step_executor.md), so the 3-level plan gives D4 a
// longer draft than the 2-level one and D1 rounds of up to 3.
const std::vector<BenchPlan>& plans() {
  static const std::vector<BenchPlan> all = {
      {"[T]", {{kTarget}, {}}},
      {"[D4,T] k=4", {{kD4, kTarget}, {4}}},
      {"[D1,D4,T] k=3,6", {{kD1, kD4, kTarget}, {3, 6}}},
  };
  return all;
}
constexpr const char* kVerifiers[] = {"token", "tree"};

const Registries& registries() {
  static const Registries made = [] {
    PluginRegistrar registrar;
    specrouter_register_kernels_cpu(registrar);
    specrouter_register_kernels_cpu_attention(registrar);
    specrouter_register_token_verifier(registrar);
    specrouter_register_tree_verifier(registrar);
    Registries registries;
    registrar.commit(registries);
    return registries;
  }();
  return made;
}

ModelConfig config_with_layers(int layers) {
  ModelConfig config;
  config.architecture = Architecture::kLlama;
  config.vocab_size = 4096;
  config.hidden_size = 512;
  config.intermediate_size = 1376;
  config.num_hidden_layers = layers;
  config.num_attention_heads = 8;
  config.num_key_value_heads = 4;
  config.head_dim = 64;
  config.max_position_embeddings = 1024;
  config.layer_windows.assign(static_cast<std::size_t>(layers), std::nullopt);
  return config;
}

// The pool, its KV caches and one executor per verifier, shared by every benchmark.
struct Fixture {
  std::vector<std::unique_ptr<TransformerModel>> models;
  std::unique_ptr<StateManager> state;
  std::map<std::string, std::unique_ptr<StepExecutor>> executors;  // by verifier
  double params_m = 0;
};

Fixture& fixture() {
  static Fixture* made = [] {
    c10::InferenceMode guard;
    auto* f = new Fixture;
    TensorMapWeights target = random_weights(config_with_layers(kTargetLayers), 7);
    scale_residual_writes(target, [](int layer) { return std::pow(g_layer_decay, layer); });
    ModelOptions options;
    options.linear = make_kernel_as<LinearKernel>(registries().kernels, LinearKernel::kOp, "cpu_small_batch");
    options.attention = make_kernel_as<PagedAttention>(registries().kernels, PagedAttention::kOp, "cpu");
    f->state = std::make_unique<StateManager>();
    // Room for the largest batch: prompt + new tokens + drafts, plus a block per sequence.
    const std::int64_t positions = kPromptTokens + g_new_tokens + 32;
    const std::int64_t blocks = 8 * ((positions + kBlockSize - 1) / kBlockSize + 1);
    std::vector<PoolMember> members;
    for (int i = 0; i < 3; ++i) {
      const ModelConfig config = config_with_layers(kPoolLayers[i]);
      f->models.push_back(TransformerModel::create(
          config, kPoolLayers[i] == kTargetLayers ? target : first_layers(target, kPoolLayers[i]), options));
      const KvModelId kv = f->models.back()->add_kv_cache(*f->state, kPoolNames[i], KvBudget::blocks(blocks), kBlockSize);
      members.push_back({kPoolNames[i], f->models.back().get(), kv});
      if (i == kTarget) f->params_m = static_cast<double>(config.parameter_count()) / 1e6;
    }
    for (const char* name : kVerifiers) {
      const auto& info = registries().verifiers.at(name).info;
      auto verifier = registries().verifiers.create(name, Params::from_specs(name, info.params));
      f->executors.emplace(name, std::make_unique<StepExecutor>(ModelPool(members), *f->state, verifier));
    }
    return f;
  }();
  return *made;
}

// Totals over every iteration of one benchmark.
struct Totals {
  double step_seconds = 0;
  double call_seconds = 0;
  double model_seconds[3] = {0, 0, 0};  // by pool index
  std::int64_t steps = 0;
  std::int64_t sequence_steps = 0;
  std::int64_t committed = 0;   // by the timed steps
  std::int64_t new_tokens = 0;  // of those, the first g_new_tokens per sequence
  std::vector<std::int64_t> drafted, accepted;  // per level
};

// Prompts in use: kEightPrompts distinct ones, the same for every plan and batch size.
constexpr int kEightPrompts = 8;

std::vector<TokenId> prompt(int index) {
  std::mt19937_64 rng(1000 + static_cast<std::uint64_t>(index));
  std::vector<TokenId> tokens;
  for (std::int64_t i = 0; i < kPromptTokens; ++i) tokens.push_back(static_cast<TokenId>(rng() % 4096));
  return tokens;
}

// Decodes prompts [first, first + batch) as one batch: an untimed prefill step, then timed
// steps until every sequence has g_new_tokens new tokens. Returns the timed seconds.
double decode_batch(StepExecutor& executor, const Plan& plan, int first, int batch, Totals& totals) {
  StateManager& state = executor.state();
  std::vector<SequenceId> sequences;
  for (int b = 0; b < batch; ++b) sequences.push_back(state.create_sequence(prompt((first + b) % kEightPrompts)));
  std::vector<SequencePlan> running;
  for (SequenceId sequence : sequences) running.push_back({sequence, plan, nullptr});
  executor.step(running);  // prefill (it commits some tokens too: they are not counted)
  std::map<SequenceId, std::int64_t> end;  // committed length at which a sequence is done
  for (SequenceId sequence : sequences) end[sequence] = state.committed_length(sequence) + g_new_tokens;

  double timed = 0;
  while (!running.empty()) {
    const auto start = Clock::now();
    const StepResult step = executor.step(running);
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    timed += seconds;
    totals.step_seconds += seconds;
    ++totals.steps;
    for (const ModelCall& call : step.calls) {
      totals.call_seconds += call.seconds;
      totals.model_seconds[call.pool_index] += call.seconds;
    }
    std::vector<SequencePlan> still_running;
    for (std::size_t b = 0; b < running.size(); ++b) {
      const SequenceStepResult& result = step.sequences[b];
      const auto committed = static_cast<std::int64_t>(result.committed.size());
      ++totals.sequence_steps;
      totals.committed += committed;
      totals.drafted.resize(result.levels.size(), 0);
      totals.accepted.resize(result.levels.size(), 0);
      for (std::size_t level = 0; level < result.levels.size(); ++level) {
        totals.drafted[level] += result.levels[level].drafted;
        totals.accepted[level] += result.levels[level].accepted;
      }
      // The last step may commit past the end: those tokens are not counted.
      const std::int64_t overshoot = std::max<std::int64_t>(0, state.committed_length(running[b].sequence) - end[running[b].sequence]);
      totals.new_tokens += committed - overshoot;
      if (state.committed_length(running[b].sequence) < end[running[b].sequence]) still_running.push_back(running[b]);
    }
    running = std::move(still_running);
  }
  state.release(sequences);
  return timed;
}

// Arguments: plan index, verifier index, batch size.
void BM_Speculative(benchmark::State& state) {
  const BenchPlan& plan = plans().at(static_cast<std::size_t>(state.range(0)));
  const char* verifier = kVerifiers[state.range(1)];
  const int batch = static_cast<int>(state.range(2));
  Fixture& f = fixture();
  StepExecutor& executor = *f.executors.at(verifier);
  c10::InferenceMode guard;
  Totals totals;
  int first = 0;
  for (auto _ : state) {
    state.SetIterationTime(decode_batch(executor, plan.plan, first, batch, totals));
    first += batch;
  }

  const double overhead = totals.step_seconds - totals.call_seconds;
  state.counters["batch"] = batch;
  state.counters["tok/s"] = static_cast<double>(totals.new_tokens) / totals.step_seconds;
  state.counters["tau"] = static_cast<double>(totals.committed) / static_cast<double>(totals.sequence_steps);
  state.counters["overhead_us"] = 1e6 * overhead / static_cast<double>(totals.steps);
  state.counters["overhead_%"] = 100 * overhead / totals.step_seconds;
  for (int model : plan.plan.chain) {
    state.counters[std::string(kPoolNames[model]) + "_ms"] = 1e3 * totals.model_seconds[model] / static_cast<double>(totals.steps);
  }
  for (std::size_t level = 1; level < totals.drafted.size(); ++level) {
    if (totals.drafted[level] == 0) continue;
    state.counters["acc_" + std::string(kPoolNames[plan.plan.chain[level]])] =
        static_cast<double>(totals.accepted[level]) / static_cast<double>(totals.drafted[level]);
  }
  state.SetLabel(std::string(plan.name) + " " + verifier + " batch " + std::to_string(batch));
}

template <int kBatch>
void speculative_args(benchmark::internal::Benchmark* bench) {
  for (std::int64_t p = 0; p < static_cast<std::int64_t>(plans().size()); ++p) {
    // Plain decoding verifies nothing: one verifier is enough.
    for (std::int64_t v = 0; v < (p == 0 ? 1 : 2); ++v) bench->Args({p, v, kBatch});
  }
}
// Every configuration decodes the same eight prompts: one at a time, or as one batch.
BENCHMARK(BM_Speculative)->Apply(speculative_args<1>)->Iterations(kEightPrompts)->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Speculative)->Apply(speculative_args<8>)->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);

// Keeps every run's counters to print the summary after the table.
class SummaryReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& run : runs) {
      if (run.run_type == Run::RT_Iteration) iterations_.push_back(run);
      if (run.run_type == Run::RT_Aggregate && run.aggregate_name == "median") medians_.push_back(run);
    }
  }

  // With --benchmark_repetitions the medians, else the single runs.
  void PrintSummary() {
    runs_ = medians_.empty() ? iterations_ : medians_;
    std::sort(runs_.begin(), runs_.end(), [](const Run& a, const Run& b) {
      const Args x = args_of(a), y = args_of(b);
      return std::tie(x.batch, x.plan, x.verifier) < std::tie(y.batch, y.plan, y.verifier);
    });
    std::printf("\nsummary (%d threads, float32, greedy, target %.1fM parameters, layer decay %.2f, "
                "%d new tokens per sequence)\n",
                compute_threads(), fixture().params_m, g_layer_decay, g_new_tokens);
    std::printf("  %-18s %-6s %5s %9s %6s %8s %12s %10s  %s\n", "plan", "verif.", "batch", "tok/s", "tau", "speedup",
                "overhead/us", "overhead%", "ms per step by model; acceptance up the chain");
    for (const Run& run : runs_) {
      const Args args = args_of(run);
      const double tps = run.counters.at("tok/s");
      const double baseline = tokens_per_second({0, 0, args.batch});
      std::string acceptance;
      for (const char* model : kPoolNames) {
        auto it = run.counters.find(std::string(model) + "_ms");
        if (it == run.counters.end()) continue;
        char text[32];
        std::snprintf(text, sizeof text, "%s%s %.1f", acceptance.empty() ? "" : " ", model, it->second.value);
        acceptance += text;
      }
      bool first_rate = true;
      for (const char* model : kPoolNames) {
        auto it = run.counters.find(std::string("acc_") + model);
        if (it == run.counters.end()) continue;
        char text[32];
        std::snprintf(text, sizeof text, "%s %s %.2f", first_rate ? ";" : "", model, it->second.value);
        first_rate = false;
        acceptance += text;
      }
      std::printf("  %-18s %-6s %5d %9.1f %6.2f %7.2fx %12.0f %9.1f%%  %s\n", plans().at(args.plan).name,
                  kVerifiers[args.verifier], args.batch, tps, run.counters.at("tau").value,
                  baseline > 0 ? tps / baseline : 0.0, run.counters.at("overhead_us").value,
                  run.counters.at("overhead_%").value, acceptance.c_str());
    }
  }

 private:
  struct Args {
    std::size_t plan = 0, verifier = 0;
    int batch = 0;
  };
  // BM_Speculative/<plan>/<verifier>/<batch>/manual_time
  static Args args_of(const Run& run) {
    const std::string name = run.benchmark_name();
    std::vector<int> numbers;
    std::size_t start = name.find('/');
    while (start != std::string::npos && numbers.size() < 3) {
      numbers.push_back(std::stoi(name.substr(start + 1)));
      start = name.find('/', start + 1);
    }
    return {static_cast<std::size_t>(numbers.at(0)), static_cast<std::size_t>(numbers.at(1)), numbers.at(2)};
  }
  double tokens_per_second(const Args& wanted) const {
    for (const Run& run : runs_) {
      const Args args = args_of(run);
      if (args.plan == wanted.plan && args.verifier == wanted.verifier && args.batch == wanted.batch) {
        return run.counters.at("tok/s");
      }
    }
    return 0;
  }
  std::vector<Run> iterations_, medians_, runs_;
};

}  // namespace

int main(int argc, char** argv) {
  // --threads=N, --new-tokens=N and --layer-decay=X are ours; the rest goes to Google
  // Benchmark.
  int threads = 2;
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind("--threads=", 0) == 0) {
      threads = std::stoi(arg.substr(10));
    } else if (arg.rfind("--new-tokens=", 0) == 0) {
      g_new_tokens = std::stoi(arg.substr(13));
    } else if (arg.rfind("--layer-decay=", 0) == 0) {
      g_layer_decay = std::stod(arg.substr(14));
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
