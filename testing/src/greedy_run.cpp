#include "greedy_run.h"

#include <gtest/gtest.h>

#include <span>
#include <vector>

#include <c10/core/InferenceMode.h>

#include "step_checks.h"
#include "test_models.h"
#include "specrouter/decoding/step_executor.h"
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

// Greedy speculative decoding of `prompts` as one batch, kNewTokens each (the kit's own
// loop over StepExecutor::step, so that it depends on the core's executor only).
std::vector<std::vector<TokenId>> decode(StepExecutor& executor, const GreedyCase& greedy_case,
                                         const std::vector<std::vector<TokenId>>& prompts,
                                         std::int64_t* drafted_to_bottom) {
  StateManager& state = executor.state();
  std::vector<SequenceId> sequences;
  for (const auto& prompt : prompts) sequences.push_back(state.create_sequence(prompt));
  std::vector<std::vector<TokenId>> generated(prompts.size());
  for (;;) {
    std::vector<SequencePlan> batch;
    std::vector<std::size_t> which;
    for (std::size_t i = 0; i < prompts.size(); ++i) {
      if (static_cast<std::int64_t>(generated[i].size()) >= kNewTokens) continue;
      batch.push_back({sequences[i], greedy_case.plan, nullptr});
      which.push_back(i);
    }
    if (batch.empty()) break;
    const StepResult step = executor.step(batch);
    state.check_consistency();
    expect_views_are_committed_prefixes(state);
    expect_step_statistics_add_up(step, batch, greedy_case.drafter != nullptr);
    for (std::size_t b = 0; b < batch.size(); ++b) {
      const SequenceStepResult& result = step.sequences[b];
      *drafted_to_bottom += result.levels.front().drafted;
      generated[which[b]].insert(generated[which[b]].end(), result.committed.begin(), result.committed.end());
    }
  }
  state.release(sequences);
  // A step may commit past the budget; what generate() returns stops at it.
  for (auto& tokens : generated) tokens.resize(kNewTokens);
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
