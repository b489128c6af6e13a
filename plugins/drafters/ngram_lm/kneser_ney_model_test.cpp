// Tests of the Kneser-Ney model behind the ngram_lm drafter: probabilities worked out by
// hand, the discount estimate, normalization, and the tables against the textbook formula
// evaluated the slow way on random corpora.

#include "kneser_ney_model.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <numeric>
#include <random>
#include <set>
#include <vector>

#include "specrouter/error.h"

namespace {

using specrouter::TokenId;
using specrouter::ngram_lm::CountsOfCounts;
using specrouter::ngram_lm::Discounts;
using specrouter::ngram_lm::KneserNeyModel;
using Tokens = std::vector<TokenId>;

// most_probable() with fresh working space.
std::pair<TokenId, double> most_probable(const KneserNeyModel& model, const Tokens& context) {
  std::vector<double> scratch(static_cast<std::size_t>(model.vocab_size()), -1.0);
  std::vector<TokenId> touched;
  const auto result = model.most_probable(context, scratch, touched);
  EXPECT_TRUE(std::all_of(scratch.begin(), scratch.end(), [](double x) { return x == -1.0; })) << "scratch restored";
  return result;
}

std::vector<double> distribution(const KneserNeyModel& model, const Tokens& context) {
  std::vector<double> row(static_cast<std::size_t>(model.vocab_size()));
  model.distribution(context, row);
  return row;
}

void expect_row(const std::vector<double>& actual, const std::vector<double>& expected, const char* what) {
  ASSERT_EQ(actual.size(), expected.size()) << what;
  for (std::size_t w = 0; w < expected.size(); ++w) EXPECT_NEAR(actual[w], expected[w], 1e-12) << what << ", token " << w;
}

// Corpus 0 1 0 2 0 1, vocabulary {0, 1, 2, 3}, discount D = 0.5 everywhere.
const Tokens kSmallCorpus = {0, 1, 0, 2, 0, 1};

// Unigrams, with continuation counts N1+(• w) (distinct tokens seen right before w):
//   0 follows 1 and 2 -> 2;  1 follows 0 -> 1;  2 follows 0 -> 1;  3 never -> 0.   A = 4.
//   gamma = 3 · 0.5 / 4 = 0.375, so each token also gets 0.375 / 4 = 0.09375:
//   P1 = [1.5/4, 0.5/4, 0.5/4, 0] + 0.09375 = [0.46875, 0.21875, 0.21875, 0.09375].
const std::vector<double> kUnigram = {0.46875, 0.21875, 0.21875, 0.09375};

TEST(KneserNeyModel, BigramProbabilitiesByHand) {
  const KneserNeyModel model(kSmallCorpus, 2, 4, 0.5);
  // The highest order uses raw counts: after 0 came 1 (twice) and 2 (once); A = 3.
  //   gamma(0) = 2 · 0.5 / 3 = 1/3.
  //   P(0|0) = P1(0)/3 = 0.15625          P(1|0) = 1.5/3 + P1(1)/3 = 0.5 + 0.0729166..
  //   P(2|0) = 0.5/3 + P1(2)/3            P(3|0) = P1(3)/3 = 0.03125
  expect_row(distribution(model, {0}), {0.15625, 0.5 + 0.21875 / 3, 1.0 / 6 + 0.21875 / 3, 0.03125}, "after 0");
  // After 1 came 0 once: P(0|1) = 0.5 + 0.5 · P1(0), the rest 0.5 · P1.
  expect_row(distribution(model, {1}), {0.734375, 0.109375, 0.109375, 0.046875}, "after 1");
  // No context, an unseen one (3 never precedes anything) and an out-of-range id: P1.
  expect_row(distribution(model, {}), kUnigram, "no context");
  expect_row(distribution(model, {3}), kUnigram, "after 3");
  expect_row(distribution(model, {7}), kUnigram, "after 7");
  expect_row(distribution(model, {-1}), kUnigram, "after -1");
  EXPECT_EQ(most_probable(model, {0}).first, 1);
  EXPECT_NEAR(most_probable(model, {0}).second, 0.5 + 0.21875 / 3, 1e-12);
  EXPECT_EQ(most_probable(model, {3}).first, 0);  // the unigram's top, untouched by any share
  EXPECT_NEAR(most_probable(model, {3}).second, 0.46875, 1e-12);
  // Only the last token matters at order 2.
  expect_row(distribution(model, {3, 2, 1}), distribution(model, {1}), "long context");
}

TEST(KneserNeyModel, TrigramUsesContinuationCountsBelowTheTop) {
  const KneserNeyModel model(kSmallCorpus, 3, 4, 0.5);
  // Trigrams (raw counts, all 1): 0 1 0, 1 0 2, 0 2 0, 2 0 1.
  // Bigrams get continuation counts, one per distinct trigram ending in them:
  //   1 0 <- (0 1 0); 0 2 <- (1 0 2); 2 0 <- (0 2 0); 0 1 <- (2 0 1)  -> all 1,
  // although "0 1" occurs twice in the text (its raw count, used at order 2 above, is 2).
  // Unigrams as above (P1). Context 0 at order 2: followers 1 and 2 with 1 each, A = 2,
  //   gamma = 0.5: P2(·|0) = [0, 0.25, 0.25, 0] + 0.5 · P1 = [0.234375, 0.359375, 0.359375, 0.046875].
  const std::vector<double> after_0 = {0.234375, 0.359375, 0.359375, 0.046875};
  expect_row(distribution(model, {0}), after_0, "after 0 (order 2 is the top usable)");
  expect_row(distribution(model, {3, 0}), after_0, "after 3 0 (unseen trigram context)");
  // Context 1 0: only 2 followed, A = 1, gamma = 0.5: P3 = [0, 0, 0.5, 0] + 0.5 · P2(·|0).
  expect_row(distribution(model, {1, 0}), {0.1171875, 0.1796875, 0.6796875, 0.0234375}, "after 1 0");
  // Context 0 1: 0 followed. P2(·|1) = [0.5, 0, 0, 0] + 0.5 · P1 = [0.734375, 0.109375, 0.109375, 0.046875],
  //   P3(·|0 1) = [0.5, 0, 0, 0] + 0.5 · P2(·|1).
  expect_row(distribution(model, {0, 1}), {0.8671875, 0.0546875, 0.0546875, 0.0234375}, "after 0 1");
  EXPECT_EQ(model.context_count(3), 4u);  // 0 1, 1 0, 0 2, 2 0
  EXPECT_EQ(model.context_count(2), 3u);  // 0, 1, 2
  EXPECT_EQ(model.context_count(1), 1u);  // the empty context
}

TEST(KneserNeyModel, ModifiedDiscountsFollowChenAndGoodman) {
  // n1 = 2, n2 = 1, n3 = 1, n4 = 1: Y = 2 / (2 + 2) = 0.5;
  // D1 = 1 - 2 · 0.5 · 1/2 = 0.5, D2 = 2 - 3 · 0.5 · 1/1 = 0.5, D3+ = 3 - 4 · 0.5 · 1/1 = 1.
  const Discounts estimated = specrouter::ngram_lm::estimate_discounts({2, 1, 1, 1});
  EXPECT_TRUE(estimated.estimated);
  EXPECT_DOUBLE_EQ(estimated.one, 0.5);
  EXPECT_DOUBLE_EQ(estimated.two, 0.5);
  EXPECT_DOUBLE_EQ(estimated.three_plus, 1.0);
  EXPECT_DOUBLE_EQ(estimated.for_count(7), 1.0);

  // A missing count of counts, or a discount outside (0, k]: KenLM's fallback.
  for (const CountsOfCounts& counts : {CountsOfCounts{2, 1, 1, 0}, CountsOfCounts{0, 1, 1, 1},
                                       CountsOfCounts{1, 1, 10, 1} /* D2 = 2 - 3 · (1/3) · 10 < 0 */}) {
    const Discounts fallback = specrouter::ngram_lm::estimate_discounts(counts);
    EXPECT_FALSE(fallback.estimated);
    EXPECT_DOUBLE_EQ(fallback.one, 0.5);
    EXPECT_DOUBLE_EQ(fallback.two, 1.0);
    EXPECT_DOUBLE_EQ(fallback.three_plus, 1.5);
  }
}

TEST(KneserNeyModel, UnigramWithEstimatedDiscountsByHand) {
  // Order 1 counts raw: token 0 once, 1 once, 2 twice, 3 three times, 4 four times, 5 never;
  // counts of counts (2, 1, 1, 1), so D1 = 0.5, D2 = 0.5, D3+ = 1 (previous test). A = 11;
  // gamma = (0.5 + 0.5 + 0.5 + 1 + 1) / 11 = 3.5/11, spread over 6 tokens: 3.5/66 each.
  // P(w) = (a(w) - D(a(w))) / 11 + 3.5/66 = ((a - D) · 6 + 3.5) / 66:
  const KneserNeyModel model({4, 3, 2, 4, 0, 3, 4, 1, 2, 3, 4}, 1, 6, 0.0);
  EXPECT_TRUE(model.discounts(1).estimated);
  expect_row(distribution(model, {}), {6.5 / 66, 6.5 / 66, 12.5 / 66, 15.5 / 66, 21.5 / 66, 3.5 / 66}, "unigram");
  expect_row(distribution(model, {4, 4}), distribution(model, {}), "order 1 ignores the context");
}

TEST(KneserNeyModel, RejectsInvalidArguments) {
  EXPECT_THROW(KneserNeyModel({0, 1}, 0, 2, 0.0), specrouter::UsageError);
  EXPECT_THROW(KneserNeyModel({0, 1}, 3, 2, 0.0), specrouter::UsageError);  // shorter than the order
  EXPECT_THROW(KneserNeyModel({0, 2}, 1, 2, 0.0), specrouter::UsageError);  // id outside [0, 2)
  EXPECT_THROW(KneserNeyModel({0, 1}, 1, 0, 0.0), specrouter::UsageError);
  EXPECT_THROW(KneserNeyModel({0, 1}, 1, 2, 1.5), specrouter::UsageError);
  const KneserNeyModel model({0, 1}, 1, 2, 0.0);
  std::vector<double> too_short(1);
  EXPECT_THROW(model.distribution({}, too_short), specrouter::UsageError);
}

// ---- The textbook definition, evaluated the slow way ------------------------------------

// Interpolated Kneser-Ney straight from its definition: counts found by scanning the corpus
// for every query, nothing cached.
class SlowKneserNey {
 public:
  SlowKneserNey(Tokens corpus, int order, int vocab, double fixed_discount)
      : corpus_(std::move(corpus)), order_(order), vocab_(vocab) {
    for (int n = 1; n <= order_; ++n) {
      if (fixed_discount > 0) {
        discounts_.push_back({fixed_discount, fixed_discount, fixed_discount, false});
        continue;
      }
      // Counts of counts over every distinct n-gram of the corpus.
      std::set<Tokens> distinct;
      for (std::size_t i = 0; i + n <= corpus_.size(); ++i) distinct.insert(Tokens(corpus_.begin() + i, corpus_.begin() + i + n));
      CountsOfCounts counts;
      for (const Tokens& ngram : distinct) {
        const std::int64_t a = adjusted_count(ngram);
        counts.n1 += a == 1;
        counts.n2 += a == 2;
        counts.n3 += a == 3;
        counts.n4 += a == 4;
      }
      discounts_.push_back(specrouter::ngram_lm::estimate_discounts(counts));
    }
  }

  // P(w | context), using the last order - 1 tokens of the context.
  double probability(Tokens context, TokenId w) const {
    if (context.size() > static_cast<std::size_t>(order_ - 1)) context.erase(context.begin(), context.end() - (order_ - 1));
    return interpolated(context, w);
  }

 private:
  // Occurrences of `ngram` in the corpus, or, below the top order, the number of distinct
  // tokens seen right before one of its occurrences.
  std::int64_t adjusted_count(const Tokens& ngram) const {
    std::int64_t occurrences = 0;
    std::set<TokenId> left;
    for (std::size_t i = 0; i + ngram.size() <= corpus_.size(); ++i) {
      if (!std::equal(ngram.begin(), ngram.end(), corpus_.begin() + i)) continue;
      ++occurrences;
      if (i > 0) left.insert(corpus_[i - 1]);
    }
    return static_cast<int>(ngram.size()) == order_ ? occurrences : static_cast<std::int64_t>(left.size());
  }

  double interpolated(const Tokens& context, TokenId w) const {
    const Tokens shorter = context.empty() ? Tokens{} : Tokens(context.begin() + 1, context.end());
    const double lower = context.empty() ? 1.0 / vocab_ : interpolated(shorter, w);
    const Discounts& discounts = discounts_[context.size()];
    std::int64_t total = 0;
    double discounted = 0, kept = 0;
    for (TokenId x = 0; x < vocab_; ++x) {
      Tokens ngram = context;
      ngram.push_back(x);
      const std::int64_t a = adjusted_count(ngram);
      if (a == 0) continue;
      total += a;
      discounted += discounts.for_count(a);
      if (x == w) kept = std::max(a - discounts.for_count(a), 0.0);
    }
    if (total == 0) return lower;
    return kept / total + discounted / total * lower;
  }

  Tokens corpus_;
  int order_;
  int vocab_;
  std::vector<Discounts> discounts_;  // [order]
};

TEST(KneserNeyModel, MatchesTheDefinitionAndNormalizesOnRandomCorpora) {
  std::mt19937 rng(20240917);
  int estimated_levels = 0;
  for (int trial = 0; trial < 60; ++trial) {
    const int vocab = 2 + static_cast<int>(rng() % 5);
    const int order = 1 + static_cast<int>(rng() % 5);
    const double discount = trial % 3 == 0 ? 0.25 * (1 + rng() % 4) : 0.0;  // every third: fixed
    // Skewed draws (token t with weight 2^-t) give counts of 1, 2, 3 and 4 in one corpus.
    Tokens corpus(static_cast<std::size_t>(order) + rng() % 300);
    for (TokenId& token : corpus) {
      token = 0;
      while (token + 1 < vocab && rng() % 2 == 0) ++token;
    }
    const KneserNeyModel model(corpus, order, vocab, discount);
    const SlowKneserNey slow(corpus, order, vocab, discount);
    for (int n = 1; n <= order; ++n) estimated_levels += model.discounts(n).estimated;

    for (int query = 0; query < 12; ++query) {
      // Contexts from the corpus (seen), random ones (often unseen), with ids out of range.
      Tokens context;
      if (query % 2 == 0 && corpus.size() > 1) {
        const std::size_t end = 1 + rng() % (corpus.size() - 1);
        context.assign(corpus.begin() + static_cast<std::ptrdiff_t>(end - std::min<std::size_t>(end, rng() % 6)),
                       corpus.begin() + static_cast<std::ptrdiff_t>(end));
      } else {
        context.resize(rng() % 6);
        for (TokenId& token : context) token = static_cast<TokenId>(rng() % (vocab + 2)) - 1;  // -1 .. vocab
      }
      const std::vector<double> row = distribution(model, context);
      double sum = 0;
      for (TokenId w = 0; w < vocab; ++w) {
        ASSERT_NEAR(row[w], slow.probability(context, w), 1e-12)
            << "trial " << trial << ", order " << order << ", vocab " << vocab << ", token " << w;
        EXPECT_GT(row[w], 0.0) << "every token keeps some mass";
        sum += row[w];
      }
      EXPECT_NEAR(sum, 1.0, 1e-12) << "trial " << trial;
      // The sparse argmax agrees with the dense row, bit for bit.
      const auto [token, probability] = most_probable(model, context);
      const auto top = std::max_element(row.begin(), row.end());
      EXPECT_EQ(token, top - row.begin()) << "trial " << trial;
      EXPECT_EQ(probability, *top) << "trial " << trial;
    }
  }
  EXPECT_GT(estimated_levels, 20) << "too few orders had estimable discounts to test that path";
}

// The random corpora above have tiny vocabularies, where most_probable() takes the dense
// row; here 40 ids in use out of 1000 keep every context's followers (at most 4 orders ·
// 40) under vocab / 4, so the sparse path runs. A discount of 1 makes followers seen once
// add nothing, which creates ties for the lowest-id rule.
TEST(KneserNeyModel, MostProbableMatchesTheDenseArgmax) {
  constexpr int kVocab = 1000;
  std::mt19937 rng(77);
  std::vector<double> scratch(kVocab, -1.0), row(kVocab);
  std::vector<TokenId> touched;
  for (int trial = 0; trial < 40; ++trial) {
    const int order = 1 + trial % 5;
    const double discount = trial % 4 == 0 ? 1.0 : trial % 4 == 1 ? 0.5 : 0.0;
    Tokens corpus(500 + rng() % 1500);
    for (TokenId& token : corpus) token = static_cast<TokenId>(25 * (rng() % 40) + (rng() % 3 == 0 ? 0 : 7));
    const KneserNeyModel model(corpus, order, kVocab, discount);
    for (int query = 0; query < 50; ++query) {
      Tokens context(rng() % 6);
      for (TokenId& token : context) token = corpus[rng() % corpus.size()];
      model.distribution(context, row);
      const auto top = std::max_element(row.begin(), row.end());
      const auto [token, probability] = model.most_probable(context, scratch, touched);
      ASSERT_EQ(token, top - row.begin()) << "trial " << trial << ", query " << query;
      ASSERT_EQ(probability, *top) << "trial " << trial << ", query " << query;
    }
    EXPECT_TRUE(std::all_of(scratch.begin(), scratch.end(), [](double x) { return x == -1.0; }));
  }
}

}  // namespace
