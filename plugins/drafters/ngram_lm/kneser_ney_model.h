#pragma once

// An interpolated Kneser-Ney n-gram language model over token ids: the statistics behind
// the ngram_lm drafter. Private to the plugin (tests include it directly).
//
// Smoothing, formulas and costs: docs/design/ngram_lm_drafter.md. In short, for order n
// and a context h of n - 1 tokens (h' is h without its first token):
//
//   P_n(w | h) = max(a(h w) - D_n(a(h w)), 0) / A(h)  +  gamma(h) · P_{n-1}(w | h')
//   gamma(h)   = Σ_w D_n(a(h w)) / A(h),     A(h) = Σ_w a(h w)
//   P_0(w)     = 1 / vocab_size
//
// where a is the raw count at the highest order and the continuation count N1+(• h w) (the
// number of distinct tokens seen right before h w) at the lower ones, and D_n is the
// modified Kneser-Ney discount (D1, D2 or D3+ by count). A context never seen at order n
// (A(h) = 0) leaves P_n = P_{n-1}. Every P_n(· | h) sums to 1 over the vocabulary.

#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "ngram_table.h"
#include "specrouter/types.h"

namespace specrouter::ngram_lm {

/// The discounts subtracted from an n-gram's count of 1, 2, and 3 or more.
struct Discounts {
  double one = 0.5;
  double two = 1.0;
  double three_plus = 1.5;
  bool estimated = false;  // true: from the counts of counts; false: a fallback or a fixed value

  // The discount for an n-gram of (adjusted) count `count` >= 1.
  double for_count(std::int64_t count) const { return count == 1 ? one : count == 2 ? two : three_plus; }
};

/// How many n-grams of one order have (adjusted) count 1, 2, 3 and 4: what modified
/// Kneser-Ney estimates its discounts from.
struct CountsOfCounts {
  std::int64_t n1 = 0, n2 = 0, n3 = 0, n4 = 0;
};

/// Chen & Goodman's modified Kneser-Ney discounts (1998): Y = n1 / (n1 + 2 n2),
/// D1 = 1 - 2Y n2/n1, D2 = 2 - 3Y n3/n2, D3+ = 3 - 4Y n4/n3. When a count of counts is 0
/// or a discount falls outside (0, k] (tiny or odd corpora), returns KenLM's fallback
/// (0.5, 1, 1.5) with `estimated` false.
Discounts estimate_discounts(const CountsOfCounts& counts);

/// An interpolated (modified) Kneser-Ney language model of a fixed order over token ids in
/// [0, vocab_size), trained on one token stream. Immutable once built.
class KneserNeyModel {
 public:
  /// The largest order accepted.
  static constexpr int kMaxOrder = 64;

  /// Builds the model from `corpus` (every id in [0, vocab_size); at least `order` and
  /// fewer than 2^32 - 1 tokens), 1 <= `order` <= kMaxOrder. `fixed_discount` in (0, 1]
  /// uses that discount for every count and order (plain interpolated Kneser-Ney); 0
  /// estimates modified Kneser-Ney discounts per order. Throws UsageError for arguments
  /// out of range.
  KneserNeyModel(std::vector<TokenId> corpus, int order, std::int64_t vocab_size, double fixed_discount);

  // The tables name n-grams by their position in corpus_: the model may move (the vector
  // keeps its buffer) but not be copied.
  KneserNeyModel(const KneserNeyModel&) = delete;
  KneserNeyModel& operator=(const KneserNeyModel&) = delete;
  KneserNeyModel(KneserNeyModel&&) = default;
  KneserNeyModel& operator=(KneserNeyModel&&) = default;

  /// Writes P(· | context) into `row` ([vocab_size]); only the last order - 1 tokens of
  /// `context` matter. Tokens never seen in training (or out of range) are fine: contexts
  /// holding them are unseen, so their level is skipped. Costs O(vocab_size + the number
  /// of distinct followers of the context's suffixes).
  void distribution(std::span<const TokenId> context, std::span<double> row) const;

  /// The most probable token after `context` and its probability, as the argmax of
  /// distribution() gives them (the lowest id among equal maxima), without writing the
  /// row: O(F) for the F followers of the context's seen suffixes (orders >= 2), or, when F
  /// >= vocab_size / 4, through the dense row, O(vocab_size).
  /// `scratch` ([vocab_size]) must hold only negative values, and does again on return;
  /// `touched` is working space. (Exact, except that two P_1 values one rounding apart
  /// could become equal once scaled by the backoff weights and tie in distribution().)
  std::pair<TokenId, double> most_probable(std::span<const TokenId> context, std::span<double> scratch,
                                           std::vector<TokenId>& touched) const;

  int order() const { return static_cast<int>(levels_.size()); }
  std::int64_t vocab_size() const { return vocab_size_; }
  std::size_t corpus_size() const { return corpus_.size(); }
  /// The discounts of order n (1 <= n <= order()).
  const Discounts& discounts(int n) const { return levels_.at(static_cast<std::size_t>(n - 1)).discounts; }
  /// How many distinct contexts (n - 1 tokens) order n has seen followed by something.
  std::size_t context_count(int n) const { return levels_.at(static_cast<std::size_t>(n - 1)).contexts.size(); }

 private:
  // One token seen after a context, with its discounted share (a - D(a)) / A(h).
  struct Follower {
    TokenId token = 0;
    double probability = 0;
  };
  // A context seen at one order: its followers are followers[first, first + count).
  struct ContextStats {
    std::uint32_t first_follower = 0;
    std::uint32_t follower_count = 0;
    double backoff_weight = 0;  // gamma(h)
  };
  // Order n: contexts of n - 1 tokens.
  struct Level {
    NgramTable<ContextStats> contexts;
    std::vector<Follower> followers;
    Discounts discounts;
  };

  // The followers of one seen suffix of a context, weighted by the backoff weights of the
  // orders above it.
  struct Share {
    const ContextStats* stats = nullptr;
    const Level* level = nullptr;
    double weight = 0;
  };
  // The shares of orders N..2 for `context`, highest order first, into `shares`
  // ([kMaxOrder]); returns their number, and in `unigram_weight` the product of all their
  // backoff weights, which multiplies P_1.
  std::size_t find_shares(std::span<const TokenId> context, Share* shares, double& unigram_weight) const;

  // Groups the adjusted counts of order n (n-grams -> a) by context into levels_[n - 1].
  void build_level(int n, const NgramTable<std::uint32_t>& adjusted_counts, double fixed_discount);

  std::vector<TokenId> corpus_;
  std::int64_t vocab_size_ = 0;
  std::vector<Level> levels_;     // levels_[n - 1] is order n
  std::vector<double> unigram_;   // [vocab_size]: P_1, the lowest order with its uniform share
  TokenId unigram_top_ = 0;       // argmax of P_1 (the first of equal maxima)
};

}  // namespace specrouter::ngram_lm
