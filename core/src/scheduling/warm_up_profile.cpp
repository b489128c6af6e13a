#include "specrouter/scheduling/warm_up_profile.h"

#include <chrono>
#include <random>
#include <string>
#include <vector>

#include "specrouter/error.h"
#include "specrouter/model/model.h"

namespace specrouter {

namespace {

// Releases the sequences a warm-up made, however it ends.
struct SequenceReleaser {
  StateManager& state;
  std::vector<SequenceId> sequences;
  ~SequenceReleaser() {
    if (!sequences.empty()) state.release(sequences);
  }
};

void check_grid(const WarmUpGrid& grid) {
  bool valid = grid.repeats >= 1 && !grid.tokens_per_sequence.empty() && !grid.batch_sizes.empty() &&
               !grid.context_lengths.empty();
  for (int tokens : grid.tokens_per_sequence) valid = valid && tokens >= 1;
  for (int batch : grid.batch_sizes) valid = valid && batch >= 1;
  for (int context : grid.context_lengths) valid = valid && context >= 0;
  if (!valid) {
    throw UsageError("warm_up_profile: the grid needs non-empty lists, tokens_per_sequence >= 1, batch_sizes >= 1, "
                     "context_lengths >= 0 and repeats >= 1");
  }
}

}  // namespace

int warm_up_profile(ForwardProfiler& profiler, int pool_index, Model& model, StateManager& state, KvModelId kv,
                    const WarmUpGrid& grid) {
  check_grid(grid);
  if (pool_index < 0 || pool_index >= profiler.pool_size()) {
    throw UsageError("warm_up_profile: pool_index " + std::to_string(pool_index) + " is outside the profiler's pool of " +
                     std::to_string(profiler.pool_size()));
  }
  std::mt19937_64 rng(grid.seed);
  const auto random_token = [&] { return static_cast<TokenId>(rng() % static_cast<std::uint64_t>(model.vocab_size())); };
  int fed = 0;
  bool warmed = false;
  for (int context : grid.context_lengths) {
    if (context + 1 > model.max_context()) continue;
    for (int batch : grid.batch_sizes) {
      SequenceReleaser made{state, {}};
      // [batch][context + 1]: committed prompts; the last token is each pass's first (catch-up) token.
      std::vector<std::vector<TokenId>> prompts(static_cast<std::size_t>(batch));
      for (auto& prompt : prompts) {
        for (int i = 0; i <= context; ++i) prompt.push_back(random_token());
        made.sequences.push_back(state.create_sequence(prompt));
      }
      if (context > 0) {  // prefill, untimed
        std::vector<SequenceInput> prefill;
        for (int s = 0; s < batch; ++s) {
          prefill.push_back({made.sequences[s], std::span<const TokenId>(prompts[s]).first(context), {}, LogitsWanted::kNone, {}});
        }
        model.forward(prefill, state, kv);
      }
      for (int tokens : grid.tokens_per_sequence) {
        if (context + tokens > model.max_context()) continue;
        // [batch][tokens]: the last prompt token, then speculative random tokens.
        std::vector<std::vector<TokenId>> feeds(static_cast<std::size_t>(batch));
        std::vector<SequenceInput> inputs;
        for (int s = 0; s < batch; ++s) {
          feeds[s].push_back(prompts[s].back());
          for (int i = 1; i < tokens; ++i) feeds[s].push_back(random_token());
          inputs.push_back({made.sequences[s], feeds[s], {}, LogitsWanted::kAll, {}});
        }
        for (int repeat = warmed ? 0 : -1; repeat < grid.repeats; ++repeat) {
          const auto started = std::chrono::steady_clock::now();
          model.forward(inputs, state, kv);
          const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
          for (SequenceId sequence : made.sequences) state.rollback(kv, sequence, context);
          if (repeat < 0) continue;  // the first pass of the warm-up pays for allocations
          profiler.observe(pool_index, {tokens, batch, static_cast<double>(context)}, seconds);
          ++fed;
        }
        warmed = true;
      }
    }
  }
  return fed;
}

int warm_up_profile(ForwardProfiler& profiler, const ModelPool& pool, StateManager& state, const WarmUpGrid& grid) {
  int fed = 0;
  for (int index = 0; index < pool.size(); ++index) {
    const PoolMember& member = pool.at(index);
    fed += warm_up_profile(profiler, index, *member.model, state, member.kv, grid);
  }
  return fed;
}

}  // namespace specrouter
