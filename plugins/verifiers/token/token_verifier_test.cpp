// Tests of the token verifier, through the registry as the harness uses it, including a
// statistical check that speculative sampling is lossless and that the check has teeth.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "specrouter/error.h"
#include "specrouter/plugin/registries.h"
#include "specrouter/verifier.h"

// Defined by SPECROUTER_PLUGIN in token_verifier.cpp.
void specrouter_register_token_verifier(specrouter::PluginRegistrar& registrar);

namespace {

using specrouter::ProbabilityRows;
using specrouter::TokenId;
using specrouter::Verdict;
using specrouter::VerifyRequest;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Tokens = std::vector<TokenId>;

constexpr int kVocab = 5;

// A view of row-major `[values.size() / kVocab, kVocab]` distributions.
ProbabilityRows rows_of(const std::vector<float>& values) {
  return {values.data(), static_cast<std::int64_t>(values.size()) / kVocab, kVocab};
}

class TokenVerifierTest : public ::testing::Test {
 protected:
  TokenVerifierTest() {
    specrouter::PluginRegistrar registrar;
    specrouter_register_token_verifier(registrar);
    registrar.commit(registries_);
    const auto& info = registries_.verifiers.at("token").info;
    verifier_ = registries_.verifiers.create(
        "token", specrouter::Params::from_specs("verifier 'token'", info.params));
  }

  Verdict verify(const Tokens& draft, const std::vector<float>& p, const std::vector<float>& q, bool greedy,
                 std::uint64_t seed = 1) {
    std::mt19937_64 rng(seed);
    return verifier_->verify({draft, {}, rows_of(q), rows_of(p), greedy}, rng);
  }

  specrouter::Registries registries_;
  std::shared_ptr<specrouter::Verifier> verifier_;
};

// ---- Greedy ------------------------------------------------------------------------

// Rows whose argmaxes are 1, 3, 0, 4.
const std::vector<float> kGreedyRows = {
    0.1f, 0.6f, 0.1f, 0.1f, 0.1f,  //
    0.2f, 0.1f, 0.1f, 0.5f, 0.1f,  //
    0.4f, 0.3f, 0.1f, 0.1f, 0.1f,  //
    0.1f, 0.1f, 0.1f, 0.1f, 0.6f,
};

TEST_F(TokenVerifierTest, GreedyAcceptsTheWholeMatchingDraftAndAddsTheBonus) {
  const Verdict verdict = verify({1, 3, 0}, kGreedyRows, {}, true);
  EXPECT_THAT(verdict.accepted_path, ElementsAre(0, 1, 2));
  EXPECT_EQ(verdict.next_token, 4);
  EXPECT_TRUE(verdict.bonus);
}

TEST_F(TokenVerifierTest, GreedyStopsAtTheFirstMismatchWithTheArgmax) {
  const Verdict verdict = verify({1, 2, 0}, kGreedyRows, {}, true);
  EXPECT_THAT(verdict.accepted_path, ElementsAre(0));
  EXPECT_EQ(verdict.next_token, 3);
  EXPECT_FALSE(verdict.bonus);

  const Verdict first_wrong = verify({0, 3, 0}, kGreedyRows, {}, true);
  EXPECT_TRUE(first_wrong.accepted_path.empty());
  EXPECT_EQ(first_wrong.next_token, 1);
}

TEST_F(TokenVerifierTest, GreedyEmptyDraftIsPlainDecoding) {
  const std::vector<float> p(kGreedyRows.begin(), kGreedyRows.begin() + kVocab);
  const Verdict verdict = verify({}, p, {}, true);
  EXPECT_TRUE(verdict.accepted_path.empty());
  EXPECT_EQ(verdict.next_token, 1);
  EXPECT_TRUE(verdict.bonus);
}

TEST_F(TokenVerifierTest, GreedyBreaksTiesTowardTheLowestIdAndUsesNoRandomness) {
  const std::vector<float> tied = {0.1f, 0.4f, 0.1f, 0.4f, 0.0f, 0.1f, 0.4f, 0.1f, 0.4f, 0.0f};
  std::mt19937_64 rng(7);
  const std::mt19937_64 before = rng;
  const Verdict verdict = verifier_->verify({Tokens{1}, {}, {}, rows_of(tied), true}, rng);
  EXPECT_THAT(verdict.accepted_path, ElementsAre(0));
  EXPECT_EQ(verdict.next_token, 1);
  EXPECT_EQ(rng, before);
}

// ---- Sampling: exact cases -----------------------------------------------------------

TEST_F(TokenVerifierTest, SamplingAlwaysAcceptsWhenTheTargetAgreesWithTheDraft) {
  for (std::uint64_t seed = 0; seed < 50; ++seed) {
    const Verdict verdict = verify({1, 3, 0}, kGreedyRows, {kGreedyRows.begin(), kGreedyRows.end() - kVocab}, false, seed);
    EXPECT_THAT(verdict.accepted_path, ElementsAre(0, 1, 2));
    EXPECT_TRUE(verdict.bonus);
  }
}

TEST_F(TokenVerifierTest, SamplingNeverCommitsATokenTheTargetExcludes) {
  // p gives token 2 no mass; the one-hot draft proposes it; the residual is p itself.
  const std::vector<float> p = {0.5f, 0.5f, 0.0f, 0.0f, 0.0f, 0.2f, 0.2f, 0.2f, 0.2f, 0.2f};
  for (std::uint64_t seed = 0; seed < 200; ++seed) {
    const Verdict verdict = verify({2}, p, {}, false, seed);
    EXPECT_TRUE(verdict.accepted_path.empty());
    EXPECT_THAT(verdict.next_token, ::testing::AnyOf(0, 1));
  }
}

TEST_F(TokenVerifierTest, EmptyResidualFallsBackToTheTarget) {
  // p == q, and the draft token has no mass under either: rejected with a zero residual.
  const std::vector<float> p = {0.0f, 1.0f, 0.0f, 0.0f, 0.0f, 0.2f, 0.2f, 0.2f, 0.2f, 0.2f};
  const std::vector<float> q(p.begin(), p.begin() + kVocab);
  const Verdict verdict = verify({0}, p, q, false);
  EXPECT_TRUE(verdict.accepted_path.empty());
  EXPECT_EQ(verdict.next_token, 1);
}

TEST_F(TokenVerifierTest, SamplingIsReproducibleAndDrawsAsDocumented) {
  const std::vector<float> p(20, 0.2f);
  const Tokens draft = {0, 1, 2};
  for (std::uint64_t seed = 0; seed < 100; ++seed) {
    std::mt19937_64 rng(seed), replay(seed);
    const VerifyRequest request{draft, {}, {}, rows_of(p), false};
    const Verdict verdict = verifier_->verify(request, rng);
    const Verdict again = verifier_->verify(request, replay);
    EXPECT_EQ(verdict.accepted_path, again.accepted_path);
    EXPECT_EQ(verdict.next_token, again.next_token);
    // One draw per examined draft token (accepted, plus the rejected one) and one for the next token.
    std::mt19937_64 expected(seed);
    expected.discard(verdict.accepted_path.size() + (verdict.bonus ? 0 : 1) + 1);
    EXPECT_EQ(rng, expected) << "seed " << seed;
  }
}

// ---- Refused requests --------------------------------------------------------------------

TEST_F(TokenVerifierTest, RefusesTreeDraftsButTakesLinearParents) {
  const std::vector<std::int32_t> tree = {-1, 0, 0};
  std::mt19937_64 rng(1);
  try {
    verifier_->verify({Tokens{1, 3, 0}, tree, {}, rows_of(kGreedyRows), true}, rng);
    ADD_FAILURE() << "a tree draft was accepted";
  } catch (const specrouter::ConfigError& error) {
    EXPECT_THAT(error.what(), HasSubstr("verifier 'token'"));
    EXPECT_THAT(error.what(), HasSubstr("tree"));
  }
  const std::vector<std::int32_t> chain = {-1, 0, 1};
  const Verdict verdict = verifier_->verify({Tokens{1, 3, 0}, chain, {}, rows_of(kGreedyRows), true}, rng);
  EXPECT_THAT(verdict.accepted_path, ElementsAre(0, 1, 2));
}

TEST_F(TokenVerifierTest, RefusesMisshapenRequests) {
  auto message = [&](const VerifyRequest& request) -> std::string {
    std::mt19937_64 rng(1);
    try {
      verifier_->verify(request, rng);
    } catch (const specrouter::Error& error) {
      return error.what();
    }
    return "(no error)";
  };
  const std::vector<float> q(15, 0.2f);
  EXPECT_THAT(message({Tokens{1, 3}, {}, {}, rows_of(kGreedyRows), true}), HasSubstr("target_probs"));
  EXPECT_THAT(message({Tokens{1, 3, 0}, {}, {}, {}, true}), HasSubstr("target_probs"));
  EXPECT_THAT(message({Tokens{1, 3, 0}, {}, {q.data(), 2, kVocab}, rows_of(kGreedyRows), false}),
              HasSubstr("draft_probs"));
  EXPECT_THAT(message({Tokens{1, 3, 0}, {}, {q.data(), 3, 4}, rows_of(kGreedyRows), false}),
              HasSubstr("draft_probs"));
  EXPECT_THAT(message({Tokens{1, 5, 0}, {}, {}, rows_of(kGreedyRows), true}), HasSubstr("draft token 1 is 5"));
  EXPECT_THAT(message({Tokens{1, -1, 0}, {}, {}, rows_of(kGreedyRows), false}), HasSubstr("draft token 1 is -1"));
}

// ---- Sampling: losslessness, statistically ---------------------------------------------
//
// Fixed p (k + 1 = 4 rows) and q (k = 3 rows) over 5 tokens. Drafts are drawn from q (or
// fixed, with q one-hot). Speculative sampling is lossless when, at every position i, the
// token committed there, among the trials that reached i, is distributed as p_i. Each
// position's counts get a chi-square goodness-of-fit test; with fixed seeds the outcome is
// deterministic, and a correct verifier passes at p-value > 1e-4 (a 1-in-10,000 bar per
// position, so a correct implementation essentially never fails with another seed).

constexpr int kDraftLength = 3;
constexpr int kTrials = 200'000;
constexpr double kSignificance = 1e-4;

const std::vector<float> kTargetProbs = {
    0.10f, 0.40f, 0.20f, 0.25f, 0.05f,  // differs a lot from q_0
    0.00f, 0.30f, 0.30f, 0.20f, 0.20f,  // token 0 impossible, though q_1 likes it
    0.20f, 0.20f, 0.20f, 0.20f, 0.20f,  // mass where q_2 has none
    0.05f, 0.05f, 0.30f, 0.30f, 0.30f,  // bonus row
};
const std::vector<float> kDraftProbs = {
    0.40f, 0.10f, 0.30f, 0.05f, 0.15f,  //
    0.50f, 0.10f, 0.10f, 0.20f, 0.10f,  //
    0.00f, 0.00f, 0.50f, 0.50f, 0.00f,
};
const Tokens kFixedDraft = {1, 3, 3};  // used with one-hot q

using VerifyFn = std::function<Verdict(const VerifyRequest&, std::mt19937_64&)>;

double uniform01(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

// Inverse-CDF draw from a normalized row (rounding past the end gives the last token with mass).
TokenId sample(std::span<const float> row, double u) {
  double cumulative = 0;
  TokenId last_with_mass = 0;
  for (int v = 0; v < kVocab; ++v) {
    if (row[v] <= 0) continue;
    cumulative += row[v];
    last_with_mass = v;
    if (u < cumulative) break;
  }
  return last_with_mass;
}

// Per position: how often each token was committed there, among trials that reached it.
using Counts = std::array<std::array<std::int64_t, kVocab>, kDraftLength + 1>;

Counts committed_counts(const VerifyFn& verify, bool one_hot_draft) {
  std::mt19937_64 draft_rng(11), verify_rng(12);
  Counts counts{};
  Tokens draft = kFixedDraft;
  const ProbabilityRows q = one_hot_draft ? ProbabilityRows{} : rows_of(kDraftProbs);
  for (int trial = 0; trial < kTrials; ++trial) {
    if (!one_hot_draft) {
      for (int i = 0; i < kDraftLength; ++i) draft[i] = sample(q.row(i), uniform01(draft_rng));
    }
    const Verdict verdict = verify({draft, {}, q, rows_of(kTargetProbs), false}, verify_rng);
    const std::size_t accepted = verdict.accepted_path.size();
    for (std::size_t i = 0; i < accepted; ++i) ++counts[i][draft[i]];
    ++counts[accepted][verdict.next_token];
  }
  return counts;
}

// P(X >= statistic) for X ~ chi-square(df): the regularized upper incomplete gamma
// Q(df/2, statistic/2), from Q(1, y) = e^-y or Q(1/2, y) = erfc(sqrt y) and
// Q(a + 1, y) = Q(a, y) + y^a e^-y / Gamma(a + 1).
double chi_square_p_value(double statistic, int df) {
  const double y = statistic / 2;
  double a = df % 2 == 0 ? 1.0 : 0.5;
  double tail = df % 2 == 0 ? std::exp(-y) : std::erfc(std::sqrt(y));
  for (; a < df / 2.0; a += 1) tail += std::exp(a * std::log(y) - y - std::lgamma(a + 1));
  return tail;
}

// Goodness of fit of `observed` to the distribution `expected` (tokens with no expected
// mass must never be observed; they are left out of the degrees of freedom).
double goodness_of_fit(const std::array<std::int64_t, kVocab>& observed, std::span<const float> expected) {
  std::int64_t total = 0;
  for (std::int64_t n : observed) total += n;
  double statistic = 0;
  int categories = 0;
  for (int v = 0; v < kVocab; ++v) {
    if (expected[v] == 0) {
      if (observed[v] > 0) return 0;  // an impossible token was committed
      continue;
    }
    const double mean = static_cast<double>(total) * expected[v];
    statistic += (observed[v] - mean) * (observed[v] - mean) / mean;
    ++categories;
  }
  return chi_square_p_value(statistic, categories - 1);
}

// One p-value per position, also recorded in the test's XML output (--gtest_output=xml).
std::vector<double> p_values(const Counts& counts) {
  std::vector<double> out;
  std::string record;
  for (int i = 0; i <= kDraftLength; ++i) {
    out.push_back(goodness_of_fit(counts[i], rows_of(kTargetProbs).row(i)));
    record += (i ? " " : "") + std::to_string(out.back());
  }
  ::testing::Test::RecordProperty("p_values_by_position", record);
  return out;
}

// A deliberately wrong speculative sampler: the same acceptance rule, but the recovered
// token is drawn from p instead of the residual max(0, p - q), which over-weights tokens
// the draft favours. The statistical test must reject it.
Verdict broken_verify(const VerifyRequest& request, std::mt19937_64& rng) {
  const ProbabilityRows& p = request.target_probs;
  const ProbabilityRows& q = request.draft_probs;
  Verdict verdict;
  for (std::int32_t i = 0; i < static_cast<std::int32_t>(request.draft_tokens.size()); ++i) {
    const TokenId x = request.draft_tokens[i];
    const double q_x = q.empty() ? 1.0 : q.row(i)[x];
    if (uniform01(rng) * q_x < p.row(i)[x]) {
      verdict.accepted_path.push_back(i);
      continue;
    }
    verdict.next_token = sample(p.row(i), uniform01(rng));  // the bug: not the residual
    return verdict;
  }
  verdict.next_token = sample(p.row(p.rows - 1), uniform01(rng));
  verdict.bonus = true;
  return verdict;
}

TEST(ChiSquare, PValuesMatchTables) {
  EXPECT_NEAR(chi_square_p_value(3.841, 1), 0.05, 1e-4);
  EXPECT_NEAR(chi_square_p_value(5.991, 2), 0.05, 1e-4);
  EXPECT_NEAR(chi_square_p_value(7.815, 3), 0.05, 1e-4);
  EXPECT_NEAR(chi_square_p_value(18.467, 4), 0.001, 1e-5);
  EXPECT_NEAR(chi_square_p_value(0, 4), 1.0, 1e-12);
}

TEST_F(TokenVerifierTest, SamplingIsLosslessForDraftsDrawnFromQ) {
  const auto verify = [&](const VerifyRequest& r, std::mt19937_64& rng) { return verifier_->verify(r, rng); };
  const Counts counts = committed_counts(verify, false);
  const std::vector<double> p = p_values(counts);
  for (int i = 0; i <= kDraftLength; ++i) EXPECT_GT(p[i], kSignificance) << "position " << i;
  std::int64_t reached_bonus = 0;
  for (std::int64_t n : counts[kDraftLength]) reached_bonus += n;
  EXPECT_GT(reached_bonus, 10'000) << "too few trials reached the bonus row to test it";
}

TEST_F(TokenVerifierTest, SamplingIsLosslessForOneHotDrafts) {
  const auto verify = [&](const VerifyRequest& r, std::mt19937_64& rng) { return verifier_->verify(r, rng); };
  const std::vector<double> p = p_values(committed_counts(verify, true));
  for (int i = 0; i <= kDraftLength; ++i) EXPECT_GT(p[i], kSignificance) << "position " << i;
}

TEST_F(TokenVerifierTest, LosslessnessCheckCatchesARecoveredTokenDrawnFromP) {
  EXPECT_LT(p_values(committed_counts(broken_verify, false))[0], kSignificance);
  EXPECT_LT(p_values(committed_counts(broken_verify, true))[0], kSignificance);
}

}  // namespace
