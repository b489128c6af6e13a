// The tree verifier: a whole draft tree against one pass of the verifying model.
//
// The request (verifier.h): k nodes; node j is draft_tokens[j], its parent parents[j]
// (-1: a root, a child of the committed prefix; parents precede children; no parents: a
// chain). Row 0 of p (target_probs) follows the committed prefix and row j+1 follows node
// j's path; row j of q (draft_probs, empty = one-hot) is the distribution node j was drawn
// from. The walk starts at the prefix and examines the children of the current node in
// index order.
//
// Greedy (VerifyRequest::greedy): accept the first child whose token is the argmax of p at
// the current node (ties: the lowest token id), and descend to it. The walk stops when no
// child matches (next token: that argmax, recovered) or at a node without children (next
// token: the argmax of p there, the bonus). No randomness is used.
//
// Sampling: multi-candidate speculative sampling (SpecInfer, Miao et al. 2023; the same
// rule as recursive rejection sampling, Jeon et al. 2024). At the current node, r = p; for
// each child c in turn, accept c with probability min(1, r(c) / q_c(c)) and descend to it;
// on rejection, r <- normalize(max(0, r - q_c)). When every child is rejected, the
// recovered token is drawn from r; at a node without children, the bonus is drawn from p.
// The committed tokens are distributed exactly as if drawn from p when every node was
// drawn from its q row given its parent's path and its earlier siblings' tokens (i.i.d.
// siblings, sampling without replacement, deterministic children with one-hot q); why,
// and which trees break it: docs/design/tree_verification.md. If rounding empties a
// residual (mathematically it keeps the rejection probability), r stays as it was.
//
// Randomness: next_uniform(rng) (sampling.h), one per examined child and one for the next
// token. On a chain these are the token verifier's draws, and its verdicts.
//
// Cost per call, V = vocab size: O(k) to link the children, then greedy
// O((accepted + 1) V), sampling O(examined children + (rejections + 1) V).

#include <algorithm>
#include <cstdint>
#include <limits>
#include <memory>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "specrouter/error.h"
#include "specrouter/plugin/plugin_api.h"
#include "specrouter/sampling/sampling.h"
#include "specrouter/verifier.h"

namespace {

using specrouter::ProbabilityRows;
using specrouter::TokenId;
using specrouter::Verdict;
using specrouter::VerifyRequest;

constexpr std::int32_t kPrefix = -1;  // the committed prefix: the parent of the roots
constexpr std::int32_t kNone = -1;    // ends a child list

// The children of every node in index order, as linked lists: node n's first child is
// first_child[n + 1] (n = kPrefix for the roots), the child after j is next_sibling[j].
struct ChildLists {
  std::vector<std::int32_t> first_child;   // [k + 1]
  std::vector<std::int32_t> next_sibling;  // [k]
};

// `parents` already checked; empty means a chain.
ChildLists link_children(std::span<const std::int32_t> parents, std::int32_t k) {
  ChildLists lists{std::vector<std::int32_t>(k + 1, kNone), std::vector<std::int32_t>(k, kNone)};
  for (std::int32_t j = k - 1; j >= 0; --j) {  // backwards, so that every list is in index order
    const std::int32_t parent = parents.empty() ? j - 1 : parents[j];
    lists.next_sibling[j] = lists.first_child[parent + 1];
    lists.first_child[parent + 1] = j;
  }
  return lists;
}

// The distribution the next sibling is tested against: p's row at a node, then
// normalize(max(0, r - q)) after each rejection, held unnormalised as weights and their
// sum, so that an update is one pass without division. p's row is only copied at the
// first rejection.
class Residual {
 public:
  void reset(std::span<const float> p_row) {
    weights_ = p_row;
    mass_ = 1.0;  // a row of p is a distribution
  }

  // Accepts x, drawn from q, with probability min(1, r(x) / q(x)): u < r(x) / q(x)
  // multiplied out, so q(x) = 0 needs no case.
  bool accepts(TokenId x, double q_x, double uniform) const { return uniform * q_x * mass_ < weights_[x]; }

  // After x, drawn from `q_row` (empty: one-hot on x), was rejected: r <- max(0, r - q),
  // that is max(0, weights - mass q) unnormalised.
  void remove(std::span<const float> q_row, TokenId x) {
    scratch_.resize(weights_.size());
    double mass = 0;
    for (std::size_t v = 0; v < weights_.size(); ++v) {
      const double q_v = q_row.empty() ? (static_cast<TokenId>(v) == x ? 1.0 : 0.0) : q_row[v];
      scratch_[v] = static_cast<float>(std::max(0.0, weights_[v] - mass_ * q_v));
      mass += scratch_[v];
    }
    if (!(mass > 0)) return;  // rounding emptied it: keep r
    owned_.swap(scratch_);
    weights_ = owned_;
    mass_ = mass;
  }

  std::span<const float> weights() const { return weights_; }

 private:
  std::span<const float> weights_;  // [vocab]: a row of p, or owned_
  double mass_ = 1.0;               // the sum of weights_ (taken as 1 for a row of p)
  std::vector<float> owned_, scratch_;
};

class TreeVerifier final : public specrouter::Verifier {
 public:
  explicit TreeVerifier(const specrouter::Params& params) : owner_(params.owner()) {}

  Verdict verify(const VerifyRequest& request, std::mt19937_64& rng) override {
    check(request);
    const ChildLists children = link_children(request.parents, static_cast<std::int32_t>(request.draft_tokens.size()));
    return request.greedy ? verify_greedy(request, children) : verify_sampling(request, children, rng);
  }

 private:
  static Verdict verify_greedy(const VerifyRequest& request, const ChildLists& children) {
    Verdict verdict;
    for (std::int32_t node = kPrefix;;) {
      const TokenId best = specrouter::argmax(request.target_probs.row(node + 1));
      std::int32_t child = children.first_child[node + 1];
      verdict.bonus = child == kNone;
      while (child != kNone && request.draft_tokens[child] != best) child = children.next_sibling[child];
      if (child == kNone) {
        verdict.next_token = best;
        return verdict;
      }
      verdict.accepted_path.push_back(child);
      node = child;
    }
  }

  Verdict verify_sampling(const VerifyRequest& request, const ChildLists& children, std::mt19937_64& rng) const {
    const ProbabilityRows& p = request.target_probs;
    const ProbabilityRows& q = request.draft_probs;
    Verdict verdict;
    Residual residual;
    for (std::int32_t node = kPrefix;;) {
      residual.reset(p.row(node + 1));
      std::int32_t child = children.first_child[node + 1];
      verdict.bonus = child == kNone;
      for (; child != kNone; child = children.next_sibling[child]) {
        const TokenId x = request.draft_tokens[child];
        const std::span<const float> q_row = q.empty() ? std::span<const float>{} : q.row(child);
        if (residual.accepts(x, q.empty() ? 1.0 : q_row[x], specrouter::next_uniform(rng))) break;
        residual.remove(q_row, x);
      }
      if (child == kNone) {
        verdict.next_token = sample(residual.weights(), node + 1, specrouter::next_uniform(rng));
        return verdict;
      }
      verdict.accepted_path.push_back(child);
      node = child;
    }
  }

  // A residual keeps mass by construction, so only a row of p without mass fails here.
  TokenId sample(std::span<const float> weights, std::int64_t row, double uniform) const {
    try {
      return specrouter::sample_from_distribution(weights, uniform);
    } catch (const specrouter::UsageError&) {
      fail("target_probs row " + std::to_string(row) + " has no probability mass");
    }
  }

  // Shapes and token ids (the shared check), then the tree, before anything is read.
  void check(const VerifyRequest& request) const {
    const auto k = static_cast<std::int64_t>(request.draft_tokens.size());
    if (k >= std::numeric_limits<std::int32_t>::max()) {
      fail("a draft of " + std::to_string(k) + " tokens is more than int32 node indices address");
    }
    specrouter::check_verify_request(request, owner_);
    for (std::int64_t j = 0; j < static_cast<std::int64_t>(request.parents.size()); ++j) {
      if (request.parents[j] < kPrefix || request.parents[j] >= j) {
        fail("parents[" + std::to_string(j) + "] is " + std::to_string(request.parents[j]) +
             "; it must be -1 (a root) or an earlier node, in [0, " + std::to_string(j) + ")");
      }
    }
  }

  [[noreturn]] void fail(const std::string& what) const { throw specrouter::UsageError(owner_ + ": " + what); }

  std::string owner_;  // "verifier 'tree'", for messages
};

}  // namespace

SPECROUTER_PLUGIN(registrar) {
  registrar.add<specrouter::Verifier>(
      {"tree",
       "token-tree verification in one pass: greedy longest matching path, or lossless multi-candidate "
       "speculative sampling",
       {}},
      [](const specrouter::Params& params) { return std::make_unique<TreeVerifier>(params); });
}
