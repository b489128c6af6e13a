#pragma once
// Pools of tiny random models for the step executor's tests: a random target and noisy
// copies of it as drafters, so that drafts are accepted often but not always.

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "../model/model_test_util.h"
#include "specrouter/decoding/model_pool.h"
#include "specrouter/decoding/step_executor.h"
#include "specrouter/plugin/registries.h"
#include "specrouter/conformance/chi_square.h"
#include "specrouter/conformance/step_invariants.h"

namespace specrouter::testing {

/// Models of one config, each its own KV cache in one StateManager, as a ModelPool.
struct TestPool {
  /// One model per entry of `relative_noise`, cheapest first: the target (last entry,
  /// which must be 0) has random weights (seed `seed`); every other model has the
  /// target's weights plus Gaussian noise of `relative_noise` times each tensor's
  /// standard deviation. `blocks` blocks of 4 positions per model. `drafter_context`
  /// (if > 0) limits the context of every model but the target.
  TestPool(const ModelConfig& config, const std::vector<double>& relative_noise, c10::ScalarType dtype,
           std::int64_t blocks = 2048, bool debug_checks = true, std::uint64_t seed = 7,
           std::int64_t drafter_context = 0);

  std::vector<std::unique_ptr<TransformerModel>> models;  ///< pool order, target last
  StateManager state;                                      ///< every model's KV cache
  std::optional<ModelPool> pool;                           ///< names "m0", "m1", ..., the target "target"

  /// The target.
  TransformerModel& target() { return *models.back(); }
};

/// The plugins the tests use, linked statically: verifiers token and tree, drafters
/// ngram, ngram_lm and model.
Registries& test_registries();
/// A verifier from test_registries() with its default parameters.
std::shared_ptr<Verifier> make_verifier(const std::string& name);
/// The token verifier.
std::shared_ptr<Verifier> token_verifier();
/// A drafter from test_registries() with `overrides` of its declared parameters.
std::shared_ptr<Drafter> make_drafter(const std::string& name, const std::map<std::string, ParamValue>& overrides = {});

/// A plan: chain of pool indices and draft lengths.
Plan plan_of(std::vector<int> chain, std::vector<int> draft_lengths);

// The kit's step invariants and chi-square test, for the executor's own tests too.
using conformance::chi_square_p_value;
using conformance::expect_step_statistics_add_up;
using conformance::expect_views_are_committed_prefixes;
using conformance::goodness_of_fit;

}  // namespace specrouter::testing
