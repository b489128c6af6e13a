// Statistical tests of the tree verifier: text decoded with tree drafts and sampled
// verification is distributed as the target's text, for several tree shapes and ways of
// drafting a tree; the check rejects a verifier that skips the residual update and trees
// drafted against the contract; and the mean accepted length matches its exact value.
//
// Setting: two toy language models over V = 4..6 tokens, a target and a drafter, each a
// fixed random next-token distribution for every context (token sequence). A trial decodes
// the first L tokens of text as the harness would: draft a tree from the drafter at the
// current context, take the target's rows for every node, verify, append the accepted
// tokens and the next token, and repeat until L tokens exist (L = tree depth + 1, so every
// level of the tree, and the bonus after a leaf, decides some trials). Lossless means the
// first n tokens, for every n <= L, follow the target's own distribution
// P(t_1) P(t_2 | t_1) ... P(t_n | t_1..t_{n-1}): a chi-square goodness-of-fit test over
// the V^n sequences. Fixed seeds make every outcome deterministic; a correct verifier
// passes at p-value > 1e-4 (a 1-in-10,000 bar per test, as in the token verifier's test).

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <memory>
#include <numeric>
#include <ostream>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "specrouter/sampling/sampling.h"
#include "specrouter/verifier.h"
#include "tree_verifier_test_support.h"

namespace tree_verifier_test {
namespace {

using specrouter::next_uniform;
using specrouter::sample_from_distribution;

constexpr int kTrials = 200'000;
constexpr double kSignificance = 1e-4;

// A toy language model: a fixed random next-token distribution for every context, made
// from (seed, context id) at first use. Context ids: 0 is the start of the text, and
// extend(c, t) names context c followed by token t (a bijective base-(V+1) numeral).
class ToyModel {
 public:
  // Each distribution: weights 0.1 + Exp(1), normalised and mixed with `base`'s distribution
  // at the same context as (1 - own_share) base + own_share own (when a base is given);
  // then each token loses its mass with probability `zero_chance`, while at least
  // `min_support` tokens keep some, and the rest is renormalised.
  ToyModel(int vocab, std::uint64_t seed, double zero_chance, int min_support, ToyModel* base = nullptr,
           double own_share = 1.0)
      : vocab_(vocab), seed_(seed), zero_chance_(zero_chance), min_support_(min_support), base_(base),
        own_share_(own_share) {}

  int vocab() const { return vocab_; }
  std::uint64_t extend(std::uint64_t context, TokenId token) const { return context * (vocab_ + 1) + token + 1; }

  // [vocab], sums to 1.
  const std::vector<float>& next(std::uint64_t context) {
    auto found = cache_.find(context);
    if (found != cache_.end()) return found->second;
    std::mt19937_64 rng(seed_ * 0x9E3779B97F4A7C15ull + context);
    std::vector<double> mixed(vocab_);
    for (double& w : mixed) w = 0.1 - std::log(1.0 - next_uniform(rng));
    const double own_total = std::accumulate(mixed.begin(), mixed.end(), 0.0);
    for (int v = 0; v < vocab_; ++v) {
      mixed[v] = own_share_ * mixed[v] / own_total + (base_ ? (1 - own_share_) * base_->next(context)[v] : 0.0);
    }
    std::vector<double> kept;
    for (int support = 0; support < min_support_;) {
      kept = mixed;
      support = 0;
      for (double& w : kept) {
        if (next_uniform(rng) < zero_chance_) w = 0;
        support += w > 0;
      }
    }
    const double total = std::accumulate(kept.begin(), kept.end(), 0.0);
    std::vector<float> row(vocab_);
    for (int v = 0; v < vocab_; ++v) row[v] = static_cast<float>(kept[v] / total);
    return cache_.emplace(context, std::move(row)).first->second;
  }

 private:
  int vocab_;
  std::uint64_t seed_;
  double zero_chance_;
  int min_support_;
  ToyModel* base_;
  double own_share_;
  std::unordered_map<std::uint64_t, std::vector<float>> cache_;
};

// How a drafter builds a tree's nodes, parents first, siblings in index order.
enum class Drafting {
  kIid,                    // each sibling drawn from q, independently (SpecInfer): lossless
  kWithoutReplacement,     // each sibling drawn from q without its earlier siblings' tokens, renormalised, that row reported: lossless
  kTopK,                   // siblings are q's most probable tokens, reported one-hot (deterministic): lossless
  kTopKReportedAsSampled,  // the same tokens, reported with q as if drawn from it: breaks the contract
  kIidDeduplicated,        // i.i.d., a token equal to an earlier sibling's dropped, reported with q: breaks the contract
};

const char* name_of(Drafting drafting) {
  switch (drafting) {
    case Drafting::kIid: return "Iid";
    case Drafting::kWithoutReplacement: return "WithoutReplacement";
    case Drafting::kTopK: return "TopKOneHot";
    case Drafting::kTopKReportedAsSampled: return "TopKReportedAsSampled";
    case Drafting::kIidDeduplicated: return "IidDeduplicated";
  }
  return "?";
}

// A drafted tree with the target's rows over it, ready to verify.
struct DraftedTree {
  Tokens tokens;
  Parents parents;
  std::vector<float> q;  // [k, V], or empty for one-hot
  std::vector<float> p;  // [k + 1, V]

  VerifyRequest request(int vocab) const {
    const auto k = static_cast<std::int64_t>(tokens.size());
    return {tokens, parents, {q.empty() ? nullptr : q.data(), q.empty() ? 0 : k, vocab}, {p.data(), k + 1, vocab},
            false};
  }
};

// Drafts the tree `shape` (a parents array) at `context`. A node whose token is dropped
// (deduplication, or no mass left without replacement) is left out with its subtree.
DraftedTree draft_tree(const Parents& shape, Drafting drafting, ToyModel& drafter, ToyModel& target,
                       std::uint64_t context, std::mt19937_64& rng) {
  const int vocab = drafter.vocab();
  DraftedTree tree;
  const std::vector<float>& root_row = target.next(context);
  tree.p.assign(root_row.begin(), root_row.end());
  std::vector<std::int32_t> index(shape.size(), -1);  // position in `tree` of each shape node, -1 if left out
  std::vector<std::uint64_t> node_context(shape.size());
  std::vector<Tokens> drawn(shape.size() + 1);  // tokens of the children drawn so far, per parent + 1
  for (std::size_t j = 0; j < shape.size(); ++j) {
    const std::int32_t parent = shape[j];
    if (parent >= 0 && index[parent] < 0) continue;
    const std::uint64_t parent_context = parent < 0 ? context : node_context[parent];
    const std::vector<float>& q = drafter.next(parent_context);
    Tokens& siblings = drawn[parent + 1];
    std::vector<float> row = q;
    TokenId token = 0;
    if (drafting == Drafting::kIid || drafting == Drafting::kIidDeduplicated) {
      token = sample_from_distribution(q, next_uniform(rng));
      if (drafting == Drafting::kIidDeduplicated && std::count(siblings.begin(), siblings.end(), token) > 0) continue;
    } else if (drafting == Drafting::kWithoutReplacement) {
      for (TokenId earlier : siblings) row[earlier] = 0;
      const double mass = std::accumulate(row.begin(), row.end(), 0.0);
      if (!(mass > 0)) continue;
      for (float& w : row) w = static_cast<float>(w / mass);
      token = sample_from_distribution(row, next_uniform(rng));
    } else {  // the (siblings + 1)-th most probable token, ties to the lowest id
      std::vector<TokenId> order(vocab);
      std::iota(order.begin(), order.end(), 0);
      std::stable_sort(order.begin(), order.end(), [&](TokenId a, TokenId b) { return q[a] > q[b]; });
      token = order[siblings.size() % vocab];
    }
    siblings.push_back(token);
    index[j] = static_cast<std::int32_t>(tree.tokens.size());
    tree.tokens.push_back(token);
    tree.parents.push_back(parent < 0 ? -1 : index[parent]);
    if (drafting != Drafting::kTopK) tree.q.insert(tree.q.end(), row.begin(), row.end());
    node_context[j] = drafter.extend(parent_context, token);
    const std::vector<float>& p_row = target.next(node_context[j]);
    tree.p.insert(tree.p.end(), p_row.begin(), p_row.end());
  }
  return tree;
}

int depth_of(const Parents& shape) {
  std::vector<int> depth(shape.size());
  int deepest = 0;
  for (std::size_t j = 0; j < shape.size(); ++j) deepest = std::max(deepest, depth[j] = shape[j] < 0 ? 1 : depth[shape[j]] + 1);
  return deepest;
}

using VerifyFn = std::function<Verdict(const VerifyRequest&, std::mt19937_64&)>;

struct Case {
  std::string name;
  Parents shape;
  int vocab;
  Drafting drafting;
};

// Names the case in test output (instead of its bytes).
void PrintTo(const Case& c, std::ostream* out) { *out << c.name; }

// counts[n - 1][sequence]: how often the first n tokens of text were `sequence`, numbered
// t_1 V^(n-1) + ... + t_n.
using Counts = std::vector<std::vector<std::int64_t>>;

class Experiment {
 public:
  explicit Experiment(const Case& c)
      : case_(c), length_(depth_of(c.shape) + 1), target_(c.vocab, 101, 0.15, 1),
        drafter_(c.vocab, 202, 0.15, 3, &target_, 0.6) {}

  Counts decode(const VerifyFn& verify, int trials = kTrials) {
    std::mt19937_64 draft_rng(11), verify_rng(12);
    Counts counts(length_);
    for (int n = 1; n <= length_; ++n) counts[n - 1].assign(static_cast<std::size_t>(std::pow(case_.vocab, n)), 0);
    for (int trial = 0; trial < trials; ++trial) {
      Tokens text;
      std::uint64_t context = 0;
      while (static_cast<int>(text.size()) < length_) {
        const DraftedTree tree = draft_tree(case_.shape, case_.drafting, drafter_, target_, context, draft_rng);
        const Verdict verdict = verify(tree.request(case_.vocab), verify_rng);
        for (std::int32_t node : verdict.accepted_path) text.push_back(tree.tokens[node]);
        text.push_back(verdict.next_token);
        for (std::size_t i = text.size() - verdict.accepted_path.size() - 1; i < text.size(); ++i) {
          context = target_.extend(context, text[i]);
        }
      }
      std::size_t sequence = 0;
      for (int n = 1; n <= length_; ++n) {
        sequence = sequence * case_.vocab + text[n - 1];
        ++counts[n - 1][sequence];
      }
    }
    return counts;
  }

  // One p-value per prefix length n = 1..L, also recorded in the test's XML output.
  std::vector<double> p_values(const Counts& counts, const std::string& label = "") {
    std::vector<double> out;
    std::string record;
    for (int n = 1; n <= length_; ++n) {
      out.push_back(goodness_of_fit(counts[n - 1], target_probabilities(n)));
      record += (n > 1 ? " " : "") + std::to_string(out.back());
    }
    ::testing::Test::RecordProperty("p_values_by_prefix_length" + label, record);
    return out;
  }

  ToyModel& target() { return target_; }
  ToyModel& drafter() { return drafter_; }

 private:
  // The target's probability of every sequence of n tokens from the start, numbered as in Counts.
  std::vector<double> target_probabilities(int n) {
    std::vector<double> probs = {1.0};
    std::vector<std::uint64_t> contexts = {0};
    for (int i = 0; i < n; ++i) {
      std::vector<double> longer;
      std::vector<std::uint64_t> longer_contexts;
      for (std::size_t s = 0; s < probs.size(); ++s) {
        const std::vector<float> row = target_.next(contexts[s]);
        for (int v = 0; v < case_.vocab; ++v) {
          longer.push_back(probs[s] * row[v]);
          longer_contexts.push_back(target_.extend(contexts[s], v));
        }
      }
      probs.swap(longer);
      contexts.swap(longer_contexts);
    }
    return probs;
  }

  Case case_;
  int length_;
  ToyModel target_, drafter_;
};

// ---- Lossless trees ---------------------------------------------------------------------------

const Parents kWidth2Depth1 = {-1, -1};
const Parents kWidth3Depth1 = {-1, -1, -1};
const Parents kWidth2Depth2 = {-1, -1, 0, 0, 1, 1};
const Parents kWidths321 = {-1, -1, -1, 0, 0, 1, 1, 2, 2, 3, 4, 5, 6, 7, 8};  // 3 roots, 2 children each, 1 grandchild each
const Parents kIrregularDepth3 = {-1, 0, 0, -1, 1, 3, 5};  // a root's subtree interleaved with the next root
const Parents kChain3 = {-1, 0, 1};

class LosslessTest : public ::testing::TestWithParam<Case> {
 protected:
  LosslessTest() : verifier_(make_tree_verifier(registries_)) {}
  VerifyFn verify() {
    return [this](const VerifyRequest& request, std::mt19937_64& rng) { return verifier_->verify(request, rng); };
  }
  specrouter::Registries registries_;
  std::shared_ptr<specrouter::Verifier> verifier_;
};

TEST_P(LosslessTest, DecodedTextFollowsTheTarget) {
  Experiment experiment(GetParam());
  const Counts counts = experiment.decode(verify());
  const std::vector<double> p = experiment.p_values(counts);
  for (std::size_t n = 1; n <= p.size(); ++n) EXPECT_GT(p[n - 1], kSignificance) << "first " << n << " tokens";
}

std::vector<Case> lossless_cases() {
  std::vector<Case> cases;
  const Drafting all[] = {Drafting::kIid, Drafting::kWithoutReplacement, Drafting::kTopK};
  const struct {
    const char* name;
    const Parents& shape;
    int vocab;
  } shapes[] = {{"Width2Depth1", kWidth2Depth1, 4}, {"Width3Depth1", kWidth3Depth1, 5},
                {"Width2Depth2", kWidth2Depth2, 6}, {"Widths321", kWidths321, 4}};
  for (const auto& shape : shapes) {
    for (Drafting drafting : all) {
      cases.push_back({std::string(shape.name) + "V" + std::to_string(shape.vocab) + name_of(drafting), shape.shape,
                       shape.vocab, drafting});
    }
  }
  cases.push_back({"IrregularDepth3V5Iid", kIrregularDepth3, 5, Drafting::kIid});
  cases.push_back({"IrregularDepth3V5TopKOneHot", kIrregularDepth3, 5, Drafting::kTopK});
  cases.push_back({"Chain3V5Iid", kChain3, 5, Drafting::kIid});
  return cases;
}

INSTANTIATE_TEST_SUITE_P(Trees, LosslessTest, ::testing::ValuesIn(lossless_cases()),
                         [](const ::testing::TestParamInfo<Case>& info) { return info.param.name; });

// ---- The check has teeth ------------------------------------------------------------------------

// The multi-candidate rule written plainly (double precision, normalised residual), with
// the residual update between siblings optional. Without it every sibling is tested
// against p itself and the recovered token comes from normalize(max(0, p - q)) of the
// last sibling: a chain verifier applied to each sibling in turn, which over-weights the
// tokens q favours.
Verdict plain_verify(const VerifyRequest& request, std::mt19937_64& rng, bool update_residual) {
  const ProbabilityRows& p = request.target_probs;
  const ProbabilityRows& q = request.draft_probs;
  const auto k = static_cast<std::int32_t>(request.draft_tokens.size());
  auto parent_of = [&](std::int32_t j) { return request.parents.empty() ? j - 1 : request.parents[j]; };
  Verdict verdict;
  for (std::int32_t node = -1;;) {
    const auto p_row = p.row(node + 1);
    std::vector<double> tested(p_row.begin(), p_row.end());  // what the next sibling is tested against
    std::vector<double> recovery = tested;                   // what the next token is drawn from
    std::int32_t accepted = -1;
    bool has_children = false;
    for (std::int32_t j = 0; j < k && accepted < 0; ++j) {
      if (parent_of(j) != node) continue;
      has_children = true;
      const TokenId x = request.draft_tokens[j];
      auto q_of = [&](std::int64_t v) { return q.empty() ? (v == x ? 1.0 : 0.0) : double{q.row(j)[v]}; };
      if (next_uniform(rng) * q_of(x) < tested[x]) {
        accepted = j;
        break;
      }
      std::vector<double> residual(p.vocab_size);
      double mass = 0;
      for (std::int64_t v = 0; v < p.vocab_size; ++v) mass += (residual[v] = std::max(0.0, tested[v] - q_of(v)));
      if (!(mass > 0)) continue;
      for (double& w : residual) w /= mass;
      recovery = residual;
      if (update_residual) tested = residual;
    }
    if (accepted >= 0) {
      verdict.accepted_path.push_back(accepted);
      node = accepted;
      continue;
    }
    const std::vector<float> weights(recovery.begin(), recovery.end());
    verdict.next_token = sample_from_distribution(weights, next_uniform(rng));
    verdict.bonus = !has_children;
    return verdict;
  }
}

VerifyFn plain(bool update_residual) {
  return [update_residual](const VerifyRequest& request, std::mt19937_64& rng) {
    return plain_verify(request, rng, update_residual);
  };
}

TEST(LosslessCheck, RejectsAVerifierThatSkipsTheResidualUpdateBetweenSiblings) {
  const Case c{"", kWidth3Depth1, 4, Drafting::kIid};
  Experiment with_update(c);
  for (double p : with_update.p_values(with_update.decode(plain(true)), "_with_update")) EXPECT_GT(p, kSignificance);
  Experiment without_update(c);
  const std::vector<double> p = without_update.p_values(without_update.decode(plain(false)), "_without_update");
  EXPECT_LT(p[0], kSignificance) << "the first token's distribution is wrong without the update";
}

// Trees drafted against the contract of VerifyRequest::draft_probs: lossless verification
// is impossible, and the check shows it, with the same verifier that passes above.
TEST(LosslessCheck, RejectsTreesDraftedAgainstTheContract) {
  specrouter::Registries registries;
  const std::shared_ptr<specrouter::Verifier> verifier = make_tree_verifier(registries);
  const VerifyFn verify = [&](const VerifyRequest& request, std::mt19937_64& rng) {
    return verifier->verify(request, rng);
  };
  for (const Case& c : {Case{"", kWidth2Depth1, 4, Drafting::kTopKReportedAsSampled},
                        Case{"", kWidth3Depth1, 4, Drafting::kIidDeduplicated}}) {
    Experiment experiment(c);
    const std::vector<double> p = experiment.p_values(experiment.decode(verify), std::string("_") + name_of(c.drafting));
    EXPECT_LT(*std::min_element(p.begin(), p.end()), kSignificance) << name_of(c.drafting);
  }
}

// ---- Acceptance -------------------------------------------------------------------------------------

// The exact mean number of accepted tokens below `node` of an i.i.d.-drafted tree: the
// i-th child is reached when every earlier one was rejected, and then accepted with token
// x with probability min(r_i(x), q(x)), where r_1 = p and r_{i+1} = normalize(max(0,
// r_i - q)); the residuals do not depend on which tokens were rejected.
double expected_accepted(const Parents& shape, std::int32_t node, std::uint64_t context, ToyModel& drafter,
                         ToyModel& target) {
  const std::vector<float> p = target.next(context), q = drafter.next(context);
  std::vector<double> residual(p.begin(), p.end());
  double reached = 1, expected = 0;
  for (std::int32_t child = 0; child < static_cast<std::int32_t>(shape.size()); ++child) {
    if (shape[child] != node) continue;
    std::vector<double> next(p.size());
    double rejected = 0;
    for (std::size_t x = 0; x < p.size(); ++x) {
      const double accept = std::min(residual[x], double{q[x]});
      if (accept > 0) {
        const std::uint64_t below = drafter.extend(context, static_cast<TokenId>(x));
        expected += reached * accept * (1 + expected_accepted(shape, child, below, drafter, target));
      }
      rejected += (next[x] = std::max(0.0, residual[x] - q[x]));
    }
    if (!(rejected > 0)) break;
    reached *= rejected;
    for (double& w : next) w /= rejected;
    residual = next;
  }
  return expected;
}

TEST(Acceptance, AWidth2TreeAcceptsMoreThanAChainOfTheSameDepth) {
  specrouter::Registries registries;
  const std::shared_ptr<specrouter::Verifier> verifier = make_tree_verifier(registries);
  constexpr int kVocab = 5, kSteps = 40'000;
  ToyModel target(kVocab, 303, 0.15, 1);
  ToyModel drafter(kVocab, 404, 0.15, 3, &target, 0.5);  // a mediocre drafter: roots are often rejected
  const Parents chain = {-1, 0}, tree = {-1, -1, 0, 1};
  std::vector<double> exact, measured;
  for (const Parents& shape : {chain, tree}) {
    std::mt19937_64 draft_rng(21), verify_rng(22);
    double sum = 0, sum_of_squares = 0;
    for (int step = 0; step < kSteps; ++step) {
      const DraftedTree drafted = draft_tree(shape, Drafting::kIid, drafter, target, 0, draft_rng);
      const auto accepted = static_cast<double>(verifier->verify(drafted.request(kVocab), verify_rng).accepted_path.size());
      sum += accepted;
      sum_of_squares += accepted * accepted;
    }
    const double mean = sum / kSteps;
    const double standard_error = std::sqrt((sum_of_squares / kSteps - mean * mean) / kSteps);
    exact.push_back(expected_accepted(shape, -1, 0, drafter, target));
    measured.push_back(mean);
    EXPECT_NEAR(mean, exact.back(), 5 * standard_error) << "tree of " << shape.size() << " nodes";
  }
  ::testing::Test::RecordProperty("mean_accepted_chain_tree",
                                  std::to_string(measured[0]) + " " + std::to_string(measured[1]) + " (exact " +
                                      std::to_string(exact[0]) + " " + std::to_string(exact[1]) + ")");
  EXPECT_GT(exact[1], exact[0] + 0.05);
  EXPECT_GT(measured[1], measured[0]);
}

}  // namespace
}  // namespace tree_verifier_test
