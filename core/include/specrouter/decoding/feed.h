#pragma once

/// @file
/// @brief What a model must run next to continue a context: its catch-up tokens, with the
/// view cut back where it ran ahead.

#include <span>
#include <vector>

#include "specrouter/state/state_manager.h"
#include "specrouter/types.h"

namespace specrouter {

/// For each sequence, the tokens model `model` must run so that the logits row of the last
/// one is its distribution after the sequence's context.
///
/// `contexts[b].tokens` is the whole token list to continue: the sequence's committed
/// tokens followed by any speculative ones (what a level has produced so far in a step).
/// The model's view of the sequence must be a prefix of it, possibly running past its end
/// (drafts of an earlier round). This cuts every view to at most its context's length;
/// when a view then holds the whole context, it cuts one position more, because the
/// distribution after a context is the output of running its last token, which is not
/// kept: that token is run again (its K/V recomputed, one token of work). Returns
/// `context[kv_length:]` per sequence, never empty.
///
/// Cost: one batched rollback (a second one for views that held their whole context) and
/// the copy of the returned tokens. With StateManager debug checks on, also checks that
/// each view is a prefix of its context, O(context), and throws UsageError naming the
/// sequence and the first position that differs. Throws UsageError for an empty context,
/// KvStateError for an unknown sequence.
std::vector<std::vector<TokenId>> tokens_to_feed(StateManager& state, KvModelId model,
                                                 std::span<const SequenceTokens> contexts);

}  // namespace specrouter
