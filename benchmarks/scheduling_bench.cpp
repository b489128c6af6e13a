// Cost of choosing a plan per step: the dynamic programme (O(n^2 K)) against predicting
// every plan ((K+1)^(n-1) without a depth limit), for pools of n models and draft lengths
// up to K. Claim checked: dp plans in microseconds at any realistic pool size, while
// enumeration grows exponentially with the chain length allowed.

#include <benchmark/benchmark.h>

#include <vector>

#include "specrouter/scheduling/performance_estimates.h"
#include "specrouter/scheduling/plan_search.h"

namespace {

// Costs growing 3x per model, rates falling with the gap between drafter and verifier
// (0.9 for neighbours, 0.45 two apart, ...).
specrouter::FrozenEstimates pool_of(int models) {
  std::vector<specrouter::ForwardCost> costs;
  double fixed = 1e-4;
  for (int model = 0; model < models; ++model, fixed *= 3) costs.push_back({fixed, fixed * 1e-2, fixed * 1e-5, 0});
  std::vector<std::vector<double>> acceptance(models, std::vector<double>(models, 0.0));
  for (int drafter = 0; drafter < models; ++drafter) {
    for (int verifier = drafter + 1; verifier < models; ++verifier) acceptance[drafter][verifier] = 0.9 / (verifier - drafter);
  }
  return specrouter::FrozenEstimates(costs, acceptance);
}

// Arguments: pool size, max draft length.
void BM_BestPlanDp(benchmark::State& state) {
  const specrouter::FrozenEstimates pool = pool_of(static_cast<int>(state.range(0)));
  const specrouter::PlanSearchLimits limits{static_cast<int>(state.range(1)), 0};
  for (auto _ : state) benchmark::DoNotOptimize(specrouter::best_plan_dp(pool, {8, 1024}, limits));
}
BENCHMARK(BM_BestPlanDp)->Args({2, 8})->Args({4, 8})->Args({6, 8})->Args({8, 8})->Args({16, 8})->Args({6, 16});

// Arguments: pool size, max draft length, max chain length (0 = whole pool).
void BM_BestPlanByEnumeration(benchmark::State& state) {
  const specrouter::FrozenEstimates pool = pool_of(static_cast<int>(state.range(0)));
  const specrouter::PlanSearchLimits limits{static_cast<int>(state.range(1)), static_cast<int>(state.range(2))};
  for (auto _ : state) benchmark::DoNotOptimize(specrouter::best_plan_by_enumeration(pool, {8, 1024}, limits));
  state.counters["plans"] = static_cast<double>(specrouter::count_plans(static_cast<int>(state.range(0)), limits));
}
BENCHMARK(BM_BestPlanByEnumeration)
    ->Args({2, 8, 0})
    ->Args({4, 8, 0})
    ->Args({6, 8, 3})
    ->Args({6, 8, 0})
    ->Args({8, 8, 3});

}  // namespace

BENCHMARK_MAIN();
