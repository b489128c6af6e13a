#pragma once
// Tree drafting for the model drafter: top-k branching up to a configured shape.
//
// A tree of shape [b_0, b_1, ...] gives the context b_0 children (depth 0), each of them
// b_1 children, and so on: node n's children are the b_depth most probable tokens of the
// drafting model's distribution after n's path, best first. The choice is deterministic,
// so the draft reports no probabilities (one-hot rows), which keeps multi-candidate
// verification lossless under sampling too (docs/design/tree_verification.md). With a
// min_confidence, a node whose distribution's top probability is below it gets no
// children (decided before any child exists, so still lossless).
//
// Cost per call: one pass over the catch-up tokens, then one pass per further depth over
// the whole tree drafted so far (tree attention needs a node's ancestors, and a view of
// the model holds a chain, so each depth reruns the tree and is cut back afterwards):
// sum over depths d of (nodes up to depth d) tokens, batched over the sequences.

#include <span>
#include <vector>

#include "specrouter/drafter.h"

namespace specrouter {
struct PoolMember;
}  // namespace specrouter

namespace specrouter::model_drafter {

// The shape of a draft tree and when to stop branching.
struct TreeShape {
  std::vector<int> branching;   // children per node at each depth, >= 1 each
  double min_confidence = 0.0;  // 0: every node at depth < shape depth branches
  double confidence_temperature = 1.0;
};

// Drafts a tree for every request with `member`'s model; depth at most
// min(branching.size(), max_tokens). Requests with no room in the model's context get an
// empty draft.
std::vector<Draft> draft_trees(const PoolMember& member, std::span<const DraftRequest> requests,
                               const DraftContext& context, const TreeShape& shape);

}  // namespace specrouter::model_drafter
