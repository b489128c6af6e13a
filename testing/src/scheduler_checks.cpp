#include "specrouter/conformance/scheduler_checks.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "make_component.h"
#include "specrouter/error.h"
#include "specrouter/scheduler.h"
#include "specrouter/scheduling/chain_cost.h"
#include "specrouter/scheduling/performance_estimates.h"

namespace specrouter::conformance {
namespace {

// A pool of `size` models as a scheduler sees it: "m0", ..., "target".
std::vector<PoolMember> pool_of(int size) {
  std::vector<PoolMember> pool;
  for (int i = 0; i + 1 < size; ++i) pool.push_back({"m" + std::to_string(i)});
  pool.push_back({"target"});
  return pool;
}

TestModels models_of(const std::vector<PoolMember>& pool) {
  TestModels models;
  for (const PoolMember& model : pool) models.pool_names.push_back(model.name);
  return models;
}

// Each model 4x the cost of the one below (the target 20 ms a pass at batch 1), the
// closer two models the more their tokens agree: what a real pool looks like.
std::vector<ForwardCost> realistic_costs(int size) {
  std::vector<ForwardCost> costs;
  for (int i = 0; i < size; ++i) {
    const double scale = std::pow(4.0, i - (size - 1));
    costs.push_back({20e-3 * scale, 1e-3 * scale, 1e-7 * scale, 1e-9 * scale, 2e-3 * scale});
  }
  return costs;
}

std::vector<std::vector<double>> acceptance_matrix(int size, double (*rate)(int drafter, int verifier)) {
  std::vector<std::vector<double>> acceptance(size, std::vector<double>(size, 0.0));
  for (int i = 0; i < size; ++i) {
    for (int j = i + 1; j < size; ++j) acceptance[i][j] = rate(i, j);
  }
  return acceptance;
}

double realistic_rate(int drafter, int verifier) { return std::max(0.2, 0.9 - 0.15 * (verifier - drafter - 1)); }
double never(int, int) { return 0.0; }
double always(int, int) { return 1.0; }

FrozenEstimates realistic_estimates(int size) {
  return FrozenEstimates(realistic_costs(size), acceptance_matrix(size, realistic_rate));
}

// Drafting cannot pay: nothing drafted is accepted and every model costs what the target does.
FrozenEstimates hopeless_estimates(int size) {
  return FrozenEstimates(std::vector<ForwardCost>(static_cast<std::size_t>(size), realistic_costs(1)[0]),
                         acceptance_matrix(size, never));
}

// What plan() is given: realistic, absent and degenerate estimates.
struct EstimatesCase {
  std::string name;
  std::optional<FrozenEstimates> estimates;  // empty: nothing measured (nullptr)
};

std::vector<EstimatesCase> estimates_cases(int size) {
  std::vector<EstimatesCase> cases;
  cases.push_back({"no estimates", std::nullopt});
  cases.push_back({"realistic estimates", realistic_estimates(size)});
  cases.push_back({"nothing ever accepted", FrozenEstimates(realistic_costs(size), acceptance_matrix(size, never))});
  cases.push_back({"everything accepted", FrozenEstimates(realistic_costs(size), acceptance_matrix(size, always))});
  cases.push_back({"every model free",
                   FrozenEstimates(std::vector<ForwardCost>(static_cast<std::size_t>(size)), acceptance_matrix(size, realistic_rate))});
  cases.push_back({"drafters as slow as the target", hopeless_estimates(size)});
  std::vector<std::vector<AcceptanceBelief>> beliefs(size, std::vector<AcceptanceBelief>(size, {1.0, 1.0}));
  cases.push_back({"uniform Beta beliefs", FrozenEstimates::with_beliefs(realistic_costs(size), beliefs)});
  return cases;
}

// What a step of `plan` achieves in a world that behaves as `world` predicts: the target's
// expected tokens per round for every sequence, in the round's predicted time.
StepOutcome predicted_outcome(const Plan& plan, const PerformanceEstimates& world, BatchShape batch) {
  const ChainPrediction prediction = predict_chain(plan, world, batch);
  const LevelPrediction& top = prediction.levels.back();
  StepOutcome outcome;
  outcome.plan = plan;
  outcome.batch_size = batch.batch_size;
  outcome.context_length = batch.context_length;
  outcome.committed_tokens =
      static_cast<std::int64_t>(std::max(1.0, std::round(top.expected_tokens_per_round))) * batch.batch_size;
  outcome.target_passes = 1;
  outcome.seconds = top.round_seconds;
  return outcome;
}

// plan() for `context`, with a gtest failure (saying where) instead of an exception or an
// invalid plan; empty then.
std::optional<Plan> checked_plan(Scheduler& scheduler, const SchedulingContext& context, const std::string& where) {
  Plan plan;
  try {
    plan = scheduler.plan(context);
  } catch (const std::exception& error) {
    ADD_FAILURE() << where << ": plan() threw: " << error.what();
    return std::nullopt;
  }
  try {
    check_plan(plan, static_cast<int>(context.pool.size()));
  } catch (const UsageError& error) {
    ADD_FAILURE() << where << ": invalid plan " << plan_to_string(plan) << ": " << error.what();
    return std::nullopt;
  }
  return plan;
}

int clamped_pool_size(int wanted, const SchedulerCheckOptions& options) {
  return std::clamp(wanted, options.min_pool_size, options.max_pool_size);
}

}  // namespace

void expect_valid_plans(const Registries& registries, const Component& scheduler, const SchedulerCheckOptions& options) {
  ASSERT_GE(options.min_pool_size, 1);
  ASSERT_GE(options.max_pool_size, options.min_pool_size);
  for (int size = options.min_pool_size; size <= options.max_pool_size; ++size) {
    const std::vector<PoolMember> pool = pool_of(size);
    const std::shared_ptr<Scheduler> under_test = detail::make_component(registries.schedulers, scheduler, models_of(pool));
    const FrozenEstimates world = realistic_estimates(size);
    for (const EstimatesCase& estimates : estimates_cases(size)) {
      for (const int batch_size : {1, 4, 64}) {
        for (const double context_length : {0.0, 500.0, 4000.0}) {
          const std::string where = "scheduler '" + scheduler.name + "', pool of " + std::to_string(size) + ", " +
                                    estimates.name + ", batch " + std::to_string(batch_size) + ", context " +
                                    std::to_string(static_cast<int>(context_length));
          const SchedulingContext context{pool, batch_size, context_length,
                                          estimates.estimates ? &*estimates.estimates : nullptr};
          // A few steps each, so that schedulers that learn see their outcomes.
          for (int step = 0; step < 3; ++step) {
            const std::optional<Plan> plan = checked_plan(*under_test, context, where);
            if (!plan) break;
            under_test->observe(predicted_outcome(*plan, world, {batch_size, context_length}));
          }
        }
      }
    }
  }
}

void expect_target_only_reachable(const Registries& registries, const Component& scheduler,
                                  const SchedulerCheckOptions& options) {
  constexpr int kSteps = 200;
  const int size = clamped_pool_size(3, options);
  const std::vector<PoolMember> pool = pool_of(size);
  const std::shared_ptr<Scheduler> under_test = detail::make_component(registries.schedulers, scheduler, models_of(pool));
  const FrozenEstimates hopeless = hopeless_estimates(size);
  const BatchShape batch{64, 500};
  const SchedulingContext context{pool, batch.batch_size, batch.context_length, &hopeless};
  const std::string where = "scheduler '" + scheduler.name + "', pool of " + std::to_string(size) +
                            ", drafting cannot pay, batch 64";
  std::string plans_seen;
  for (int step = 0; step < kSteps; ++step) {
    const std::optional<Plan> plan = checked_plan(*under_test, context, where);
    if (!plan) return;
    if (plan->chain == std::vector<int>{size - 1}) return;
    if (step < 3) plans_seen += " " + plan_to_string(*plan) + ";";
    under_test->observe(predicted_outcome(*plan, hopeless, batch));
  }
  ADD_FAILURE() << where << ": no target-only plan in " << kSteps << " steps; the first plans were" << plans_seen;
}

void expect_plans_quickly(const Registries& registries, const Component& scheduler, const SchedulerCheckOptions& options) {
  constexpr int kWarmUpCalls = 5, kTimedCalls = 101;
  const int size = options.max_pool_size;
  const std::vector<PoolMember> pool = pool_of(size);
  const std::shared_ptr<Scheduler> under_test = detail::make_component(registries.schedulers, scheduler, models_of(pool));
  const FrozenEstimates estimates = realistic_estimates(size);
  const BatchShape batch{4, 500};
  const SchedulingContext context{pool, batch.batch_size, batch.context_length, &estimates};
  const std::string where = "scheduler '" + scheduler.name + "', pool of " + std::to_string(size);
  std::vector<double> seconds;
  for (int call = 0; call < kWarmUpCalls + kTimedCalls; ++call) {
    const auto start = std::chrono::steady_clock::now();
    const std::optional<Plan> plan = checked_plan(*under_test, context, where);
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
    if (!plan) return;
    if (call >= kWarmUpCalls) seconds.push_back(took.count());
    under_test->observe(predicted_outcome(*plan, estimates, batch));
  }
  // The median: one call descheduled on a loaded machine does not move it.
  std::nth_element(seconds.begin(), seconds.begin() + kTimedCalls / 2, seconds.end());
  const double median = seconds[kTimedCalls / 2];
  EXPECT_LE(median, options.max_median_plan_seconds) << where << ": the median plan() call took " << median * 1e3 << " ms";
}

void expect_scheduler_conforms(const Registries& registries, const Component& scheduler,
                               const SchedulerCheckOptions& options) {
  expect_valid_plans(registries, scheduler, options);
  expect_target_only_reachable(registries, scheduler, options);
  expect_plans_quickly(registries, scheduler, options);
}

}  // namespace specrouter::conformance
