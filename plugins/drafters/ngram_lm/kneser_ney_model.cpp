// Building the Kneser-Ney tables and reading distributions out of them.
//
// Counting: one pass over the corpus counts every n-gram of the highest order N in a flat
// hash table keyed by the n-gram's position in the corpus (ngram_table.h). The
// continuation counts of order n < N come from the distinct n+1-grams alone: each adds 1
// to the count of its last n tokens, so N1+(• g) needs no other pass over the corpus. The
// only n-gram without a left neighbour is the one at the start of the stream; it is added
// with count 0 so that the n-grams of the next order down see it.
//
// Grouping: the n-grams of each order are grouped by context (their first n-1 tokens) in
// two passes, counting then placing, into one flat follower array per order; the context
// table is sized to the contexts found, since it lives as long as the model.
//
// Cost: O(T · N) hash operations to build (T corpus tokens); memory O(distinct n-grams +
// vocab). A distribution costs one O(vocab) pass
// (P_1 scaled) plus the followers of each seen suffix of the context; the most probable
// token only the latter (and a sort of them).

#include "kneser_ney_model.h"

#include <algorithm>
#include <string>

#include "specrouter/error.h"

namespace specrouter::ngram_lm {

Discounts estimate_discounts(const CountsOfCounts& counts) {
  const Discounts fallback;  // KenLM's --discount_fallback values
  if (counts.n1 <= 0 || counts.n2 <= 0 || counts.n3 <= 0 || counts.n4 <= 0) return fallback;
  const double n1 = static_cast<double>(counts.n1), n2 = static_cast<double>(counts.n2);
  const double n3 = static_cast<double>(counts.n3), n4 = static_cast<double>(counts.n4);
  const double y = n1 / (n1 + 2 * n2);
  Discounts discounts{1 - 2 * y * n2 / n1, 2 - 3 * y * n3 / n2, 3 - 4 * y * n4 / n3, true};
  // D(a) <= a keeps every discounted count non-negative, which normalization relies on;
  // D(a) > 0 leaves mass for the lower orders, so no token ever gets probability 0.
  const bool valid = discounts.one > 0 && discounts.one <= 1 && discounts.two > 0 && discounts.two <= 2 &&
                     discounts.three_plus > 0 && discounts.three_plus <= 3;
  return valid ? discounts : fallback;
}

KneserNeyModel::KneserNeyModel(std::vector<TokenId> corpus, int order, std::int64_t vocab_size, double fixed_discount)
    : corpus_(std::move(corpus)), vocab_size_(vocab_size) {
  if (order < 1 || order > kMaxOrder) {
    throw UsageError("KneserNeyModel: order must be in [1, " + std::to_string(kMaxOrder) + "], got " +
                     std::to_string(order));
  }
  if (vocab_size < 1) throw UsageError("KneserNeyModel: vocab_size must be >= 1, got " + std::to_string(vocab_size));
  if (!(fixed_discount >= 0 && fixed_discount <= 1)) {
    throw UsageError("KneserNeyModel: fixed_discount must be in [0, 1], got " + std::to_string(fixed_discount));
  }
  if (corpus_.size() < static_cast<std::size_t>(order) || corpus_.size() >= NgramTable<std::uint32_t>::kFree) {
    throw UsageError("KneserNeyModel: the corpus has " + std::to_string(corpus_.size()) +
                     " tokens; it needs at least the order, " + std::to_string(order) + ", and fewer than 2^32 - 1");
  }
  for (std::size_t i = 0; i < corpus_.size(); ++i) {
    if (corpus_[i] < 0 || corpus_[i] >= vocab_size) {
      throw UsageError("KneserNeyModel: corpus token " + std::to_string(i) + " is " + std::to_string(corpus_[i]) +
                       ", outside [0, " + std::to_string(vocab_size) + ")");
    }
  }
  levels_.resize(static_cast<std::size_t>(order));

  // Order N: raw counts of every N-gram.
  const std::span<const TokenId> corpus_view(corpus_);
  const std::size_t top = static_cast<std::size_t>(order);
  const std::size_t top_ngrams = corpus_.size() - top + 1;
  NgramTable<std::uint32_t> counts(corpus_view, top, top_ngrams);
  for (std::size_t start = 0; start < top_ngrams; ++start) ++counts.at_position(static_cast<std::uint32_t>(start));
  build_level(order, counts, fixed_discount);

  // Orders N-1 .. 1: continuation counts, from the keys (distinct n+1-grams) of the order above:
  // the n+1-gram at `start` adds 1 to its suffix, the n-gram at start + 1.
  for (int n = order - 1; n >= 1; --n) {
    NgramTable<std::uint32_t> continuation(corpus_view, static_cast<std::size_t>(n), counts.size() + 1);
    counts.for_each([&](std::uint32_t start, std::uint32_t) { ++continuation.at_position(start + 1); });
    continuation.at_position(0);  // the stream's start, count 0 unless seen after something
    counts = std::move(continuation);
    build_level(n, counts, fixed_discount);
  }

  // P_1 once for all: every distribution starts from it.
  unigram_.assign(static_cast<std::size_t>(vocab_size_), 0.0);
  const Level& unigrams = levels_.front();
  double uniform_weight = 1;
  if (const ContextStats* stats = unigrams.contexts.find({})) {
    for (std::size_t i = 0; i < stats->follower_count; ++i) {
      const Follower& follower = unigrams.followers[stats->first_follower + i];
      unigram_[static_cast<std::size_t>(follower.token)] = follower.probability;
    }
    uniform_weight = stats->backoff_weight;
  }
  const double uniform_share = uniform_weight / static_cast<double>(vocab_size_);
  for (double& probability : unigram_) probability += uniform_share;
  unigram_top_ = static_cast<TokenId>(std::max_element(unigram_.begin(), unigram_.end()) - unigram_.begin());
}

void KneserNeyModel::build_level(int n, const NgramTable<std::uint32_t>& adjusted_counts, double fixed_discount) {
  Level& level = levels_[static_cast<std::size_t>(n - 1)];
  CountsOfCounts counts_of_counts;
  adjusted_counts.for_each([&](std::uint32_t, std::uint32_t count) {
    if (count == 1) ++counts_of_counts.n1;
    if (count == 2) ++counts_of_counts.n2;
    if (count == 3) ++counts_of_counts.n3;
    if (count == 4) ++counts_of_counts.n4;
  });
  level.discounts = fixed_discount > 0 ? Discounts{fixed_discount, fixed_discount, fixed_discount, false}
                                       : estimate_discounts(counts_of_counts);
  const Discounts& discounts = level.discounts;

  // The context of the n-gram at `start` is the n-1-gram at the same position. Pass 1
  // numbers the contexts and sums, per context, its followers, A(h) and Σ D(a); the table
  // of contexts is then built at its final size (it lives as long as the model), with
  // each context's slice of the follower array; pass 2 places the followers.
  const std::size_t context_length = static_cast<std::size_t>(n - 1);
  struct ContextSums {
    std::uint32_t first_start = 0;  // where the context occurs in the corpus
    std::uint32_t followers = 0;
    std::int64_t total = 0;  // A(h)
    double discounted = 0;   // Σ D(a)
  };
  std::vector<ContextSums> sums;
  {
    NgramTable<std::uint32_t> numbers(corpus_, context_length, adjusted_counts.size());  // context -> 1 + index
    adjusted_counts.for_each([&](std::uint32_t start, std::uint32_t count) {
      if (count == 0) return;  // only the stream-start n-gram, which nothing precedes
      std::uint32_t& number = numbers.at_position(start);
      if (number == 0) {
        sums.push_back({start, 0, 0, 0.0});
        number = static_cast<std::uint32_t>(sums.size());
      }
      ContextSums& context = sums[number - 1];
      ++context.followers;
      context.total += count;
      context.discounted += discounts.for_count(count);
    });
  }
  level.contexts = NgramTable<ContextStats>(corpus_, context_length, sums.size());
  std::uint32_t offset = 0;
  for (const ContextSums& context : sums) {
    level.contexts.at_position(context.first_start) = {offset, 0, context.discounted / static_cast<double>(context.total)};
    offset += context.followers;
  }
  level.followers.resize(offset);
  adjusted_counts.for_each([&](std::uint32_t start, std::uint32_t count) {
    if (count == 0) return;
    ContextStats& stats = level.contexts.existing(start);
    level.followers[stats.first_follower + stats.follower_count++] = {corpus_[start + context_length],
                                                                      static_cast<double>(count)};
  });

  // Followers in token order, so every sum over them is independent of the hash layout;
  // then counts become discounted shares (a - D(a)) / A(h), >= 0 since D(a) <= a.
  for (const ContextSums& context : sums) {
    const ContextStats& stats = *level.contexts.find(std::span<const TokenId>(corpus_).subspan(context.first_start, context_length));
    const auto begin = level.followers.begin() + stats.first_follower;
    const auto end = begin + stats.follower_count;
    std::sort(begin, end, [](const Follower& a, const Follower& b) { return a.token < b.token; });
    const double inverse_total = 1.0 / static_cast<double>(context.total);
    for (auto follower = begin; follower != end; ++follower) {
      const double count = follower->probability;
      follower->probability = (count - discounts.for_count(static_cast<std::int64_t>(count))) * inverse_total;
    }
  }
}

std::size_t KneserNeyModel::find_shares(std::span<const TokenId> context, Share* shares,
                                        double& unigram_weight) const {
  std::size_t count = 0;
  double weight = 1;  // product of the backoff weights of the orders above
  const std::size_t longest_context = std::min(levels_.size() - 1, context.size());
  for (std::size_t length = longest_context; length >= 1; --length) {
    const Level& level = levels_[length];
    const ContextStats* stats = level.contexts.find(context.last(length));
    if (stats == nullptr) continue;  // unseen at this order: P_n = P_{n-1}
    shares[count++] = {stats, &level, weight};
    weight *= stats->backoff_weight;
  }
  unigram_weight = weight;
  return count;
}

void KneserNeyModel::distribution(std::span<const TokenId> context, std::span<double> row) const {
  if (row.size() != static_cast<std::size_t>(vocab_size_)) {
    throw UsageError("KneserNeyModel::distribution: row has " + std::to_string(row.size()) +
                     " entries, expected vocab_size " + std::to_string(vocab_size_));
  }
  // Unrolled interpolation: P_N = Σ_{n>=2} (Π_{m>n} gamma_m) · discounted_n + (Π_{m>=2} gamma_m) · P_1:
  // one dense pass for P_1, then the sparse shares, highest order first.
  Share shares[kMaxOrder];
  double unigram_weight = 1;
  const std::size_t share_count = find_shares(context, shares, unigram_weight);
  for (std::size_t w = 0; w < row.size(); ++w) row[w] = unigram_weight * unigram_[w];
  for (std::size_t s = 0; s < share_count; ++s) {
    const Share& share = shares[s];
    for (std::uint32_t i = 0; i < share.stats->follower_count; ++i) {
      const Follower& follower = share.level->followers[share.stats->first_follower + i];
      row[static_cast<std::size_t>(follower.token)] += share.weight * follower.probability;
    }
  }
}

std::pair<TokenId, double> KneserNeyModel::most_probable(std::span<const TokenId> context,
                                                         std::span<double> scratch,
                                                         std::vector<TokenId>& touched) const {
  if (scratch.size() != static_cast<std::size_t>(vocab_size_)) {
    throw UsageError("KneserNeyModel::most_probable: scratch has " + std::to_string(scratch.size()) +
                     " entries, expected vocab_size " + std::to_string(vocab_size_));
  }
  Share shares[kMaxOrder];
  double unigram_weight = 1;
  const std::size_t share_count = find_shares(context, shares, unigram_weight);

  TokenId best = 0;
  double best_value = -1;
  const auto consider = [&](TokenId token, double value) {
    if (value > best_value || (value == best_value && token < best)) best = token, best_value = value;
  };

  // A context whose suffixes have followers by the thousand (frequent tokens): the dense row
  // is cheaper than bookkeeping per touched token.
  std::size_t followers = 0;
  for (std::size_t s = 0; s < share_count; ++s) followers += shares[s].stats->follower_count;
  if (followers >= scratch.size() / 4) {
    distribution(context, scratch);
    const auto top = std::max_element(scratch.begin(), scratch.end());  // the first of equal maxima
    consider(static_cast<TokenId>(top - scratch.begin()), *top);
    std::fill(scratch.begin(), scratch.end(), -1.0);
    return {best, best_value};
  }

  // The value of each token a share touches, accumulated in `scratch` in the order
  // distribution() adds its terms (P_1 first, then the orders from the top), so that it is
  // bit for bit the row's value; untouched entries stay negative.
  touched.clear();
  for (std::size_t s = 0; s < share_count; ++s) {
    const Share& share = shares[s];
    for (std::uint32_t i = 0; i < share.stats->follower_count; ++i) {
      const Follower& follower = share.level->followers[share.stats->first_follower + i];
      double& value = scratch[static_cast<std::size_t>(follower.token)];
      if (value < 0) {
        value = unigram_weight * unigram_[static_cast<std::size_t>(follower.token)];
        touched.push_back(follower.token);
      }
      value += share.weight * follower.probability;
    }
  }

  for (const TokenId token : touched) {
    double& value = scratch[static_cast<std::size_t>(token)];
    consider(token, value);
    value = -1;  // as the caller gave it
  }
  // Every token is worth at least unigram_weight · P_1 and an untouched one exactly that, so
  // no untouched token beats the top of P_1, whether a share touched it or not.
  consider(unigram_top_, unigram_weight * unigram_[static_cast<std::size_t>(unigram_top_)]);
  return {best, best_value};
}

}  // namespace specrouter::ngram_lm
