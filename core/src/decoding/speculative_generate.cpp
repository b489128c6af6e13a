#include "specrouter/decoding/speculative_generate.h"

#include <algorithm>
#include <string>

#include "specrouter/error.h"
#include "specrouter/model/model.h"
#include "specrouter/scheduling/chain_cost.h"
#include "specrouter/state/running_sequences.h"

namespace specrouter {
namespace {

// One prompt being generated.
struct Running {
  std::size_t prompt_index = 0;
  SequenceId sequence = 0;
  std::mt19937_64 rng;
};

}  // namespace

std::vector<GenerationResult> speculative_generate(StepExecutor& executor,
                                                   std::span<const std::vector<TokenId>> prompts, const Plan& plan,
                                                   const SpeculativeGenerationOptions& options) {
  const PoolMember& target = executor.pool().target();
  check_plan(plan, executor.pool().size());
  for (std::size_t i = 0; i < prompts.size(); ++i) {
    const auto length = static_cast<std::int64_t>(prompts[i].size());
    if (length == 0) throw UsageError("speculative_generate: prompt " + std::to_string(i) + " is empty");
    if (length > target.model->max_context()) {
      throw CapacityError("speculative_generate: prompt " + std::to_string(i) + " has " + std::to_string(length) +
                          " tokens, more than the context of " + std::to_string(target.model->max_context()) +
                          " of the target '" + target.name + "'");
    }
  }
  std::vector<GenerationResult> results(prompts.size());
  if (options.max_new_tokens <= 0) return results;

  StateManager& state = executor.state();
  RunningSequences running_sequences(state);  // sequences still running are released however the loop ends
  std::vector<Running> running;
  for (std::size_t i = 0; i < prompts.size(); ++i) {
    running.push_back({i, running_sequences.create_sequence(prompts[i]), make_sequence_rng(options.seed, i)});
  }
  while (!running.empty()) {
    Plan chosen = plan;
    if (options.choose_plan) {
      double committed = 0;
      for (const Running& r : running) committed += static_cast<double>(state.committed_length(r.sequence));
      chosen = options.choose_plan({static_cast<int>(running.size()), committed / static_cast<double>(running.size())});
      check_plan(chosen, executor.pool().size());
    }
    std::vector<SequencePlan> batch;
    for (Running& r : running) batch.push_back({r.sequence, chosen, &r.rng});
    const StepResult step = executor.step(batch);
    if (options.on_step) options.on_step(step);

    std::vector<Running> still_running;
    std::vector<SequenceId> finished;
    for (std::size_t b = 0; b < running.size(); ++b) {
      GenerationResult& result = results[running[b].prompt_index];
      bool done = false;
      for (TokenId token : step.sequences[b].committed) {
        result.tokens.push_back(token);
        if (std::find(options.eos_token_ids.begin(), options.eos_token_ids.end(), token) != options.eos_token_ids.end()) {
          result.finish_reason = FinishReason::kEos;
          done = true;
        } else if (static_cast<std::int64_t>(result.tokens.size()) >= options.max_new_tokens) {
          result.finish_reason = FinishReason::kMaxTokens;
          done = true;
        }
        if (done) break;
      }
      if (!done && state.committed_length(running[b].sequence) > target.model->max_context()) {
        result.finish_reason = FinishReason::kContext;
        done = true;
      }
      if (done) {
        finished.push_back(running[b].sequence);
      } else {
        still_running.push_back(std::move(running[b]));
      }
    }
    running_sequences.release(finished);
    running = std::move(still_running);
  }
  return results;
}

}  // namespace specrouter
