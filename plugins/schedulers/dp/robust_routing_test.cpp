// Robust routing (docs/design/robust_routing.md), with the dp scheduler, the online
// estimates with acceptance beliefs, and a synthetic pool whose per-token acceptance of
// each pair is known:
//
// - a scheduler whose first probes are all rejected still reaches the best plan once
//   acceptance is good, within a stated number of steps (and, as the control that shows
//   the test can fail, the estimates without beliefs lock it out for good);
// - estimates seeded from priors equal to the truth, or from a saved profile, give the
//   oracle's plan from step 0.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "specrouter/plugin/registries.h"
#include "specrouter/scheduler.h"
#include "specrouter/scheduling/chain_cost.h"
#include "specrouter/scheduling/online_estimates.h"
#include "specrouter/scheduling/performance_estimates.h"
#include "specrouter/scheduling/plan_search.h"

// Defined by SPECROUTER_PLUGIN in dp_scheduler.cpp.
void specrouter_register_dp_scheduler(specrouter::PluginRegistrar& registrar);

namespace {

using specrouter::AcceptanceBeliefOptions;
using specrouter::ForwardCost;
using specrouter::FrozenEstimates;
using specrouter::LevelStats;
using specrouter::OnlineEstimates;
using specrouter::OnlineEstimatesOptions;
using specrouter::ParamValue;
using specrouter::Plan;
using specrouter::PoolMember;
using specrouter::Scheduler;
using specrouter::SchedulingContext;
using specrouter::StepResult;

const std::vector<PoolMember> kPool{{"small"}, {"medium"}, {"target"}};
const std::vector<std::string> kNames{"small", "medium", "target"};
// Per pass: small 1 ms, medium 5 ms + 1 ms per token, target 20 ms + 4 ms per token.
const std::vector<ForwardCost> kCosts{{1e-3, 0, 0, 0}, {5e-3, 1e-3, 0, 0}, {20e-3, 4e-3, 0, 0}};
constexpr double kContext = 64;

using Rates = std::vector<std::vector<double>>;  // [drafter][verifier]
const Rates kGoodAcceptance{{0, 0.8, 0.7}, {0, 0, 0.85}, {0, 0, 0}};
const Rates kAllRejected{{0, 0, 0}, {0, 0, 0}, {0, 0, 0}};

// The plan a scheduler that knew the truth would run.
Plan oracle_plan(const Rates& truth, int max_draft_length) {
  return specrouter::best_plan_dp(FrozenEstimates(kCosts, truth), {1, kContext}, {max_draft_length, 0}).plan;
}

// One step of `plan` on the synthetic pool: each level's round drafts its length and
// accepts each token with the pair's true rate until the first rejection.
StepResult synthetic_step(const Plan& plan, const Rates& truth, std::mt19937_64& rng) {
  std::bernoulli_distribution coin(0.5);
  specrouter::SequenceStepResult sequence;
  LevelStats bottom;
  bottom.pool_index = plan.chain.front();
  sequence.levels.push_back(bottom);
  for (std::size_t level = 1; level < plan.chain.size(); ++level) {
    const int drafter = plan.chain[level - 1];
    const int verifier = plan.chain[level];
    const int draft_length = plan.draft_lengths[level - 1];
    std::bernoulli_distribution accept(truth[drafter][verifier]);
    LevelStats record;
    record.pool_index = verifier;
    record.rounds = 1;
    record.drafted = draft_length;
    while (record.accepted < draft_length && accept(rng)) ++record.accepted;
    record.recovered = record.accepted < draft_length ? 1 : 0;
    record.bonus = 1 - record.recovered;
    record.produced = record.accepted + 1;
    sequence.levels.push_back(record);
  }
  sequence.committed.assign(static_cast<std::size_t>(sequence.levels.back().produced), 0);
  StepResult step;
  step.sequences.push_back(sequence);
  return step;
}

// Estimates whose forward costs are fitted from exact passes of every model (what a
// warm-up gives), with the beliefs of `beliefs`.
OnlineEstimates warmed_up(AcceptanceBeliefOptions beliefs) {
  OnlineEstimatesOptions options;
  options.beliefs = std::move(beliefs);
  // The pre-belief behaviour, for the control: an unobserved pair counts as 0.9.
  options.similarity.neighbour_prior = false;
  options.similarity.default_acceptance = 0.9;
  OnlineEstimates estimates(kNames, options);
  for (int model = 0; model < 3; ++model) {
    for (int tokens = 1; tokens <= 9; ++tokens) {
      for (double context : {0.0, kContext, 2 * kContext}) {
        estimates.profiler().observe(model, {tokens, 1, context}, kCosts[model].seconds(tokens, 1, context));
      }
    }
  }
  return estimates;
}

AcceptanceBeliefOptions beliefs_with_prior(double strength, const Rates& prior_means) {
  AcceptanceBeliefOptions beliefs;
  beliefs.prior_strength = strength;
  beliefs.prior_means = prior_means;
  beliefs.forgetting = 0.998;
  return beliefs;
}

// The zoo's kind of prior: every pair near 0.65, not the truth.
const Rates kRoughPrior{{0, 0.7, 0.65}, {0, 0, 0.7}, {0, 0, 0}};

class RobustRoutingTest : public ::testing::Test {
 protected:
  RobustRoutingTest() {
    specrouter::PluginRegistrar registrar;
    specrouter_register_dp_scheduler(registrar);
    registrar.commit(registries_);
  }

  std::shared_ptr<Scheduler> dp(const std::string& exploration, std::int64_t seed = 0) const {
    const auto& info = registries_.schedulers.at("dp").info;
    return registries_.schedulers.create(
        "dp", specrouter::Params::from_specs(
                  "scheduler 'dp'", info.params,
                  {{"exploration", ParamValue{exploration}}, {"seed", ParamValue{seed}},
                   {"max_draft_length", ParamValue{std::int64_t{kMaxDraft}}}}));
  }

  // Plans and observes `steps` steps of the synthetic pool; returns the plans run.
  static std::vector<Plan> run(Scheduler& scheduler, OnlineEstimates& estimates, const Rates& truth, int steps,
                               std::mt19937_64& rng) {
    std::vector<Plan> plans;
    for (int i = 0; i < steps; ++i) {
      const FrozenEstimates snapshot = estimates.snapshot();
      SchedulingContext context{kPool, 1, kContext};
      context.estimates = &snapshot;
      plans.push_back(scheduler.plan(context));
      estimates.observe(synthetic_step(plans.back(), truth, rng));
    }
    return plans;
  }

  static constexpr int kMaxDraft = 8;
  specrouter::Registries registries_;
};

// The true time per token of `plan` on the synthetic pool, over the oracle's.
double regret_ratio(const Plan& plan, const Rates& truth) {
  const FrozenEstimates world(kCosts, truth);
  const double best = specrouter::predict_time_per_token(oracle_plan(truth, 8), world, {1, kContext});
  return specrouter::predict_time_per_token(plan, world, {1, kContext}) / best;
}

// Steps after which, once acceptance turned good, the plans run must be near the
// oracle's: within 400 steps (measured: about 50), the next 100 steps' mean true time
// per token within 5% of the oracle's (measured: 0.3-2%), and never plain decoding.
constexpr int kRecoverySteps = 400;

TEST_F(RobustRoutingTest, RejectedFirstProbesDoNotLockTheSchedulerOut) {
  const Plan best = oracle_plan(kGoodAcceptance, kMaxDraft);
  ASSERT_GT(best.chain.size(), 1U) << "the constructed pool must reward speculation";
  ASSERT_GT(regret_ratio(Plan{{2}, {}}, kGoodAcceptance), 1.5) << "plain decoding must be far from the best";
  for (std::int64_t seed : {0, 1, 2}) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    OnlineEstimates estimates = warmed_up(beliefs_with_prior(16, kRoughPrior));
    const std::shared_ptr<Scheduler> scheduler = dp("thompson", seed);
    std::mt19937_64 rng(static_cast<std::uint64_t>(seed) + 100);
    // Every draft of the first 150 steps is rejected: the scheduler retreats to plain
    // decoding (a few rejections do not: against a 0.65 prior, one-token drafts still
    // pay), and keeps exploring: forgetting pulls unused pairs back toward their priors.
    const std::vector<Plan> rejected = run(*scheduler, estimates, kAllRejected, 150, rng);
    const auto plain_steps = std::count_if(rejected.end() - 50, rejected.end(),
                                           [](const Plan& plan) { return plan.chain.size() == 1; });
    EXPECT_GE(plain_steps, 30) << "rejections must make plain decoding the usual plan (measured: 33-37 of 50)";
    // Then acceptance is good: it must come back and settle near the best plan.
    const std::vector<Plan> plans = run(*scheduler, estimates, kGoodAcceptance, kRecoverySteps + 100, rng);
    int first_draft = -1;
    for (std::size_t i = 0; i < plans.size() && first_draft < 0; ++i) {
      if (plans[i].chain.size() > 1) first_draft = static_cast<int>(i);
    }
    EXPECT_GE(first_draft, 0);
    EXPECT_LT(first_draft, 100) << "it must draft again soon after acceptance turns good";
    double ratio_sum = 0;
    for (std::size_t i = kRecoverySteps; i < plans.size(); ++i) {
      EXPECT_GT(plans[i].chain.size(), 1U) << "step " << i;
      ratio_sum += regret_ratio(plans[i], kGoodAcceptance);
    }
    EXPECT_LT(ratio_sum / 100, 1.05) << "best plan " << specrouter::plan_to_string(best);
  }
}

TEST_F(RobustRoutingTest, WithoutBeliefsOneRejectedProbeLocksTheSchedulerOut) {
  // The control: the estimates before priors (acceptance = what was observed, 0.9 for a
  // pair never seen) with a scheduler that trusts them. After the first probes are
  // rejected it plans target-only and, since plain decoding yields no acceptance
  // evidence, never drafts again: the failure this design removes.
  OnlineEstimates estimates = warmed_up(AcceptanceBeliefOptions{});
  const std::shared_ptr<Scheduler> scheduler = dp("none");
  std::mt19937_64 rng(7);
  run(*scheduler, estimates, kAllRejected, 20, rng);
  const std::vector<Plan> plans = run(*scheduler, estimates, kGoodAcceptance, 200, rng);
  for (const Plan& plan : plans) EXPECT_EQ(plan.chain, std::vector<int>{2});
}

TEST_F(RobustRoutingTest, PriorsEqualToTheTruthGiveTheOraclePlanFromStepZero) {
  const Plan best = oracle_plan(kGoodAcceptance, kMaxDraft);
  OnlineEstimates estimates = warmed_up(beliefs_with_prior(16, kGoodAcceptance));
  const std::shared_ptr<Scheduler> scheduler = dp("none");
  const FrozenEstimates snapshot = estimates.snapshot();
  SchedulingContext context{kPool, 1, kContext};
  context.estimates = &snapshot;
  const Plan first = scheduler->plan(context);
  EXPECT_EQ(first.chain, best.chain);
  EXPECT_EQ(first.draft_lengths, best.draft_lengths);
}

TEST_F(RobustRoutingTest, AProfileOfARunGivesTheOraclePlanFromStepZeroWhileExploring) {
  // A run learns the pool, saves its profile; a new run loaded from it (learning on)
  // plans the oracle's plan from its first step, Thompson draws and all.
  const Plan best = oracle_plan(kGoodAcceptance, kMaxDraft);
  const std::filesystem::path path =
      std::filesystem::path(SPECROUTER_BINARY_DIR) / "robust_routing_test_profile.json";
  {
    OnlineEstimates estimates = warmed_up(beliefs_with_prior(16, kRoughPrior));
    std::mt19937_64 rng(3);
    // Evidence for every pair, from steps of the three chains that use them.
    const std::vector<Plan> probes{{{0, 2}, {4}}, {{1, 2}, {4}}, {{0, 1, 2}, {4, 4}}};
    for (int i = 0; i < 300; ++i) estimates.observe(synthetic_step(probes[i % 3], kGoodAcceptance, rng));
    estimates.save(path);
  }
  OnlineEstimates loaded = OnlineEstimates::load(path, kNames, /*frozen=*/false);
  ASSERT_TRUE(loaded.beliefs().enabled());
  // Thompson draws pick among plans of nearly equal time: the first plan of every seed is
  // within 3% of the oracle's time per token, and their mean within 1%.
  double ratio_sum = 0;
  for (std::int64_t seed = 0; seed < 100; ++seed) {
    const std::shared_ptr<Scheduler> scheduler = dp("thompson", seed);
    const FrozenEstimates snapshot = loaded.snapshot();
    SchedulingContext context{kPool, 1, kContext};
    context.estimates = &snapshot;
    const double ratio = regret_ratio(scheduler->plan(context), kGoodAcceptance);
    EXPECT_LT(ratio, 1.03) << "seed " << seed;
    ratio_sum += ratio;
  }
  EXPECT_LT(ratio_sum / 100, 1.01) << "oracle " << specrouter::plan_to_string(best);
}

}  // namespace
