#include "decoding_test_util.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <random>

#include <ATen/ops/empty.h>
#include <ATen/ops/std.h>

#include "specrouter/model/threads.h"
#include "specrouter/model/weights.h"

// Defined by SPECROUTER_PLUGIN in the plugins' sources (linked statically).
void specrouter_register_token_verifier(specrouter::PluginRegistrar& registrar);
void specrouter_register_tree_verifier(specrouter::PluginRegistrar& registrar);
void specrouter_register_ngram_drafter(specrouter::PluginRegistrar& registrar);
void specrouter_register_ngram_lm_drafter(specrouter::PluginRegistrar& registrar);
void specrouter_register_model_drafter(specrouter::PluginRegistrar& registrar);

namespace specrouter::testing {
namespace {

// The models are tiny: one thread computes them faster than two that spin-wait for each
// other on a busy machine (OpenMP), and the figures do not depend on the thread count.
struct SingleThreaded : ::testing::Environment {
  void SetUp() override { set_compute_threads(1); }
};
[[maybe_unused]] const ::testing::Environment* const kSingleThreaded =
    ::testing::AddGlobalTestEnvironment(new SingleThreaded);

// `base` plus Gaussian noise of `relative` times each tensor's standard deviation.
TensorMapWeights noisy_copy(const TensorMapWeights& base, double relative, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::map<std::string, at::Tensor> tensors;
  for (const auto& [name, tensor] : base.tensors()) {
    at::Tensor copy = tensor.to(at::kFloat).contiguous().clone();
    const double scale = copy.numel() > 1 ? relative * at::std(copy).item<double>() : relative;
    float* data = copy.data_ptr<float>();
    for (std::int64_t i = 0; i < copy.numel(); ++i) data[i] += static_cast<float>(scale) * normal(rng);
    tensors.emplace(name, copy);
  }
  return TensorMapWeights(std::move(tensors), "noisy copy");
}

}  // namespace

TestPool::TestPool(const ModelConfig& config, const std::vector<double>& relative_noise, c10::ScalarType dtype,
                   std::int64_t blocks, bool debug_checks, std::uint64_t seed, std::int64_t drafter_context)
    : state(StateManagerOptions{.debug_checks = debug_checks}) {
  const TensorMapWeights target_weights = random_weights(config, seed);
  ModelOptions options;
  options.dtype = dtype;
  options.attention = cpu_plugin_attention("cpu");
  std::vector<PoolMember> members;
  for (std::size_t i = 0; i < relative_noise.size(); ++i) {
    const bool is_target = i + 1 == relative_noise.size();
    const std::string name = is_target ? "target" : "m" + std::to_string(i);
    options.max_context = is_target ? 0 : drafter_context;
    models.push_back(relative_noise[i] == 0.0
                         ? TransformerModel::create(config, target_weights, options)
                         : TransformerModel::create(config, noisy_copy(target_weights, relative_noise[i], seed + 100 + i),
                                                    options));
    const KvModelId kv = models.back()->add_kv_cache(state, name, KvBudget::blocks(blocks), /*block_size=*/4);
    members.push_back({name, models.back().get(), kv});
  }
  pool.emplace(std::move(members));
}

Registries& test_registries() {
  static Registries registries = [] {
    PluginRegistrar registrar;
    specrouter_register_token_verifier(registrar);
    specrouter_register_tree_verifier(registrar);
    specrouter_register_ngram_drafter(registrar);
    specrouter_register_ngram_lm_drafter(registrar);
    specrouter_register_model_drafter(registrar);
    Registries made;
    registrar.commit(made);
    return made;
  }();
  return registries;
}

std::shared_ptr<Verifier> make_verifier(const std::string& name) {
  Registries& registries = test_registries();
  return registries.verifiers.create(
      name, Params::from_specs("verifier '" + name + "'", registries.verifiers.at(name).info.params));
}

std::shared_ptr<Verifier> token_verifier() { return make_verifier("token"); }

std::shared_ptr<Drafter> make_drafter(const std::string& name, const std::map<std::string, ParamValue>& overrides) {
  Registries& registries = test_registries();
  return registries.drafters.create(
      name, Params::from_specs("drafter '" + name + "'", registries.drafters.at(name).info.params, overrides));
}

Plan plan_of(std::vector<int> chain, std::vector<int> draft_lengths) { return {std::move(chain), std::move(draft_lengths)}; }

void expect_views_are_committed_prefixes(const StateManager& state) {
  for (SequenceId sequence : state.sequences()) {
    const std::span<const TokenId> committed = state.committed_tokens(sequence);
    for (KvModelId model = 0; model < state.num_models(); ++model) {
      const std::vector<TokenId> view = state.kv_tokens(model, sequence);
      ASSERT_LE(view.size(), committed.size()) << "model " << model << ", sequence " << sequence;
      for (std::size_t p = 0; p < view.size(); ++p) {
        ASSERT_EQ(view[p], committed[p]) << "model " << model << ", sequence " << sequence << ", position " << p;
      }
    }
  }
}

void expect_step_stats_are_sane(const StepResult& step, std::span<const SequencePlan> batch, bool has_drafter) {
  ASSERT_EQ(step.sequences.size(), batch.size());
  for (std::size_t b = 0; b < batch.size(); ++b) {
    const SequenceStepResult& result = step.sequences[b];
    const Plan& plan = batch[b].plan;
    EXPECT_EQ(result.sequence, batch[b].sequence);
    ASSERT_EQ(result.levels.size(), plan.chain.size());
    for (std::size_t level = 0; level < plan.chain.size(); ++level) {
      const LevelStats& stats = result.levels[level];
      EXPECT_EQ(stats.pool_index, plan.chain[level]);
      // A level asked for one token only runs no round below it (it decodes that token alone).
      EXPECT_GE(stats.rounds, level + 1 == plan.chain.size() ? 1 : 0) << "level " << level;
      EXPECT_LE(stats.accepted, stats.drafted) << "level " << level;
      EXPECT_EQ(stats.produced, stats.accepted + stats.rounds) << "level " << level;
      EXPECT_EQ(stats.recovered + stats.bonus, stats.rounds) << "level " << level;
      // Per draft position: rounds reaching a depth never grow with it, acceptances sum up.
      ASSERT_EQ(stats.drafted_at.size(), stats.accepted_at.size()) << "level " << level;
      int drafted_at_sum = 0, accepted_at_sum = 0;
      for (std::size_t i = 0; i < stats.drafted_at.size(); ++i) {
        EXPECT_LE(stats.accepted_at[i], stats.drafted_at[i]) << "level " << level << ", position " << i;
        if (i > 0) EXPECT_LE(stats.drafted_at[i], stats.drafted_at[i - 1]) << "level " << level << ", position " << i;
        drafted_at_sum += stats.drafted_at[i];
        accepted_at_sum += stats.accepted_at[i];
      }
      EXPECT_EQ(accepted_at_sum, stats.accepted) << "level " << level;
      EXPECT_LE(drafted_at_sum, stats.drafted) << "level " << level << " (equal for chains, fewer for trees)";
      EXPECT_LE(stats.tv_positions, stats.drafted) << "level " << level;
      EXPECT_GE(stats.tv_distance_sum, 0.0) << "level " << level;
      EXPECT_LE(stats.tv_distance_sum, stats.tv_positions + 1e-6) << "level " << level;
      if (level + 1 < plan.chain.size()) {
        EXPECT_EQ(stats.produced, result.levels[level + 1].drafted) << "level " << level << " passes up exactly what is verified";
        EXPECT_LE(result.levels[level + 1].drafted, result.levels[level + 1].rounds * plan.draft_lengths[level])
            << "level " << level;
      }
    }
    if (!has_drafter) EXPECT_EQ(result.levels[0].drafted, 0);
    EXPECT_EQ(result.levels.back().rounds, 1);
    EXPECT_EQ(static_cast<int>(result.committed.size()), result.levels.back().produced);
  }
}

double chi_square_p_value(double statistic, int df) {
  if (df <= 0) return 1.0;
  // Q(df/2, statistic/2) from Q(1, y) = e^-y or Q(1/2, y) = erfc(sqrt y) and
  // Q(a + 1, y) = Q(a, y) + y^a e^-y / Gamma(a + 1).
  const double y = statistic / 2;
  double a = df % 2 == 0 ? 1.0 : 0.5;
  double tail = df % 2 == 0 ? std::exp(-y) : std::erfc(std::sqrt(y));
  for (; a < df / 2.0; a += 1) tail += std::exp(a * std::log(y) - y - std::lgamma(a + 1));
  return tail;
}

double goodness_of_fit(std::span<const std::int64_t> observed, std::span<const double> expected) {
  std::int64_t total = 0;
  for (std::int64_t n : observed) total += n;
  // Cells expecting fewer than 5 observations are pooled into one, as the test's
  // approximation requires.
  double statistic = 0;
  int cells = 0;
  double pooled_mean = 0;
  std::int64_t pooled_observed = 0;
  for (std::size_t v = 0; v < observed.size(); ++v) {
    if (expected[v] <= 0) {
      if (observed[v] > 0) return 0;  // an impossible outcome happened
      continue;
    }
    const double mean = static_cast<double>(total) * expected[v];
    if (mean < 5) {
      pooled_mean += mean;
      pooled_observed += observed[v];
      continue;
    }
    statistic += (observed[v] - mean) * (observed[v] - mean) / mean;
    ++cells;
  }
  if (pooled_mean > 0) {
    statistic += (pooled_observed - pooled_mean) * (pooled_observed - pooled_mean) / pooled_mean;
    ++cells;
  }
  return chi_square_p_value(statistic, cells - 1);
}

}  // namespace specrouter::testing
