// How well the chain cost model, fed by the online estimates, predicts the time per
// committed token of real speculative decoding: a pool of three random float32 models
// sharing a vocabulary (the target and two layer-truncated copies of it as drafters),
// profiled by warm_up_profile(), then decoded greedily by the step executor with several
// plans at batch 1 and 4 while OnlineEstimates learns from every step. For each plan it
// prints predict_time_per_token() with the estimates learned so far against the measured
// wall time of the decoding steps per committed token, and each pair's estimated against
// observed acceptance. A plain program (one pass, one summary) rather than Google
// Benchmark fixtures: the quantity measured is a whole decoding run, not a repeated call.
//
//   build/bin/prediction_bench [--steps N] [--threads N] [--refinement R] [--forgetting L]
//
// --steps: timed steps per sequence group (default 32); --threads: compute threads
// (default 1); --refinement: scale of the target's layers above the first (default 0.15,
// see make_target_weights()); --forgetting: the profiler's forgetting factor λ (default
// ForwardProfilerOptions' 0.98).
//
// Columns: "predicted, observed α" is the prediction with the run's own observed
// acceptance in place of the estimate (what is left is forward-cost error); "passes:
// predicted / measured" is the sum of the run's forward passes as the snapshot predicts
// them, shape by shape, over their measured sum (the profiler's error alone); "forward
// share" is the part of the steps' wall time spent inside pool-model forward passes.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <c10/core/InferenceMode.h>

#include "specrouter/decoding/model_pool.h"
#include "specrouter/decoding/step_executor.h"
#include "specrouter/kernels/paged_attention.h"
#include "specrouter/model/early_exit.h"
#include "specrouter/model/threads.h"
#include "specrouter/model/transformer_model.h"
#include "specrouter/model/weights.h"
#include "specrouter/plugin/params.h"
#include "specrouter/plugin/registries.h"
#include "specrouter/scheduling/chain_cost.h"
#include "specrouter/scheduling/online_estimates.h"
#include "specrouter/scheduling/warm_up_profile.h"

// Defined by SPECROUTER_PLUGIN in kernels/cpu/paged_attention/register.cpp and the token
// verifier's plugin source (linked statically).
void specrouter_register_kernels_cpu_attention(specrouter::PluginRegistrar& registrar);
void specrouter_register_token_verifier(specrouter::PluginRegistrar& registrar);

namespace {

using namespace specrouter;
using Clock = std::chrono::steady_clock;

constexpr int kPrompts = 4;
constexpr int kPromptLength = 48;
constexpr int kTargetLayers = 8;
constexpr int kMiddleLayers = 2;
constexpr int kSmallLayers = 1;

Registries& plugins() {
  static Registries registries = [] {
    PluginRegistrar registrar;
    specrouter_register_kernels_cpu_attention(registrar);
    specrouter_register_token_verifier(registrar);
    Registries made;
    registrar.commit(made);
    return made;
  }();
  return registries;
}

// Llama proportions (GQA 2:1, MLP ~2.7x); 8 layers of width 512 and a vocabulary of 1024
// make a target of ~24M parameters.
ModelConfig config_with_layers(int layers) {
  ModelConfig config;
  config.architecture = Architecture::kLlama;
  config.vocab_size = 1024;
  config.hidden_size = 512;
  config.intermediate_size = 1376;
  config.num_hidden_layers = layers;
  config.num_attention_heads = 8;
  config.num_key_value_heads = 4;
  config.head_dim = 64;
  config.max_position_embeddings = 512;
  config.layer_windows.assign(static_cast<std::size_t>(layers), std::nullopt);
  return config;
}

// Random target weights whose layers above the first write `refinement` times less into
// the residual stream, so truncated copies agree with it often (scale_residual_writes).
TensorMapWeights make_target_weights(const ModelConfig& config, double refinement) {
  TensorMapWeights weights = random_weights(config, 11);
  scale_residual_writes(weights, [&](int layer) { return layer >= 1 ? refinement : 1.0; });
  return weights;
}

struct BenchPool {
  std::vector<std::unique_ptr<TransformerModel>> models;  // S, M, T
  StateManager state;
  std::optional<ModelPool> pool;
};

void build_pool(BenchPool& bench, double refinement) {
  const TensorMapWeights target = make_target_weights(config_with_layers(kTargetLayers), refinement);
  ModelOptions options;
  options.attention = make_paged_attention(plugins().kernels, "paged_attention/cpu");
  const std::pair<const char*, int> members[] = {{"S", kSmallLayers}, {"M", kMiddleLayers}, {"T", kTargetLayers}};
  std::vector<PoolMember> pool_members;
  for (const auto& [name, layers] : members) {
    bench.models.push_back(TransformerModel::create(config_with_layers(layers), first_layers(target, layers), options));
    const KvModelId kv = bench.models.back()->add_kv_cache(bench.state, name, KvBudget::blocks(256), /*block_size=*/16);
    pool_members.push_back({name, bench.models.back().get(), kv});
  }
  bench.pool.emplace(std::move(pool_members));
}

// Accepted tokens and rejections per (drafter, verifier) pair, as SimilarityTracker
// counts them for α̂ (without decay).
struct PairCounts {
  double accepted = 0;
  double rejections = 0;
  double rate() const { return accepted + rejections > 0 ? accepted / (accepted + rejections) : std::nan(""); }
};

struct RunResult {
  double wall_seconds = 0;         // the timed steps, wall clock
  double forward_seconds = 0;      // of which inside pool-model forward passes (ModelCall)
  double predicted_forward_seconds = 0;  // those passes as `before` predicts them, shape by shape
  double tokens_per_sequence = 0;  // committed by the timed steps, mean over the batch, summed over groups
  double mean_context = 0;         // committed positions per sequence before a timed step, mean
  std::map<std::pair<int, int>, PairCounts> pairs;
};

// Decodes `prompts` with `plan` in groups of `batch_size`: per group, one untimed first
// step (it prefills the prompts), then `steps` timed steps with the batch unchanged.
// Every step is observed by `estimates`, outside the timing.
// `before` (if given) predicts each timed forward pass from its own shape.
RunResult run_plan(StepExecutor& executor, OnlineEstimates& estimates, const Plan& plan, int batch_size,
                   const std::vector<std::vector<TokenId>>& prompts, int steps, const FrozenEstimates* before = nullptr) {
  StateManager& state = executor.state();
  RunResult result;
  double context_sum = 0;
  int context_count = 0;
  for (std::size_t first = 0; first < prompts.size(); first += static_cast<std::size_t>(batch_size)) {
    std::vector<SequencePlan> batch;
    for (std::size_t i = first; i < first + static_cast<std::size_t>(batch_size); ++i) {
      batch.push_back({state.create_sequence(prompts[i]), plan, nullptr});
    }
    estimates.observe(executor.step(batch));
    for (int s = 0; s < steps; ++s) {
      for (const SequencePlan& entry : batch) {
        context_sum += static_cast<double>(state.committed_length(entry.sequence));
        ++context_count;
      }
      const auto started = Clock::now();
      const StepResult step = executor.step(batch);
      result.wall_seconds += std::chrono::duration<double>(Clock::now() - started).count();
      for (const ModelCall& call : step.calls) {
        if (call.pool_index == kDrafterCall) continue;
        result.forward_seconds += call.seconds;
        if (before != nullptr) {
          const ForwardShape shape = shape_of(call);
          result.predicted_forward_seconds +=
              before->forward_seconds(call.pool_index, shape.tokens_per_sequence, shape.batch_size, shape.context_length);
        }
      }
      for (const SequenceStepResult& sequence : step.sequences) {
        result.tokens_per_sequence += static_cast<double>(sequence.committed.size()) / batch_size;
        for (std::size_t level = 1; level < sequence.levels.size(); ++level) {
          PairCounts& counts = result.pairs[{sequence.levels[level - 1].pool_index, sequence.levels[level].pool_index}];
          counts.accepted += sequence.levels[level].accepted;
          counts.rejections += sequence.levels[level].recovered;
        }
      }
      estimates.observe(step);
    }
    std::vector<SequenceId> made;
    for (const SequencePlan& entry : batch) made.push_back(entry.sequence);
    state.release(made);
  }
  result.mean_context = context_sum / context_count;
  return result;
}

std::vector<std::vector<TokenId>> random_prompts(std::uint64_t seed, std::int64_t vocab) {
  std::mt19937_64 rng(seed);
  std::vector<std::vector<TokenId>> prompts(kPrompts);
  for (auto& prompt : prompts) {
    for (int i = 0; i < kPromptLength; ++i) prompt.push_back(static_cast<TokenId>(rng() % static_cast<std::uint64_t>(vocab)));
  }
  return prompts;
}

// `snapshot` with the acceptance of the pairs in `observed` replaced by the observed rate.
FrozenEstimates with_observed_acceptance(const FrozenEstimates& snapshot,
                                         const std::map<std::pair<int, int>, PairCounts>& observed) {
  const int n = snapshot.pool_size();
  std::vector<ForwardCost> costs;
  std::vector<std::vector<double>> acceptance(static_cast<std::size_t>(n), std::vector<double>(static_cast<std::size_t>(n), 0.0));
  for (int i = 0; i < n; ++i) {
    costs.push_back(snapshot.cost(i));
    for (int j = i + 1; j < n; ++j) acceptance[i][j] = snapshot.acceptance_rate(i, j);
  }
  for (const auto& [pair, counts] : observed) {
    if (!std::isnan(counts.rate())) acceptance[pair.first][pair.second] = counts.rate();
  }
  return FrozenEstimates(std::move(costs), std::move(acceptance));
}

const char* source_name(AcceptanceSource source) {
  switch (source) {
    case AcceptanceSource::kSimilarity: return "sim";
    case AcceptanceSource::kObserved: return "obs";
    case AcceptanceSource::kNeighbour: return "nbr";
    case AcceptanceSource::kDefault: return "dflt";
  }
  return "?";
}

int int_flag(int argc, char** argv, const std::string& flag, int fallback) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (argv[i] == flag) return std::atoi(argv[i + 1]);
  }
  return fallback;
}

double double_flag(int argc, char** argv, const std::string& flag, double fallback) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (argv[i] == flag) return std::atof(argv[i + 1]);
  }
  return fallback;
}

}  // namespace

int main(int argc, char** argv) {
  const int steps = int_flag(argc, argv, "--steps", 32);
  const int threads = int_flag(argc, argv, "--threads", 1);
  const double refinement = double_flag(argc, argv, "--refinement", 0.15);
  OnlineEstimatesOptions estimates_options;
  estimates_options.profiler.forgetting_factor =
      double_flag(argc, argv, "--forgetting", estimates_options.profiler.forgetting_factor);
  set_compute_threads(threads);
  c10::InferenceMode guard;
  const auto bench_started = Clock::now();

  BenchPool bench;
  build_pool(bench, refinement);
  const char* names[] = {"S", "M", "T"};
  std::printf("pool (float32, %d thread(s), refinement %.2f, forgetting %.3f):", threads, refinement,
              estimates_options.profiler.forgetting_factor);
  for (int m = 0; m < 3; ++m) {
    std::printf(" %s %d layers %.1fM params;", names[m], static_cast<int>(bench.models[m]->config().num_hidden_layers),
                static_cast<double>(bench.models[m]->config().parameter_count()) / 1e6);
  }
  std::printf("\n");

  OnlineEstimates estimates({"S", "M", "T"}, estimates_options);
  WarmUpGrid grid;
  grid.tokens_per_sequence = {1, 2, 3, 4, 5};
  grid.batch_sizes = {1, 2, 4};
  grid.context_lengths = {0, 64, 160};
  grid.repeats = 3;
  const auto warm_started = Clock::now();
  const int fed = warm_up_profile(estimates.profiler(), *bench.pool, bench.state, grid);
  std::printf("warm-up: %d passes in %.1f s\n", fed,
              std::chrono::duration<double>(Clock::now() - warm_started).count());
  for (int m = 0; m < 3; ++m) {
    const ForwardCost cost = estimates.profiler().cost(m);
    std::printf("  %s: fixed %.3f ms, multi-row %.3f ms, per token %.1f us, per context position %.3f us, per attended "
                "pair %.4f us; pass(t=1,b=1,L=64) %.2f ms, pass(t=5,b=4,L=64) %.2f ms\n",
                names[m], cost.fixed_seconds * 1e3, cost.multi_row_seconds * 1e3, cost.seconds_per_token * 1e6,
                cost.seconds_per_context_position * 1e6, cost.seconds_per_attended_pair * 1e6,
                cost.seconds(1, 1, 64) * 1e3, cost.seconds(5, 4, 64) * 1e3);
  }

  Registries& registries = plugins();
  std::shared_ptr<Verifier> verifier = registries.verifiers.create(
      "token", Params::from_specs("verifier 'token'", registries.verifiers.at("token").info.params));
  StepExecutor executor(*bench.pool, bench.state, verifier);

  struct NamedPlan {
    std::string name;
    Plan plan;
  };
  const std::vector<NamedPlan> plans = {
      {"[T]", {{2}, {}}},
      {"[S,T] k=2", {{0, 2}, {2}}},
      {"[S,T] k=4", {{0, 2}, {4}}},
      {"[M,T] k=3", {{1, 2}, {3}}},
      {"[S,M,T] k=2,3", {{0, 1, 2}, {2, 3}}},
  };
  const int batch_sizes[] = {1, 4};

  // Pass 1 learns (every plan and batch once, other prompts); pass 2 predicts each run
  // with the snapshot taken just before it, then measures it (still learning).
  const auto learning_prompts = random_prompts(1, bench.pool->vocab_size());
  for (const NamedPlan& named : plans) {
    for (int batch : batch_sizes) run_plan(executor, estimates, named.plan, batch, learning_prompts, steps);
  }
  std::printf("learning pass done after %.1f s\n\n", std::chrono::duration<double>(Clock::now() - bench_started).count());

  const auto prompts = random_prompts(2, bench.pool->vocab_size());
  std::printf("| plan | batch | tokens/step | acceptance est. (source) / observed | predicted ms/token | "
              "predicted, observed α | measured ms/token | error | error, observed α | passes: predicted / measured | forward share |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|---|---|\n");
  for (const NamedPlan& named : plans) {
    for (int batch : batch_sizes) {
      const FrozenEstimates before = estimates.snapshot();
      std::map<std::pair<int, int>, AcceptancePrediction> estimated;
      for (std::size_t level = 1; level < named.plan.chain.size(); ++level) {
        const int drafter = named.plan.chain[level - 1], verifier_model = named.plan.chain[level];
        estimated[{drafter, verifier_model}] = estimates.similarity().predicted_acceptance(drafter, verifier_model);
      }
      const RunResult run = run_plan(executor, estimates, named.plan, batch, prompts, steps, &before);
      const BatchShape shape{batch, run.mean_context};
      const double predicted = predict_time_per_token(named.plan, before, shape);
      const double predicted_observed_alpha =
          predict_time_per_token(named.plan, with_observed_acceptance(before, run.pairs), shape);
      const double measured = run.wall_seconds / run.tokens_per_sequence;
      std::string acceptance;
      for (const auto& [pair, prediction] : estimated) {
        char cell[96];
        std::snprintf(cell, sizeof cell, "%s%s→%s %.2f (%s) / %.2f", acceptance.empty() ? "" : "; ", names[pair.first],
                      names[pair.second], prediction.rate, source_name(prediction.source), run.pairs.at(pair).rate());
        acceptance += cell;
      }
      if (acceptance.empty()) acceptance = "–";
      const double groups = static_cast<double>(kPrompts / batch);
      std::printf("| %s | %d | %.2f | %s | %.2f | %.2f | %.2f | %+.0f%% | %+.0f%% | %.2f | %.0f%% |\n", named.name.c_str(), batch,
                  run.tokens_per_sequence / (groups * steps), acceptance.c_str(), predicted * 1e3,
                  predicted_observed_alpha * 1e3, measured * 1e3, 100 * (predicted - measured) / measured,
                  100 * (predicted_observed_alpha - measured) / measured,
                  run.predicted_forward_seconds / run.forward_seconds, 100 * run.forward_seconds / run.wall_seconds);
    }
  }
  std::printf("\ntotal %.1f s\n", std::chrono::duration<double>(Clock::now() - bench_started).count());
  return 0;
}
