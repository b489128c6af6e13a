#pragma once
// What the reference collaboration scheme decodes on fixed cases, written as one line of
// text per case: every committed token and, per level, the drafted, accepted and
// produced tokens of the whole run. Recorded once from the step executor as it was
// before the schemes became pluggable (the expected lines in
// collaborative_verification_test.cpp), so any change of behaviour, including the order
// in which random numbers are drawn when sampling, shows as a different line.

#include <cstdint>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "../../../tests/decoding/decoding_test_util.h"
#include "specrouter/engine/speculative_generate.h"

using specrouter::engine::SpeculativeGenerationOptions;
using specrouter::engine::speculative_generate;

namespace specrouter::testing {

/// One fixed case: a plan over the decoding tests' pool [m0 (25% noise), m1 (10%), target],
/// sampling parameters and an optional model drafter (running m0) below the chain.
struct FingerprintCase {
  std::string name;
  Plan plan;
  SamplingParams sampling;
  bool model_drafter = false;
};

/// The fixed cases: sampled [S, M, T] (2, 3), [T], [M, T] (3) with the sampling model
/// drafter below, filtered [S, T] (4), and greedy [M, T] (4) with the drafter.
inline std::vector<FingerprintCase> fingerprint_cases() {
  return {
      {"sampled_S_M_T_2_3", plan_of({0, 1, 2}, {2, 3}), {.temperature = 1.0}, false},
      {"sampled_T", plan_of({2}, {}), {.temperature = 1.0}, false},
      {"sampled_drafter_M_T_3", plan_of({1, 2}, {3}), {.temperature = 0.9}, true},
      {"filtered_S_T_4", plan_of({0, 2}, {4}), {.temperature = 0.7, .top_k = 10, .top_p = 0.9}, false},
      {"greedy_drafter_M_T_4", plan_of({1, 2}, {4}), {.temperature = 0.0}, true},
  };
}

/// Runs `c` on `pool` for three prompts as one batch (16 new tokens, seed 5) with the
/// executor options `options` (sampling and drafter length are set here) and returns
/// its fingerprint line.
inline std::string fingerprint(TestPool& pool, const FingerprintCase& c, StepExecutorOptions options) {
  options.sampling = c.sampling;
  options.drafter_length = 2;
  std::shared_ptr<Drafter> drafter;
  if (c.model_drafter) drafter = make_drafter("model", {{"model", std::string("m0")}});
  StepExecutor executor(*pool.pool, pool.state, token_verifier(), drafter, options);
  SpeculativeGenerationOptions generation;
  generation.max_new_tokens = 16;
  generation.seed = 5;
  std::vector<std::int64_t> drafted(c.plan.chain.size()), accepted(c.plan.chain.size()), produced(c.plan.chain.size());
  generation.on_step = [&](const StepOutcome& record) {
    const StepResult& step = *record.result;
    for (const SequenceStepResult& sequence : step.sequences) {
      for (std::size_t level = 0; level < sequence.levels.size(); ++level) {
        drafted[level] += sequence.levels[level].drafted;
        accepted[level] += sequence.levels[level].accepted;
        produced[level] += sequence.levels[level].produced;
      }
    }
  };
  const std::vector<std::vector<TokenId>> prompts = {make_tokens(3, 97, 31), make_tokens(8, 97, 32), make_tokens(5, 97, 33)};
  const std::vector<GenerationResult> results = speculative_generate(executor, prompts, c.plan, generation);
  std::ostringstream line;
  line << c.name << ":";
  for (const GenerationResult& result : results) {
    line << " [";
    for (TokenId token : result.tokens) line << " " << token;
    line << " ]";
  }
  for (std::size_t level = 0; level < drafted.size(); ++level) {
    line << " L" << level << "=" << drafted[level] << "/" << accepted[level] << "/" << produced[level];
  }
  return line.str();
}

}  // namespace specrouter::testing
