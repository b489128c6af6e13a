#pragma once

/// @file
/// @brief The inputs and outputs of one forward pass over a ragged batch of sequences.

#include <cstdint>
#include <span>
#include <vector>

#include <ATen/core/Tensor.h>

#include "specrouter/types.h"

namespace specrouter {

/// Which of a sequence's new tokens need logits.
enum class LogitsWanted {
  kLast,    ///< only the last new token (plain decoding, prefill)
  kAll,     ///< every new token (verification of a draft)
  kListed,  ///< the indices in SequenceInput::logits_for
  kNone,    ///< none (catch-up only)
};

/// One sequence's part of a forward pass.
///
/// The new tokens take the positions `[L, L + n)` of the model's view of the sequence in
/// the StateManager, where `L = kv_length(model, sequence)` before the pass; the view grows
/// by `n`. New tokens at committed positions are catch-up tokens and must be the
/// committed ones (StateManager::catch_up_tokens()); later ones are speculative.
///
/// A **chain** (`parents` empty) is ordinary causal attention: token i sees the cached
/// prefix and new tokens 0..i, at rotary position L + i.
///
/// A **tree** gives each new token the index of its parent among the new tokens, or -1
/// for a child of the cached prefix; parents precede children (`parents[i] < i`). Token i
/// sees the cached prefix and its ancestors (and itself) only, at rotary position
/// `L + depth(i)` (roots have depth 0). Its K/V still occupies storage position L + i;
/// after verification the caller keeps the accepted path with StateManager::keep_path()
/// (or rolls back to L), so the view again holds a chain.
struct SequenceInput {
  SequenceId sequence = 0;                  ///< a sequence of the StateManager passed to forward()
  std::span<const TokenId> tokens;          ///< n >= 1 new tokens (catch-up tokens, then candidates)
  std::span<const std::int32_t> parents;    ///< empty (a chain) or one parent index per token
  LogitsWanted logits = LogitsWanted::kLast;  ///< which tokens need logits
  std::span<const std::int32_t> logits_for;   ///< with kListed: indices into `tokens`, in output order
};

/// Switches of a forward pass.
struct ForwardOptions {
  /// Also return the final hidden states (after the last RMSNorm, the input of lm_head)
  /// of the rows that get logits, for EAGLE/Medusa-style heads.
  bool return_hidden = false;
};

/// What a forward pass returns, rows ordered by sequence, then as requested.
struct ForwardOutput {
  /// [num_wanted, vocab] on the CPU: float32, or float64 for a float64 model (so exactness
  /// tests are not limited by float32 rounding), whatever the model's device.
  at::Tensor logits;
  at::Tensor hidden;  ///< [num_wanted, hidden_size] in the model's dtype and device; undefined unless asked
  /// Rows of sequence b are `[row_offsets[b], row_offsets[b + 1])`; size batch + 1.
  std::vector<std::int64_t> row_offsets;
};

}  // namespace specrouter
