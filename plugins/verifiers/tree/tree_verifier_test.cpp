// Tests of the tree verifier on hand-made trees, its refusals, and its agreement with the
// token verifier on chains. The statistical tests are in tree_verifier_lossless_test.cpp.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "specrouter/error.h"
#include "specrouter/plugin/plugin_loader.h"
#include "specrouter/plugin/registries.h"
#include "specrouter/sampling/sampling.h"
#include "specrouter/verifier.h"
#include "tree_verifier_test_support.h"

namespace tree_verifier_test {
namespace {

using ::testing::AnyOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr int kVocab = 5;

// A view of row-major `[values.size() / kVocab, kVocab]` distributions.
ProbabilityRows rows_of(const std::vector<float>& values) {
  return {values.data(), static_cast<std::int64_t>(values.size()) / kVocab, kVocab};
}

// One row per entry of `argmaxes`: 0.6 on the argmax, 0.1 elsewhere.
std::vector<float> peaked_rows(const std::vector<TokenId>& argmaxes) {
  std::vector<float> rows(argmaxes.size() * kVocab, 0.1f);
  for (std::size_t r = 0; r < argmaxes.size(); ++r) rows[r * kVocab + argmaxes[r]] = 0.6f;
  return rows;
}

class TreeVerifierTest : public ::testing::Test {
 protected:
  TreeVerifierTest() : verifier_(make_tree_verifier(registries_)) {}

  Verdict greedy(const Tokens& draft, const Parents& parents, const std::vector<float>& p) {
    std::mt19937_64 rng(1);
    return verifier_->verify({draft, parents, {}, rows_of(p), true}, rng);
  }

  Verdict sample(const Tokens& draft, const Parents& parents, const std::vector<float>& p,
                 const std::vector<float>& q, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    return verifier_->verify({draft, parents, rows_of(q), rows_of(p), false}, rng);
  }

  specrouter::Registries registries_;
  std::shared_ptr<specrouter::Verifier> verifier_;
};

// ---- Greedy, worked out by hand -------------------------------------------------------------
//
// The tree of kParents / kTokens (node: token), roots first:
//
//   prefix ─┬─ 0: 1 ─┬─ 2: 0 ── 5: 1
//           │        └─ 3: 3
//           └─ 1: 2 ──── 4: 4
//
// Row 0 of p follows the prefix, row j+1 follows node j.
const Parents kParents = {-1, -1, 0, 0, 1, 2};
const Tokens kTokens = {1, 2, 0, 3, 4, 1};

TEST_F(TreeVerifierTest, GreedyFollowsTheMatchingBranchToALeafAndAddsTheBonus) {
  // argmax after: prefix 2 (node 1), node 1 4 (node 4, a leaf), node 4 3 (the bonus).
  const Verdict verdict = greedy(kTokens, kParents, peaked_rows({2, 0, 4, 4, 1, 3, 2}));
  EXPECT_THAT(verdict.accepted_path, ElementsAre(1, 4));
  EXPECT_EQ(verdict.next_token, 3);
  EXPECT_TRUE(verdict.bonus);
}

TEST_F(TreeVerifierTest, GreedyTriesEverySiblingBeforeStopping) {
  // Prefix -> node 0 (token 1); node 0 -> node 3 (token 3, its second child), a leaf.
  const Verdict to_leaf = greedy(kTokens, kParents, peaked_rows({1, 3, 4, 4, 1, 3, 2}));
  EXPECT_THAT(to_leaf.accepted_path, ElementsAre(0, 3));
  EXPECT_EQ(to_leaf.next_token, 1);
  EXPECT_TRUE(to_leaf.bonus);
}

TEST_F(TreeVerifierTest, GreedyStopsWhereNoChildMatches) {
  // Prefix -> node 0 -> node 2; node 2's only child has token 1, the argmax is 4: recovered.
  const Verdict inner = greedy(kTokens, kParents, peaked_rows({1, 0, 4, 4, 1, 3, 2}));
  EXPECT_THAT(inner.accepted_path, ElementsAre(0, 2));
  EXPECT_EQ(inner.next_token, 4);
  EXPECT_FALSE(inner.bonus);

  const Verdict at_root = greedy(kTokens, kParents, peaked_rows({3, 0, 4, 4, 1, 3, 2}));
  EXPECT_THAT(at_root.accepted_path, IsEmpty());
  EXPECT_EQ(at_root.next_token, 3);
  EXPECT_FALSE(at_root.bonus);
}

TEST_F(TreeVerifierTest, GreedyBreaksTiesTowardTheLowestTokenId) {
  // The prefix's argmax is tied between 1 and 3: node 1 (token 1) is accepted, although
  // node 0 (token 3) comes first; the bonus row is tied between 1 and 3 as well.
  const std::vector<float> p = {
      0.1f, 0.4f, 0.1f, 0.4f, 0.0f,  //
      0.6f, 0.1f, 0.1f, 0.1f, 0.1f,  //
      0.0f, 0.45f, 0.0f, 0.45f, 0.1f,
  };
  const Verdict verdict = greedy({3, 1}, {-1, -1}, p);
  EXPECT_THAT(verdict.accepted_path, ElementsAre(1));
  EXPECT_EQ(verdict.next_token, 1);
  EXPECT_TRUE(verdict.bonus);
}

TEST_F(TreeVerifierTest, GreedyFollowsTheFirstOfDuplicateSiblings) {
  //   prefix ─┬─ 0: 2 ── 2: 0
  //           └─ 1: 2 ── 3: 4
  // Both roots match; node 0 comes first and is followed, though node 3 would match too.
  const Verdict verdict = greedy({2, 2, 0, 4}, {-1, -1, 0, 1}, peaked_rows({2, 4, 4, 1, 0}));
  EXPECT_THAT(verdict.accepted_path, ElementsAre(0));
  EXPECT_EQ(verdict.next_token, 4);
  EXPECT_FALSE(verdict.bonus);
}

TEST_F(TreeVerifierTest, GreedyTakesChildrenInIndexOrderWhateverTheLayout) {
  //   prefix ─┬─ 0: 0 ─┬─ 1: 1 ── 3: 2
  //           │        └─ 5: 2
  //           └─ 2: 3 ──── 4: 4
  const Parents parents = {-1, 0, -1, 1, 2, 0};
  const Tokens tokens = {0, 1, 3, 2, 4, 2};
  const Verdict second_root = greedy(tokens, parents, peaked_rows({3, 0, 0, 4, 0, 1, 0}));
  EXPECT_THAT(second_root.accepted_path, ElementsAre(2, 4));
  EXPECT_EQ(second_root.next_token, 1);
  EXPECT_TRUE(second_root.bonus);

  const Verdict late_sibling = greedy(tokens, parents, peaked_rows({0, 2, 0, 0, 0, 0, 3}));
  EXPECT_THAT(late_sibling.accepted_path, ElementsAre(0, 5));
  EXPECT_EQ(late_sibling.next_token, 3);
  EXPECT_TRUE(late_sibling.bonus);
}

TEST_F(TreeVerifierTest, EmptyDraftIsPlainDecoding) {
  const std::vector<float> p = peaked_rows({3});
  const Verdict verdict = greedy({}, {}, p);
  EXPECT_THAT(verdict.accepted_path, IsEmpty());
  EXPECT_EQ(verdict.next_token, 3);
  EXPECT_TRUE(verdict.bonus);

  const std::vector<float> one_hot = {0, 0, 1, 0, 0};
  const Verdict sampled = sample({}, {}, one_hot, {}, 7);
  EXPECT_THAT(sampled.accepted_path, IsEmpty());
  EXPECT_EQ(sampled.next_token, 2);
  EXPECT_TRUE(sampled.bonus);
}

TEST_F(TreeVerifierTest, GreedyUsesNoRandomness) {
  std::mt19937_64 rng(7);
  const std::mt19937_64 before = rng;
  const std::vector<float> p = peaked_rows({2, 0, 4, 4, 1, 3, 2});
  verifier_->verify({kTokens, kParents, {}, rows_of(p), true}, rng);
  EXPECT_EQ(rng, before);
}

// ---- Sampling: exact cases --------------------------------------------------------------------

TEST_F(TreeVerifierTest, SamplingAlwaysAcceptsAFirstChildDrawnFromTheTarget) {
  // q of every node is p at its parent: the first child is always accepted, down to a leaf.
  const std::vector<float> p = peaked_rows({2, 0, 4, 4, 1, 3, 2});
  std::vector<float> q;
  for (std::int32_t parent : kParents) {
    const auto row = rows_of(p).row(parent + 1);
    q.insert(q.end(), row.begin(), row.end());
  }
  for (std::uint64_t seed = 0; seed < 50; ++seed) {
    const Verdict verdict = sample(kTokens, kParents, p, q, seed);
    EXPECT_THAT(verdict.accepted_path, ElementsAre(0, 2, 5));
    EXPECT_TRUE(verdict.bonus);
  }
}

TEST_F(TreeVerifierTest, SamplingNeverCommitsATokenTheTargetExcludes) {
  // p after the prefix allows tokens 0 and 1 only; the roots propose 2, 3 and 4.
  std::vector<float> p = peaked_rows({0, 0, 0, 0});
  std::copy_n(std::vector<float>{0.5f, 0.5f, 0, 0, 0}.begin(), kVocab, p.begin());
  const std::vector<float> q(3 * kVocab, 0.2f);
  for (std::uint64_t seed = 0; seed < 200; ++seed) {
    for (const std::vector<float>& draft_q : {std::vector<float>{}, q}) {
      const Verdict verdict = sample({2, 3, 4}, {-1, -1, -1}, p, draft_q, seed);
      EXPECT_THAT(verdict.accepted_path, IsEmpty());
      EXPECT_THAT(verdict.next_token, AnyOf(0, 1));
      EXPECT_FALSE(verdict.bonus);
    }
  }
}

TEST_F(TreeVerifierTest, AnEmptiedResidualKeepsTheDistributionBeforeTheRejection) {
  // p == q, and the first root's token has no mass under either: rejected, and
  // max(0, p - q) is empty. The residual stays p: the next root, or the next token, is 1.
  const std::vector<float> p = {0, 1, 0, 0, 0, 0.2f, 0.2f, 0.2f, 0.2f, 0.2f, 0.2f, 0.2f, 0.2f, 0.2f, 0.2f};
  const std::vector<float> q = {0, 1, 0, 0, 0, 0, 1, 0, 0, 0};
  const Verdict alone = sample({0}, {-1}, {p.begin(), p.begin() + 2 * kVocab}, {q.begin(), q.begin() + kVocab}, 1);
  EXPECT_THAT(alone.accepted_path, IsEmpty());
  EXPECT_EQ(alone.next_token, 1);
  const Verdict with_sibling = sample({0, 1}, {-1, -1}, p, q, 1);
  EXPECT_THAT(with_sibling.accepted_path, ElementsAre(1));
}

// Random trees: node j's parent uniform in [-1, j), tokens uniform, q rows random.
struct RandomTree {
  Tokens tokens;
  Parents parents;
  std::vector<float> q;  // [k, kVocab]
};

RandomTree random_tree(std::mt19937_64& rng, int max_nodes) {
  RandomTree tree;
  const int k = static_cast<int>(rng() % (max_nodes + 1));
  for (int j = 0; j < k; ++j) {
    tree.parents.push_back(static_cast<std::int32_t>(rng() % (j + 1)) - 1);
    tree.tokens.push_back(static_cast<TokenId>(rng() % kVocab));
    double total = 0;
    std::vector<double> row(kVocab);
    for (double& w : row) total += (w = specrouter::next_uniform(rng) + 0.01);
    for (double w : row) tree.q.push_back(static_cast<float>(w / total));
  }
  return tree;
}

TEST_F(TreeVerifierTest, SamplingWithOneHotTargetRowsGivesTheGreedyVerdict) {
  std::mt19937_64 rng(3);
  for (int trial = 0; trial < 2000; ++trial) {
    const RandomTree tree = random_tree(rng, 9);
    std::vector<TokenId> argmaxes;
    for (std::size_t r = 0; r <= tree.tokens.size(); ++r) argmaxes.push_back(static_cast<TokenId>(rng() % kVocab));
    std::vector<float> p(argmaxes.size() * kVocab, 0.0f);
    for (std::size_t r = 0; r < argmaxes.size(); ++r) p[r * kVocab + argmaxes[r]] = 1.0f;
    const Verdict expected = greedy(tree.tokens, tree.parents, p);
    for (const std::vector<float>& q : {std::vector<float>{}, tree.q}) {
      const Verdict verdict = sample(tree.tokens, tree.parents, p, q, trial);
      EXPECT_EQ(verdict.accepted_path, expected.accepted_path) << "trial " << trial;
      EXPECT_EQ(verdict.next_token, expected.next_token) << "trial " << trial;
      EXPECT_EQ(verdict.bonus, expected.bonus) << "trial " << trial;
    }
  }
}

TEST_F(TreeVerifierTest, SamplingDrawsOncePerExaminedChildAndOnceForTheNextToken) {
  std::mt19937_64 tree_rng(5);
  for (std::uint64_t seed = 0; seed < 500; ++seed) {
    const RandomTree tree = random_tree(tree_rng, 9);
    const std::vector<float> p((tree.tokens.size() + 1) * kVocab, 0.2f);
    std::mt19937_64 rng(seed), replay(seed);
    const VerifyRequest request{tree.tokens, tree.parents, rows_of(tree.q), rows_of(p), false};
    const Verdict verdict = verifier_->verify(request, rng);
    const Verdict again = verifier_->verify(request, replay);
    EXPECT_EQ(verdict.accepted_path, again.accepted_path);
    EXPECT_EQ(verdict.next_token, again.next_token);
    // Children are examined in index order: up to the accepted one, or all of them.
    std::uint64_t examined = 0;
    std::int32_t node = -1;
    for (std::size_t level = 0; level <= verdict.accepted_path.size(); ++level) {
      const std::int32_t stop = level < verdict.accepted_path.size() ? verdict.accepted_path[level] : -1;
      for (std::size_t j = 0; j < tree.parents.size(); ++j) {
        if (tree.parents[j] != node) continue;
        ++examined;
        if (static_cast<std::int32_t>(j) == stop) break;
      }
      node = stop;
    }
    std::mt19937_64 expected(seed);
    expected.discard(examined + 1);
    EXPECT_EQ(rng, expected) << "seed " << seed;
  }
}

// ---- Refused requests -----------------------------------------------------------------------------

TEST_F(TreeVerifierTest, RefusesMisshapenRequestsNamingTheField) {
  auto message = [&](const VerifyRequest& request) -> std::string {
    std::mt19937_64 rng(1);
    try {
      verifier_->verify(request, rng);
    } catch (const specrouter::UsageError& error) {
      EXPECT_THAT(error.what(), HasSubstr("verifier 'tree': "));
      return error.what();
    }
    return "(no error)";
  };
  const std::vector<float> p = peaked_rows({1, 2, 3, 4});
  const std::vector<float> q(15, 0.2f);
  const Tokens draft = {1, 2, 3};
  EXPECT_THAT(message({draft, Parents{-1, 0}, {}, rows_of(p), true}), HasSubstr("parents has 2 entries for 3"));
  EXPECT_THAT(message({draft, Parents{-1, 2, 0}, {}, rows_of(p), true}), HasSubstr("parents[1] is 2"));
  EXPECT_THAT(message({draft, Parents{-1, 1, 0}, {}, rows_of(p), true}), HasSubstr("parents[1] is 1"));
  EXPECT_THAT(message({draft, Parents{-2, 0, 0}, {}, rows_of(p), true}), HasSubstr("parents[0] is -2"));
  EXPECT_THAT(message({draft, Parents{0, -1, -1}, {}, rows_of(p), true}), HasSubstr("parents[0] is 0"));
  EXPECT_THAT(message({draft, Parents{-1, -1, -1}, {}, {p.data(), 3, kVocab}, true}),
              HasSubstr("target_probs must be [k + 1 = 4, vocab]"));
  EXPECT_THAT(message({draft, {}, {}, {}, false}), HasSubstr("target_probs"));
  EXPECT_THAT(message({draft, {}, {q.data(), 2, kVocab}, rows_of(p), false}), HasSubstr("draft_probs must be"));
  EXPECT_THAT(message({draft, {}, {q.data(), 3, 4}, rows_of(p), false}), HasSubstr("draft_probs must be"));
  EXPECT_THAT(message({Tokens{1, 5, 0}, {}, {}, rows_of(p), true}), HasSubstr("draft token 1 is 5"));
  EXPECT_THAT(message({Tokens{1, -1, 0}, Parents{-1, -1, 0}, {}, rows_of(p), false}),
              HasSubstr("draft token 1 is -1"));
  const std::vector<float> no_mass(2 * kVocab, 0.0f);
  EXPECT_THAT(message({Tokens{1}, {}, {}, rows_of(no_mass), false}),
              HasSubstr("target_probs row 0 has no probability mass"));
  // Greedy never reads q, so its shape is not checked there (as in the token verifier).
  EXPECT_EQ(message({draft, {}, {q.data(), 2, kVocab}, rows_of(p), true}), "(no error)");
}

// ---- Chains: the token verifier's verdicts ------------------------------------------------------
//
// On a chain, the tree verifier makes the token verifier's draws and decisions. Its module
// is loaded from the build's plugin folder, the way the harness finds it.

class ChainTest : public TreeVerifierTest {
 protected:
  void SetUp() override {
    const std::filesystem::path library = std::filesystem::path(SPECROUTER_TEST_PLUGIN_DIR) / "libtoken_verifier.so";
    if (!std::filesystem::exists(library)) GTEST_SKIP() << library << " is not built (no token verifier plugin)";
    specrouter::PluginLoader(token_registries_).load_file(library);
    token_ = token_registries_.verifiers.create(
        "token", specrouter::Params::from_specs("verifier 'token'", token_registries_.verifiers.at("token").info.params));
  }

  specrouter::Registries token_registries_;
  std::shared_ptr<specrouter::Verifier> token_;
};

TEST_F(ChainTest, TreeAndTokenVerifiersGiveTheSameVerdictsAndDraws) {
  std::mt19937_64 rng(17);
  int rejections_seen = 0;
  for (std::uint64_t seed = 0; seed < 20'000; ++seed) {
    const int k = static_cast<int>(rng() % 6);
    // Random rows, a token sometimes excluded; q concentrated where p is not.
    auto random_rows = [&](int rows) {
      std::vector<float> values;
      for (int r = 0; r < rows; ++r) {
        std::vector<double> w(kVocab);
        double total = 0;
        for (double& x : w) total += (x = rng() % 4 == 0 ? 0.0 : specrouter::next_uniform(rng));
        if (total == 0) total += (w[0] = 1);
        for (double x : w) values.push_back(static_cast<float>(x / total));
      }
      return values;
    };
    const std::vector<float> p = random_rows(k + 1);
    const std::vector<float> q = seed % 3 == 0 ? std::vector<float>{} : random_rows(k);
    Tokens draft;
    for (int i = 0; i < k; ++i) {
      draft.push_back(q.empty() ? static_cast<TokenId>(rng() % kVocab)
                                : specrouter::sample_from_distribution(rows_of(q).row(i), specrouter::next_uniform(rng)));
    }
    Parents chain;
    for (int i = 0; i < k; ++i) chain.push_back(i - 1);
    for (const bool greedy : {true, false}) {
      for (const Parents& parents : {Parents{}, chain}) {
        const VerifyRequest request{draft, parents, rows_of(q), rows_of(p), greedy};
        std::mt19937_64 tree_rng(seed), token_rng(seed);
        const Verdict tree = verifier_->verify(request, tree_rng);
        const Verdict token = token_->verify(request, token_rng);
        ASSERT_EQ(tree.accepted_path, token.accepted_path) << "seed " << seed << " greedy " << greedy;
        ASSERT_EQ(tree.next_token, token.next_token) << "seed " << seed << " greedy " << greedy;
        ASSERT_EQ(tree.bonus, token.bonus) << "seed " << seed << " greedy " << greedy;
        ASSERT_EQ(tree_rng, token_rng) << "seed " << seed << " greedy " << greedy;
        rejections_seen += !greedy && !tree.bonus;
      }
    }
  }
  EXPECT_GT(rejections_seen, 5'000) << "too few rejections to compare the residuals";
}

TEST(TreeVerifierModule, LoadsFromThePluginFolderAsVerifierTree) {
  specrouter::Registries registries;
  specrouter::PluginLoader(registries).load_file(std::filesystem::path(SPECROUTER_TEST_PLUGIN_DIR) /
                                                 "libtree_verifier.so");
  const auto& info = registries.verifiers.at("tree").info;
  EXPECT_TRUE(info.params.empty());
  auto verifier = registries.verifiers.create("tree", specrouter::Params::from_specs("verifier 'tree'", info.params));
  std::mt19937_64 rng(1);
  const std::vector<float> p = peaked_rows({2, 0, 4, 4, 1, 3, 2});
  const Verdict verdict = verifier->verify({kTokens, kParents, {}, rows_of(p), true}, rng);
  EXPECT_THAT(verdict.accepted_path, ElementsAre(1, 4));
}

}  // namespace
}  // namespace tree_verifier_test
