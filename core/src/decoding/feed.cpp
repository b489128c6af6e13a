#include "specrouter/decoding/feed.h"

#include <string>

#include "specrouter/error.h"

namespace specrouter {
namespace {

// Debug mode only: the view must be a prefix of the context it is asked to continue.
void check_view_is_prefix(const StateManager& state, KvModelId model, const SequenceTokens& context) {
  const std::vector<TokenId> view = state.kv_tokens(model, context.sequence);
  for (std::size_t p = 0; p < view.size() && p < context.tokens.size(); ++p) {
    if (view[p] != context.tokens[p]) {
      throw UsageError("tokens_to_feed: model " + std::to_string(model) + " holds token " + std::to_string(view[p]) +
                       " at position " + std::to_string(p) + " of sequence " + std::to_string(context.sequence) +
                       ", but the context to continue has " + std::to_string(context.tokens[p]));
    }
  }
}

}  // namespace

std::vector<std::vector<TokenId>> tokens_to_feed(StateManager& state, KvModelId model,
                                                 std::span<const SequenceTokens> contexts) {
  std::vector<SequenceLength> cut;
  cut.reserve(contexts.size());
  for (const SequenceTokens& context : contexts) {
    if (context.tokens.empty()) {
      throw UsageError("tokens_to_feed: the context of sequence " + std::to_string(context.sequence) +
                       " is empty; there is nothing to continue");
    }
    if (state.debug_checks()) check_view_is_prefix(state, model, context);
    cut.push_back({context.sequence, static_cast<std::int64_t>(context.tokens.size())});
  }
  const KvModelId models[] = {model};
  state.rollback(models, cut);

  // Views that hold their whole context give up its last token, to run it again.
  std::vector<SequenceLength> rerun;
  for (const SequenceTokens& context : contexts) {
    const auto length = static_cast<std::int64_t>(context.tokens.size());
    if (state.kv_length(model, context.sequence) == length) rerun.push_back({context.sequence, length - 1});
  }
  if (!rerun.empty()) state.rollback(models, rerun);

  std::vector<std::vector<TokenId>> feeds;
  feeds.reserve(contexts.size());
  for (const SequenceTokens& context : contexts) {
    const auto held = static_cast<std::size_t>(state.kv_length(model, context.sequence));
    feeds.emplace_back(context.tokens.begin() + static_cast<std::ptrdiff_t>(held), context.tokens.end());
  }
  return feeds;
}

}  // namespace specrouter
