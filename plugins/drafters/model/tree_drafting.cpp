#include "tree_drafting.h"

#include <algorithm>
#include <cstdint>

#include <ATen/ops/max.h>
#include <ATen/ops/topk.h>

#include "specrouter/decoding/feed.h"
#include "specrouter/decoding/model_pool.h"
#include "specrouter/model/model.h"
#include "specrouter/sampling/sampling.h"
#include "specrouter/state/state_manager.h"

namespace specrouter::model_drafter {
namespace {

// One sequence's tree under construction.
struct Growing {
  std::size_t request = 0;
  int depth_limit = 0;                // depths to draft
  std::int64_t context_length = 0;    // the model's view length once the context is in
  std::vector<std::int32_t> frontier;  // nodes of the deepest depth drafted so far
};

// Appends `parent`'s children: the `count` most probable tokens of `logits_row`, when
// the row's confidence reaches the shape's threshold.
void add_children(Draft& draft, std::int32_t parent, const at::Tensor& logits_row, int count,
                  const TreeShape& shape, std::vector<std::int32_t>& new_frontier) {
  if (shape.min_confidence > 0.0) {
    const float confidence = at::max(softmax_with_temperature(logits_row, shape.confidence_temperature)).item<float>();
    if (confidence < shape.min_confidence) return;
  }
  const std::int64_t k = std::min<std::int64_t>(count, logits_row.size(0));
  const at::Tensor best = std::get<1>(at::topk(logits_row, k, -1, /*largest=*/true, /*sorted=*/true)).contiguous();
  const std::int64_t* ids = best.data_ptr<std::int64_t>();
  for (std::int64_t i = 0; i < k; ++i) {
    new_frontier.push_back(static_cast<std::int32_t>(draft.tokens.size()));
    draft.tokens.push_back(static_cast<TokenId>(ids[i]));
    draft.parents.push_back(parent);
  }
}

}  // namespace

std::vector<Draft> draft_trees(const PoolMember& member, std::span<const DraftRequest> requests,
                               const DraftContext& context, const TreeShape& shape) {
  std::vector<Draft> drafts(requests.size());
  StateManager& state = *context.state;

  // Depth 0: every sequence with room runs its catch-up tokens; the roots come from the
  // distribution after the context.
  std::vector<Growing> growing;
  std::vector<SequenceTokens> contexts;
  for (std::size_t r = 0; r < requests.size(); ++r) {
    const auto room = member.model->max_context() - static_cast<std::int64_t>(requests[r].context.size()) + 1;
    const int limit = static_cast<int>(
        std::min<std::int64_t>({static_cast<std::int64_t>(shape.branching.size()), requests[r].max_tokens, room}));
    if (limit <= 0 || requests[r].context.empty()) continue;
    growing.push_back({r, limit, static_cast<std::int64_t>(requests[r].context.size()), {}});
    contexts.push_back({requests[r].sequence, requests[r].context, {}});
  }
  if (growing.empty()) return drafts;
  const std::vector<std::vector<TokenId>> feeds = tokens_to_feed(state, member.kv, contexts);
  std::vector<SequenceInput> batch(growing.size());
  for (std::size_t g = 0; g < growing.size(); ++g) batch[g] = {requests[growing[g].request].sequence, feeds[g]};
  at::Tensor logits = member.model->forward(batch, state, member.kv).logits.to(at::kFloat);  // [sequences, vocab]
  for (std::size_t g = 0; g < growing.size(); ++g) {
    std::vector<std::int32_t> roots;
    add_children(drafts[growing[g].request], -1, logits[static_cast<std::int64_t>(g)], shape.branching[0], shape, roots);
    growing[g].frontier = std::move(roots);
  }

  // Depth d >= 1: run each tree so far (its nodes hang from the context), read the
  // frontier's distributions, cut the view back to the context and add the children.
  for (int depth = 1;; ++depth) {
    std::vector<Growing*> active;
    for (Growing& tree : growing) {
      if (depth < tree.depth_limit && !tree.frontier.empty()) active.push_back(&tree);
    }
    if (active.empty()) break;
    std::vector<SequenceInput> inputs(active.size());
    std::vector<SequenceLength> cut;
    for (std::size_t a = 0; a < active.size(); ++a) {
      const Draft& draft = drafts[active[a]->request];
      inputs[a] = {requests[active[a]->request].sequence, draft.tokens, draft.parents, LogitsWanted::kListed,
                   active[a]->frontier};
      cut.push_back({requests[active[a]->request].sequence, active[a]->context_length});
    }
    logits = member.model->forward(inputs, state, member.kv).logits.to(at::kFloat);  // [frontier nodes, vocab]
    const KvModelId models[] = {member.kv};
    state.rollback(models, cut);
    std::int64_t row = 0;
    for (Growing* tree : active) {
      std::vector<std::int32_t> next;
      for (std::int32_t node : tree->frontier) {
        add_children(drafts[tree->request], node, logits[row++], shape.branching[static_cast<std::size_t>(depth)],
                     shape, next);
      }
      tree->frontier = std::move(next);
    }
  }
  return drafts;
}

}  // namespace specrouter::model_drafter
