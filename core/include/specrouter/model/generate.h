#pragma once

/// @file
/// @brief Plain target-only generation: prefill, then one token per step, for a batch of
/// prompts. The baseline every speculative method is compared against.

#include <cstdint>
#include <span>
#include <vector>

#include "specrouter/model/model.h"
#include "specrouter/sampling/sampling.h"
#include "specrouter/types.h"

namespace specrouter {

/// What plain generation does.
struct GenerationOptions {
  std::int64_t max_new_tokens = 32;   ///< stop a sequence after this many new tokens
  SamplingParams sampling{.temperature = 0.0};  ///< greedy by default
  std::uint64_t seed = 0;             ///< sampling seed; the same seed gives the same tokens
  std::vector<TokenId> eos_token_ids;  ///< a sequence stops after emitting one of these
};

/// Why a sequence stopped.
enum class FinishReason {
  kEos,        ///< it emitted an end-of-sequence token (included in the output)
  kMaxTokens,  ///< it reached max_new_tokens
  kContext,    ///< the next token would not fit in the model's context
};

/// The new tokens of one prompt.
struct GenerationResult {
  std::vector<TokenId> tokens;  ///< generated tokens, not including the prompt
  FinishReason finish_reason = FinishReason::kMaxTokens;  ///< why generation stopped
};

/// Generates a continuation of every prompt with `model` alone.
///
/// All prompts are prefilled in one forward pass and then decoded together, one token
/// per sequence per pass, each a sequence of a private StateManager whose pool is sized
/// for every position the prompts can reach (so generation never runs out of blocks). Greedy decoding
/// takes the argmax (the first on ties, like transformers); sampling draws from
/// sampling_distribution() with next_uniform() of a generator seeded by (seed, prompt
/// index), so a prompt's output does not depend on the other prompts of the batch.
///
/// Throws UsageError for an empty prompt and CapacityError, naming the prompt, when a
/// prompt is longer than Model::max_context().
std::vector<GenerationResult> generate(Model& model, std::span<const std::vector<TokenId>> prompts,
                                       const GenerationOptions& options);

/// Human-readable name of a FinishReason ("eos", "max_tokens", "context").
const char* to_string(FinishReason reason);

}  // namespace specrouter
