// Predicted against measured time per committed token, on real (small, random-weight)
// transformer models: the profiler's cost fits and the chain formula together must
// predict what plans really take within the tolerance stated below.
//
// The pool is a self-speculative one: the target T (4 layers) and its first layer S as
// the draft, T's upper layers writing 0.15 times less into the residual stream so that S
// agrees with T at a rate speculation is studied at (scale_residual_writes). After a
// warm-up profile and a learning pass, each plan is decoded in rounds of timed steps,
// alternating plans so that drift of the machine hits all alike; before every round the
// prediction is taken from the estimates' snapshot at the round's context; the check is
// on the median ratio predicted / measured over the rounds.
//
// Times are wall times, so this test runs alone (RUN_SERIAL) on one compute thread; the
// tolerance, ±35%, is what the cost model's documented error on this machine (within
// ±30% per plan; docs/design/profiler_and_similarity.md, section 4) allows with room for
// a loaded CI machine. What it catches: a cost model whose form cannot represent real
// passes (before the multi-row term, target-only decoding was predicted 50-60% slow),
// a chain formula that composes levels wrongly, acceptance estimates that drift from
// what verification observes.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <random>
#include <vector>

#include <c10/core/InferenceMode.h>

#include "../decoding/decoding_test_util.h"
#include "specrouter/decoding/model_pool.h"
#include "specrouter/decoding/step_executor.h"
#include "specrouter/model/early_exit.h"
#include "specrouter/model/threads.h"
#include "specrouter/model/transformer_model.h"
#include "specrouter/scheduling/chain_cost.h"
#include "specrouter/scheduling/online_estimates.h"
#include "specrouter/scheduling/warm_up_profile.h"

namespace specrouter {
namespace {

using Clock = std::chrono::steady_clock;

constexpr double kTolerance = 0.35;
constexpr int kTargetLayers = 4;
constexpr int kRounds = 9;          // per plan, alternating
constexpr int kStepsPerRound = 24;  // timed steps of one sequence

ModelConfig target_config() {
  ModelConfig config = testing::variant_config("llama");
  config.vocab_size = 512;
  config.hidden_size = 256;
  config.intermediate_size = 688;
  config.num_hidden_layers = kTargetLayers;
  config.num_attention_heads = 4;
  config.num_key_value_heads = 2;
  config.head_dim = 64;
  config.max_position_embeddings = 512;
  config.layer_windows.assign(kTargetLayers, std::nullopt);
  return config;
}

std::vector<TokenId> random_prompt(std::uint64_t seed, std::int64_t vocab) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<TokenId> token(0, static_cast<TokenId>(vocab - 1));
  std::vector<TokenId> prompt(32);
  for (TokenId& t : prompt) t = token(rng);
  return prompt;
}

struct EarlyExitPool {
  std::vector<std::unique_ptr<TransformerModel>> models;  // S, T
  StateManager state;
  std::optional<ModelPool> pool;

  EarlyExitPool() {
    const ModelConfig config = target_config();
    TensorMapWeights target = random_weights(config, 11);
    scale_residual_writes(target, [](int layer) { return layer >= 1 ? 0.15 : 1.0; });
    models.push_back(TransformerModel::create(first_layers_config(config, 1), first_layers(target, 1)));
    models.push_back(TransformerModel::create(config, target));
    std::vector<PoolMember> members;
    const char* names[] = {"S", "T"};
    for (std::size_t i = 0; i < models.size(); ++i) {
      const KvModelId kv = models[i]->add_kv_cache(state, names[i], KvBudget::blocks(256), 16);
      members.push_back({names[i], models[i].get(), kv});
    }
    pool.emplace(std::move(members));
  }
};

// Predicted and measured seconds per committed token of `rounds` rounds of a plan.
struct PlanRecord {
  Plan plan;
  std::vector<double> ratios;  // predicted / measured, per round
};

// Runs one round: a fresh sequence, an untimed first step (its prefill), then timed steps;
// every step is observed by `estimates`. Returns predicted / measured.
double run_round(StepExecutor& executor, OnlineEstimates& estimates, const Plan& plan, std::uint64_t seed) {
  StateManager& state = executor.state();
  const SequenceId sequence = state.create_sequence(random_prompt(seed, 512));
  std::vector<SequencePlan> batch = {{sequence, plan, nullptr}};
  estimates.observe(executor.step(batch));
  const FrozenEstimates snapshot = estimates.snapshot();
  const double predicted =
      predict_time_per_token(plan, snapshot, {1, static_cast<double>(state.committed_length(sequence))});
  double seconds = 0;
  std::int64_t committed = 0;
  for (int s = 0; s < kStepsPerRound; ++s) {
    const auto started = Clock::now();
    const StepResult step = executor.step(batch);
    seconds += std::chrono::duration<double>(Clock::now() - started).count();
    committed += static_cast<std::int64_t>(step.sequences[0].committed.size());
    estimates.observe(step);
  }
  state.release({sequence});
  return predicted / (seconds / static_cast<double>(committed));
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

TEST(PredictionAccuracyTest, PredictedTimePerTokenMatchesMeasuredOnRealModels) {
  const int previous_threads = compute_threads();
  set_compute_threads(1);
  c10::InferenceMode guard;
  EarlyExitPool pool;
  StepExecutor executor(*pool.pool, pool.state, testing::token_verifier());
  OnlineEstimates estimates({"S", "T"});

  WarmUpGrid grid;
  grid.tokens_per_sequence = {1, 2, 3, 4, 5};
  grid.batch_sizes = {1};
  grid.context_lengths = {0, 64};
  grid.repeats = 3;
  warm_up_profile(estimates.profiler(), *pool.pool, pool.state, grid);

  std::vector<PlanRecord> plans = {{{{1}, {}}, {}}, {{{0, 1}, {2}}, {}}, {{{0, 1}, {4}}, {}}};
  std::uint64_t seed = 100;
  for (PlanRecord& record : plans) run_round(executor, estimates, record.plan, seed++);  // learning pass
  for (int round = 0; round < kRounds; ++round) {
    for (PlanRecord& record : plans) record.ratios.push_back(run_round(executor, estimates, record.plan, seed++));
  }
  set_compute_threads(previous_threads);

  for (const PlanRecord& record : plans) {
    const double ratio = median(record.ratios);
    std::printf("plan %s: predicted / measured, median of %d rounds: %.3f\n", plan_to_string(record.plan).c_str(),
                kRounds, ratio);
    EXPECT_GT(ratio, 1 - kTolerance) << plan_to_string(record.plan);
    EXPECT_LT(ratio, 1 + kTolerance) << plan_to_string(record.plan);
  }
}

}  // namespace
}  // namespace specrouter
