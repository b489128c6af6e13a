#include "greedy_run.h"

#include <gtest/gtest.h>

#include <span>
#include <vector>

#include <c10/core/InferenceMode.h>

#include "specrouter/conformance/step_invariants.h"
#include "test_models.h"
#include "specrouter/decoding/step_executor.h"
#include "specrouter/engine/speculative_generate.h"
#include "specrouter/model/generate.h"

namespace specrouter::conformance::detail {
namespace {

constexpr std::int64_t kNewTokens = 24;

std::vector<std::vector<TokenId>> greedy_prompts() {
  // Ragged lengths; the second repeats itself, so drafters that look up the context find
  // matches.
  return {{3, 14, 15, 92, 65}, {5, 6, 7, 8, 9, 5, 6, 7, 8, 9, 5, 6, 7}, {11, 2, 71, 82, 81, 82, 84, 59, 4, 52, 35}};
}

const std::vector<GenerationResult>& target_only_tokens() {
  static const std::vector<GenerationResult> reference = [] {
    c10::InferenceMode inference;
    GenerationOptions options;
    options.max_new_tokens = kNewTokens;
    return generate(greedy_world().target(), greedy_prompts(), options);
  }();
  return reference;
}

// Greedy speculative decoding of `prompts` as one batch of the engine's decoding loop,
// kNewTokens each, checking the state and the statistics after every step.
std::vector<std::vector<TokenId>> decode(StepExecutor& executor, const GreedyCase& greedy_case,
                                         const std::vector<std::vector<TokenId>>& prompts,
                                         std::int64_t* drafted_to_bottom) {
  engine::SpeculativeGenerationOptions options;
  options.max_new_tokens = kNewTokens;
  options.on_step = [&](const StepOutcome& record) {
    const StepResult& step = *record.result;
    StateManager& state = executor.state();
    state.check_consistency();
    expect_views_are_committed_prefixes(state);
    std::vector<SequencePlan> batch;
    for (const SequenceStepResult& sequence : step.sequences) batch.push_back({sequence.sequence, greedy_case.plan, nullptr});
    // The invariants of the reference scheme's statistics; another scheme's shape is its own test's.
    if (!greedy_case.collaboration) expect_step_statistics_add_up(step, batch, greedy_case.drafter != nullptr);
    for (const SequenceStepResult& sequence : step.sequences) *drafted_to_bottom += sequence.levels.front().drafted;
  };
  std::vector<std::vector<TokenId>> generated;
  for (GenerationResult& result : engine::speculative_generate(executor, prompts, greedy_case.plan, options)) {
    generated.push_back(std::move(result.tokens));
  }
  return generated;
}

}  // namespace

Plan chain_of_levels(int levels) {
  if (levels == 1) return {{kTarget}, {}};
  if (levels == 2) return {{kMedium, kTarget}, {3}};
  return {{kSmall, kMedium, kTarget}, {2, 3}};
}

std::int64_t expect_greedy_case_lossless(const GreedyCase& greedy_case) {
  c10::InferenceMode inference;
  SingleThreadedCompute single_thread;
  ModelWorld& world = greedy_world();
  const std::vector<GenerationResult>& reference = target_only_tokens();
  StepExecutorOptions options;
  options.sampling = {.temperature = 0.0};
  options.drafter_length = greedy_case.drafter_length;
  options.collaboration = greedy_case.collaboration;
  StepExecutor executor(*world.pool, world.state, greedy_case.verifier, greedy_case.drafter, options);
  const std::vector<std::vector<TokenId>> prompts = greedy_prompts();
  std::int64_t drafted_to_bottom = 0;
  try {
    const std::vector<std::vector<TokenId>> batched = decode(executor, greedy_case, prompts, &drafted_to_bottom);
    for (std::size_t i = 0; i < prompts.size(); ++i) {
      EXPECT_EQ(batched[i], reference[i].tokens) << greedy_case.label << ": batched, prompt " << i;
    }
    for (std::size_t i = 0; i < 2; ++i) {
      const std::vector<std::vector<TokenId>> alone = decode(executor, greedy_case, {prompts[i]}, &drafted_to_bottom);
      EXPECT_EQ(alone.at(0), reference[i].tokens) << greedy_case.label << ": alone, prompt " << i;
    }
  } catch (...) {
    // Leave the shared pool empty for the next case, then report.
    world.state.release(world.state.sequences());
    throw;
  }
  return drafted_to_bottom;
}

}  // namespace specrouter::conformance::detail
