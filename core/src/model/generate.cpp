#include "specrouter/model/generate.h"

#include <algorithm>
#include <random>
#include <string>

#include <c10/core/InferenceMode.h>

#include "specrouter/error.h"

namespace specrouter {
namespace {

// One sequence being generated.
struct Running {
  std::size_t prompt_index = 0;
  SequenceId sequence = 0;
  std::mt19937_64 rng;
  std::vector<TokenId> next_input;  // tokens fed in the next pass: the model's catch-up
};

// Blocks for every position the sequences can ever hold: the prompt plus every generated
// token but the last (never fed back), capped by the context.
std::int64_t blocks_needed(std::span<const std::vector<TokenId>> prompts, std::int64_t max_new_tokens,
                           std::int64_t max_context, std::int64_t block_size) {
  std::int64_t blocks = 0;
  for (const std::vector<TokenId>& prompt : prompts) {
    const std::int64_t positions =
        std::min(static_cast<std::int64_t>(prompt.size()) + max_new_tokens - 1, max_context);
    blocks += (positions + block_size - 1) / block_size;
  }
  return std::max<std::int64_t>(blocks, 1);
}

}  // namespace

const char* to_string(FinishReason reason) {
  switch (reason) {
    case FinishReason::kEos: return "eos";
    case FinishReason::kMaxTokens: return "max_tokens";
    case FinishReason::kContext: return "context";
  }
  return "?";
}

std::vector<GenerationResult> generate(Model& model, std::span<const std::vector<TokenId>> prompts,
                                       const GenerationOptions& options) {
  for (std::size_t i = 0; i < prompts.size(); ++i) {
    const auto length = static_cast<std::int64_t>(prompts[i].size());
    if (length == 0) throw UsageError("generate: prompt " + std::to_string(i) + " is empty");
    if (length > model.max_context()) {
      throw CapacityError("generate: prompt " + std::to_string(i) + " has " + std::to_string(length) +
                          " tokens, more than the model's context of " + std::to_string(model.max_context()));
    }
  }
  std::vector<GenerationResult> results(prompts.size());
  if (options.max_new_tokens <= 0) return results;

  c10::InferenceMode guard;
  constexpr std::int64_t kBlockSize = 16;
  StateManager state;
  const KvModelId kv = model.add_kv_cache(
      state, "model",
      KvBudget::blocks(blocks_needed(prompts, options.max_new_tokens, model.max_context(), kBlockSize)), kBlockSize);
  std::vector<Running> running;
  for (std::size_t i = 0; i < prompts.size(); ++i) {
    running.push_back({i, state.create_sequence(prompts[i]), make_sequence_rng(options.seed, i), prompts[i]});
  }

  const std::int64_t vocab = model.vocab_size();
  while (!running.empty()) {
    std::vector<SequenceInput> batch;
    batch.reserve(running.size());
    for (const Running& r : running) {
      SequenceInput input;
      input.sequence = r.sequence;
      input.tokens = r.next_input;
      batch.push_back(input);
    }
    const ForwardOutput output = model.forward(batch, state, kv);
    const at::Tensor logits = output.logits.to(at::kFloat);  // [running, vocab] on the CPU
    check_finite_logits(logits, "the model");
    const at::Tensor probs = options.sampling.greedy() ? at::Tensor() : sampling_distribution(logits, options.sampling);

    std::vector<Running> still_running;
    for (std::size_t b = 0; b < running.size(); ++b) {
      Running& r = running[b];
      GenerationResult& result = results[r.prompt_index];
      TokenId token = 0;
      if (options.sampling.greedy()) {
        token = argmax({logits[static_cast<std::int64_t>(b)].data_ptr<float>(), static_cast<std::size_t>(vocab)});
      } else {
        token = sample_from_distribution(
            {probs[static_cast<std::int64_t>(b)].data_ptr<float>(), static_cast<std::size_t>(vocab)},
            next_uniform(r.rng));
      }
      result.tokens.push_back(token);
      state.commit(r.sequence, {&token, 1});

      if (std::find(options.eos_token_ids.begin(), options.eos_token_ids.end(), token) !=
          options.eos_token_ids.end()) {
        result.finish_reason = FinishReason::kEos;
      } else if (static_cast<std::int64_t>(result.tokens.size()) >= options.max_new_tokens) {
        result.finish_reason = FinishReason::kMaxTokens;
      } else if (state.kv_length(kv, r.sequence) >= model.max_context()) {
        result.finish_reason = FinishReason::kContext;
      } else {
        r.next_input.assign(1, token);
        still_running.push_back(std::move(r));
        continue;
      }
      state.release(r.sequence);
    }
    running = std::move(still_running);
  }
  return results;
}

}  // namespace specrouter
