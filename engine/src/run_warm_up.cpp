#include "specrouter/engine/run_warm_up.h"

#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <chrono>
#include <random>

#include "specrouter/drafter.h"
#include "specrouter/scheduling/warm_up_profile.h"
#include "specrouter/state/running_sequences.h"

namespace specrouter::engine {
namespace {

// The shapes models are timed at: the decode and verification widths schedulers choose
// among, at contexts every sequence of a full batch has room for (register_kv_caches
// sizes each for a prompt plus its output and slack).
WarmUpGrid grid_for(const std::vector<ServedPrompt>& prompts, std::int64_t longest_output, int max_batch_size) {
  std::size_t shortest_prompt = prompts.empty() ? 0 : prompts.front().tokens.size();
  for (const ServedPrompt& prompt : prompts) shortest_prompt = std::min(shortest_prompt, prompt.tokens.size());
  WarmUpGrid grid;
  grid.tokens_per_sequence = {1, 2, 4, 8};
  grid.batch_sizes = {1};
  if (max_batch_size > 1) grid.batch_sizes.push_back(max_batch_size);
  const int longest_context =
      static_cast<int>(std::min<std::int64_t>(64, static_cast<std::int64_t>(shortest_prompt) + longest_output));
  grid.context_lengths = {0, longest_context / 2, longest_context};
  grid.repeats = 3;
  return grid;
}

// Times the drafter's proposals of 1, 2, 4 and 8 tokens for each of the first prompts.
int warm_up_drafter(ForwardProfiler& profiler, int index, Drafter& drafter, StepExecutor& executor,
                    const std::vector<ServedPrompt>& prompts) {
  constexpr std::size_t kPrompts = 4;
  constexpr int kRepeats = 3;
  RunningSequences sequences(executor.state());
  std::mt19937_64 rng(1);
  const DraftContext context{&executor.state(), &executor.pool(), &executor.options().sampling};
  int fed = 0;
  for (std::size_t p = 0; p < std::min(kPrompts, prompts.size()); ++p) {
    const std::vector<TokenId>& tokens = prompts[p].tokens;
    const SequenceId sequence = sequences.create_sequence(tokens);
    for (int length : {1, 2, 4, 8}) {
      for (int repeat = -1; repeat < kRepeats; ++repeat) {
        const std::vector<DraftRequest> request{{tokens, length, sequence, &rng}};
        const auto started = std::chrono::steady_clock::now();
        drafter.propose(request, context);
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        if (repeat < 0) continue;  // the first call pays for caches and allocations
        profiler.observe(index, {length, 1, static_cast<double>(tokens.size())}, seconds);
        ++fed;
      }
    }
  }
  return fed;  // `sequences` releases what it made
}

}  // namespace

int warm_up(ForwardProfiler& profiler, StepExecutor& executor, const std::shared_ptr<Drafter>& drafter,
            const std::vector<ServedPrompt>& prompts, std::int64_t longest_output, int max_batch_size,
            int first_model_index, int drafter_index) {
  c10::InferenceMode guard;
  const WarmUpGrid grid = grid_for(prompts, longest_output, max_batch_size);
  int fed = 0;
  for (int model = 0; model < executor.pool().size(); ++model) {
    const PoolMember& member = executor.pool().at(model);
    fed += warm_up_profile(profiler, first_model_index + model, *member.model, executor.state(), member.kv, grid);
  }
  if (drafter != nullptr && drafter_index >= 0) fed += warm_up_drafter(profiler, drafter_index, *drafter, executor, prompts);
  return fed;
}

}  // namespace specrouter::engine
