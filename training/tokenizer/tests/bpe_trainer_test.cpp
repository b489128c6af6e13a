// The BPE trainer on corpora whose merges are worked out by hand, the tie-break, and an
// exhaustive recount-per-merge reference on random corpora (the incremental update must
// learn exactly the same merges).
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>

#include "specrouter/bpe/bpe_trainer.h"
#include "specrouter/bpe/byte_alphabet.h"
#include "specrouter/bpe/piece_splitter.h"

namespace specrouter::bpe {
namespace {

using Counts = std::unordered_map<std::string, std::uint64_t>;

// The merges as "left right" byte strings, in rank order.
std::vector<std::string> merge_names(const BpeVocabulary& vocabulary) {
  std::vector<std::string> names;
  for (const auto& [left, right] : vocabulary.merges) {
    names.push_back(vocabulary.tokens[left] + " " + vocabulary.tokens[right]);
  }
  return names;
}

BpeVocabulary train(const Counts& counts, std::size_t merges, std::uint64_t min_count = 1) {
  return train_bpe(counts, {.vocab_size = 256 + merges, .min_pair_count = min_count});
}

TEST(ByteAlphabetTest, IsGpt2Mapping) {
  EXPECT_EQ(byte_alphabet()[' '], "\xC4\xA0");   // Ġ
  EXPECT_EQ(byte_alphabet()['\n'], "\xC4\x8A");  // Ċ
  EXPECT_EQ(byte_alphabet()['A'], "A");
  EXPECT_EQ(byte_alphabet()[0xE9], "\xC3\xA9");   // é stands for itself
  EXPECT_EQ(byte_alphabet()[0xAD], "\xC5\x83");   // the soft hyphen is the last remapped byte: Ń
  EXPECT_EQ(bytes_in_alphabet_order()[0], '!');
  EXPECT_EQ(bytes_in_alphabet_order()[93], '~');
  EXPECT_EQ(bytes_in_alphabet_order()[188], 0);   // first remapped byte: U+0100
}

TEST(BpeTrainerTest, MostFrequentPairFirst) {
  // (a,b) occurs 3 times, (b,c) twice.
  const BpeVocabulary vocabulary = train({{"ab", 3}, {"bc", 2}}, 5);
  EXPECT_EQ(merge_names(vocabulary), (std::vector<std::string>{"a b", "b c"}));
  ASSERT_EQ(vocabulary.tokens.size(), 258u);
  EXPECT_EQ(vocabulary.tokens[256], "ab");
  EXPECT_EQ(vocabulary.tokens[257], "bc");
}

TEST(BpeTrainerTest, TiesGoToTheSmallerLeftThenRightBytes) {
  EXPECT_EQ(merge_names(train({{"ba", 2}, {"ab", 2}}, 2)), (std::vector<std::string>{"a b", "b a"}));
  EXPECT_EQ(merge_names(train({{"ac", 2}, {"ab", 2}}, 2)), (std::vector<std::string>{"a b", "a c"}));
  // Bytewise: 'Z' (0x5A) sorts before 'a' (0x61), and a space before both (names are "left right").
  EXPECT_EQ(merge_names(train({{"aZ", 1}, {"Za", 1}, {" a", 1}}, 3)),
            (std::vector<std::string>{"  a", "Z a", "a Z"}));
}

TEST(BpeTrainerTest, CountsAreUpdatedAfterEachMerge) {
  // Pairs: ab 2, bc 2+3=5, cd 5. Tie bc/cd -> bc ("b" < "c"). Then abcd = a|bc|d and
  // bcd = bc|d: (bc,d) 5, (a,bc) 2, and (c,d) is gone. Then (a,bcd) 2.
  EXPECT_EQ(merge_names(train({{"abcd", 2}, {"bcd", 3}}, 10)),
            (std::vector<std::string>{"b c", "bc d", "a bcd"}));
}

TEST(BpeTrainerTest, OverlappingPairsMergeLeftmostFirst) {
  // (a,a): aaaa has 3, aaa has 2 -> 5. aaaa -> aa|aa, aaa -> aa|a. Then (aa,aa) 1 and
  // (aa,a) 1 tie: left equal, right "a" < "aa".
  const BpeVocabulary vocabulary = train({{"aaaa", 1}, {"aaa", 1}}, 10);
  EXPECT_EQ(merge_names(vocabulary), (std::vector<std::string>{"a a", "aa a", "aa aa"}));
}

TEST(BpeTrainerTest, StopsAtTheVocabularySizeAndTheMinimumCount) {
  EXPECT_EQ(train({{"abcd", 5}}, 1).merges.size(), 1u);
  EXPECT_EQ(train({{"abcd", 5}}, 1).tokens.size(), 257u);
  EXPECT_TRUE(train({{"ab", 1}, {"cd", 1}}, 10, /*min_count=*/2).merges.empty());
  EXPECT_EQ(merge_names(train({{"ab", 2}, {"cd", 1}}, 10, 2)), std::vector<std::string>{"a b"});
}

TEST(BpeTrainerTest, SameBytesFromAnotherPairReuseTheToken) {
  // "ab"+"c" and "a"+"bc" both spell "abc": the second merge adds no token.
  const Counts counts = {{"abx", 4}, {"bcy", 4}, {"abc", 3}, {"zabc", 1}};
  const BpeVocabulary vocabulary = train(counts, 50);
  std::map<std::string, int> seen;
  for (const std::string& token : vocabulary.tokens) ++seen[token];
  for (const auto& [token, count] : seen) EXPECT_EQ(count, 1) << "token '" << token << "' appears twice";
  for (const auto& [left, right] : vocabulary.merges) {
    EXPECT_EQ(seen.count(vocabulary.tokens[left] + vocabulary.tokens[right]), 1u);
  }
}

// The obvious algorithm: recount every pair before each merge.
std::vector<std::string> reference_merges(const Counts& counts, std::size_t merges, std::uint64_t min_count) {
  std::vector<std::pair<std::vector<std::string>, std::uint64_t>> pieces;
  for (const auto& [bytes, count] : counts) {
    std::vector<std::string> symbols;
    for (const char c : bytes) symbols.emplace_back(1, c);
    pieces.emplace_back(symbols, count);
  }
  std::vector<std::string> names;
  while (names.size() < merges) {
    std::map<std::pair<std::string, std::string>, std::uint64_t> pair_counts;
    for (const auto& [symbols, count] : pieces) {
      for (std::size_t i = 0; i + 1 < symbols.size(); ++i) pair_counts[{symbols[i], symbols[i + 1]}] += count;
    }
    std::pair<std::string, std::string> best;
    std::uint64_t best_count = 0;
    for (const auto& [pair, count] : pair_counts) {  // map order: smaller bytes first
      if (count > best_count) {
        best = pair;
        best_count = count;
      }
    }
    if (best_count == 0 || best_count < min_count) break;
    names.push_back(best.first + " " + best.second);
    for (auto& [symbols, count] : pieces) {
      std::vector<std::string> merged;
      for (std::size_t i = 0; i < symbols.size();) {
        if (i + 1 < symbols.size() && symbols[i] == best.first && symbols[i + 1] == best.second) {
          merged.push_back(best.first + best.second);
          i += 2;
        } else {
          merged.push_back(symbols[i++]);
        }
      }
      symbols = merged;
    }
  }
  return names;
}

TEST(BpeTrainerTest, IncrementalUpdateLearnsWhatARecountLearns) {
  std::mt19937 random(7);
  for (int round = 0; round < 6; ++round) {
    Counts counts;
    const std::string alphabet = round % 2 == 0 ? "ab" : "abcde ";  // small alphabets: many repeats and ties
    for (int piece = 0; piece < 60; ++piece) {
      std::string bytes;
      const int length = 1 + static_cast<int>(random() % 9);
      for (int i = 0; i < length; ++i) bytes.push_back(alphabet[random() % alphabet.size()]);
      counts[bytes] += 1 + random() % 5;
    }
    // A merge can reuse a token, so ask the trainer for more tokens than merges compared.
    const BpeVocabulary vocabulary = train_bpe(counts, {.vocab_size = 100000, .min_pair_count = 1});
    const std::vector<std::string> expected = reference_merges(counts, 100000, 1);
    EXPECT_EQ(merge_names(vocabulary), expected) << "round " << round;
  }
}

TEST(PieceSplitterTest, SplitsLikeLlama3) {
  Counts counts;
  PieceSplitter(kLlama3Pattern).count_pieces("I'll  say: hello, hello 12345!\n\n    return x", counts);
  // " " twice: before "say" (the last space of a run joins the word) and before the digits.
  Counts merged;
  for (const auto& [piece, count] : std::vector<std::pair<std::string, std::uint64_t>>(
           {{"I", 1}, {"'ll", 1}, {" ", 2}, {" say", 1}, {":", 1}, {" hello", 2}, {",", 1}, {"123", 1}, {"45", 1},
            {"!\n\n", 1}, {"   ", 1}, {" return", 1}, {" x", 1}})) {
    merged[piece] += count;
  }
  EXPECT_EQ(counts, merged);
}

}  // namespace
}  // namespace specrouter::bpe
