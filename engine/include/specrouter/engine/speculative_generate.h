#pragma once

/// @file
/// @brief Speculative generation: prompts decoded together by the decoding loop
/// (decoding_loop.h) with one plan, or the plans a callback chooses step by step; the
/// speculative counterpart of generate(), and what `specrouter speculate` runs.

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "specrouter/decoding/step_executor.h"
#include "specrouter/model/generate.h"
#include "specrouter/scheduling/chain_cost.h"

namespace specrouter::engine {

/// What speculative generation does (the sampling params are the executor's).
struct SpeculativeGenerationOptions {
  std::int64_t max_new_tokens = 32;    ///< stop a sequence after this many new tokens
  std::uint64_t seed = 0;              ///< prompt i samples with make_sequence_rng(seed, i)
  std::vector<TokenId> eos_token_ids;  ///< a sequence stops after emitting one of these
  /// Called after every step with its result, while the step's sequences still exist in
  /// the executor's StateManager (for statistics and checks); may be empty.
  std::function<void(const StepOutcome&)> on_step;
  /// Called before every step with the shape of its batch (sequences still running, their
  /// mean committed length); the plan it returns replaces the `plan` argument for that
  /// step, so a scheduler can adapt step by step. Empty: `plan` throughout.
  std::function<Plan(const BatchShape&)> choose_plan;
};

/// Generates a continuation of every prompt by steps of `plan` (or of the plans
/// `options.choose_plan` returns), all prompts one batch of the decoding loop (prompt i
/// is request i: it samples with make_sequence_rng(seed, i)).
///
/// Each prompt becomes a sequence of the executor's StateManager (whose pools must have
/// room for every prompt plus max_new_tokens, plus the plan's longest draft), released
/// at the end. A step may commit tokens past an end-of-sequence token or past
/// max_new_tokens; the results are cut there, so with greedy decoding they equal
/// generate() on the target alone, token for token, and with plan `[target]` and the same
/// seed, sampled ones do too. A sequence stops with FinishReason::kContext once its next
/// token would not fit the target's context. Throws UsageError for an empty prompt or an
/// invalid plan (also one choose_plan returns), CapacityError for a prompt longer than the target's context.
std::vector<GenerationResult> speculative_generate(StepExecutor& executor,
                                                   std::span<const std::vector<TokenId>> prompts, const Plan& plan,
                                                   const SpeculativeGenerationOptions& options);

}  // namespace specrouter::engine
