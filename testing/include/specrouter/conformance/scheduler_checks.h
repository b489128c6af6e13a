#pragma once

/// @file
/// @brief Conformance checks every scheduler passes: valid plans for any pool and any
/// estimates, plain decoding when speculation cannot pay, and a quick decision.
///
/// Call them from the scheduler's own GoogleTest:
///
/// @code
/// TEST(DpSchedulerConformance, PassesTheKit) {
///   specrouter::conformance::expect_scheduler_conforms(registries(), specrouter::conformance::named("dp"));
/// }
/// @endcode
///
/// Schedulers run no model: TestModels::pool_names is the pool being planned ("m0", ...,
/// "target"), so parameters naming pool models can follow it. What is checked and why:
/// docs/design/conformance_kit.md.

#include "specrouter/conformance/component.h"
#include "specrouter/plugin/registries.h"

namespace specrouter::conformance {

/// The pools and the time bound a scheduler is checked with.
struct SchedulerCheckOptions {
  int min_pool_size = 1;  ///< the smallest pool planned for (1: the target alone)
  int max_pool_size = 5;  ///< the largest
  /// Bound on the median seconds of one plan() call, over a pool of max_pool_size models.
  /// A sanity bound, generous enough for a loaded machine: a step of the smallest models
  /// this project runs takes milliseconds, and a scheduler slower than that would cost
  /// more than the speculation it plans saves.
  double max_median_plan_seconds = 0.01;
};

/// Every plan is valid (check_plan: a strictly increasing chain of pool indices ending at
/// the target, one draft length >= 1 per level below it, a valid drafter length) for every
/// pool size of `options`, batch sizes 1 to 64, context lengths 0 to 4,000 and estimates
/// absent, realistic and degenerate (nothing ever accepted, everything accepted, every
/// model free, drafters as slow as the target, Beta beliefs); between plans the scheduler
/// observes the outcomes the chain cost model predicts for them. A fresh scheduler is
/// created per pool, with `scheduler.params` for that pool.
void expect_valid_plans(const Registries& registries, const Component& scheduler,
                        const SchedulerCheckOptions& options = {});

/// Plain decoding (`[target]`) is planned at least once within 200 steps when speculation
/// cannot pay: nothing drafted is ever accepted and every drafter costs what the target
/// does, in the estimates given to plan() and in the outcomes observed, at batch size 64.
/// A scheduler that decodes plainly only when configured to (a fixed chain) is checked
/// with `scheduler.params` saying so.
void expect_target_only_reachable(const Registries& registries, const Component& scheduler,
                                  const SchedulerCheckOptions& options = {});

/// The median plan() call over a pool of max_pool_size models, with realistic estimates
/// and outcomes observed between calls, takes at most options.max_median_plan_seconds.
void expect_plans_quickly(const Registries& registries, const Component& scheduler,
                          const SchedulerCheckOptions& options = {});

/// All three scheduler checks: expect_valid_plans, expect_target_only_reachable and
/// expect_plans_quickly.
void expect_scheduler_conforms(const Registries& registries, const Component& scheduler,
                               const SchedulerCheckOptions& options = {});

}  // namespace specrouter::conformance
