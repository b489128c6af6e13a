// Tests of the n-gram drafter, through the registry as the harness uses it.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "specrouter/drafter.h"
#include "specrouter/error.h"
#include "specrouter/plugin/registries.h"

// Defined by SPECROUTER_PLUGIN in ngram_drafter.cpp.
void specrouter_register_ngram_drafter(specrouter::PluginRegistrar& registrar);

namespace {

using specrouter::Drafter;
using specrouter::DraftRequest;
using specrouter::ParamValue;
using specrouter::TokenId;
using Tokens = std::vector<TokenId>;

class NgramDrafterTest : public ::testing::Test {
 protected:
  NgramDrafterTest() {
    specrouter::PluginRegistrar registrar;
    specrouter_register_ngram_drafter(registrar);
    registrar.commit(registries_);
  }

  std::shared_ptr<Drafter> make(const std::map<std::string, ParamValue>& overrides = {}) const {
    const auto& info = registries_.drafters.at("ngram").info;
    return registries_.drafters.create(
        "ngram", specrouter::Params::from_specs("drafter 'ngram'", info.params, overrides));
  }

  // The draft for one context; checks the drafter's contract on the way.
  static Tokens draft(Drafter& drafter, const Tokens& context, int max_tokens) {
    const DraftRequest request{context, max_tokens};
    std::vector<specrouter::Draft> drafts = drafter.propose({&request, 1}, {});
    EXPECT_EQ(drafts.size(), 1u);
    EXPECT_TRUE(drafts[0].probs.empty()) << "a deterministic drafter leaves probs empty (one-hot)";
    EXPECT_LE(drafts[0].tokens.size(), static_cast<std::size_t>(std::max(max_tokens, 0)));
    return drafts[0].tokens;
  }

  specrouter::Registries registries_;
};

TEST_F(NgramDrafterTest, RegistersWithDocumentedParameters) {
  const auto& info = registries_.drafters.at("ngram").info;
  EXPECT_EQ(info.kind, "drafter");
  EXPECT_FALSE(info.description.empty());
  ASSERT_EQ(info.params.size(), 3u);
  std::map<std::string, std::string> defaults;
  for (const auto& spec : info.params) {
    EXPECT_FALSE(spec.doc.empty()) << spec.name;
    defaults[spec.name] = specrouter::to_string(*spec.default_value);
  }
  EXPECT_EQ(defaults, (std::map<std::string, std::string>{{"min_ngram", "1"}, {"max_ngram", "3"}, {"window", "0"}}));
}

TEST_F(NgramDrafterTest, ProposesWhatFollowedTheMatch) {
  auto drafter = make();
  EXPECT_EQ(draft(*drafter, {1, 2, 3, 4, 9, 1, 2, 3}, 3), (Tokens{4, 9, 1}));
  EXPECT_EQ(draft(*drafter, {1, 2, 3, 4, 9, 1, 2, 3}, 1), (Tokens{4}));
}

TEST_F(NgramDrafterTest, LongerMatchWinsOverMoreRecentShorterOne) {
  // Suffix "2 3" occurred at the start (then 7); "3" alone occurred more recently (then 8).
  const Tokens context{2, 3, 7, 1, 3, 8, 2, 3};
  EXPECT_EQ(draft(*make(), context, 1), (Tokens{7}));
  EXPECT_EQ(draft(*make({{"max_ngram", std::int64_t{1}}}), context, 1), (Tokens{8}));
}

TEST_F(NgramDrafterTest, MostRecentOfEqualLengthMatchesWins) {
  EXPECT_EQ(draft(*make(), {4, 5, 6, 4, 5, 7, 4, 5}, 1), (Tokens{7}));
}

TEST_F(NgramDrafterTest, MinNgramRejectsShortMatches) {
  const Tokens context{1, 2, 9, 3, 2};  // only "2" recurs
  EXPECT_EQ(draft(*make(), context, 2), (Tokens{9, 3}));
  EXPECT_TRUE(draft(*make({{"min_ngram", std::int64_t{2}}}), context, 2).empty());
}

TEST_F(NgramDrafterTest, NothingToProposeGivesAnEmptyDraft) {
  auto drafter = make();
  EXPECT_TRUE(draft(*drafter, {}, 4).empty());
  EXPECT_TRUE(draft(*drafter, {7}, 4).empty());
  EXPECT_TRUE(draft(*drafter, {1, 2, 3, 4}, 4).empty());  // no token recurs
  EXPECT_TRUE(draft(*drafter, {1, 2, 1}, 0).empty());     // nothing asked
}

TEST_F(NgramDrafterTest, CopyContinuesThroughARepetitionPastTheContextEnd) {
  auto drafter = make();
  EXPECT_EQ(draft(*drafter, {1, 2, 3, 1, 2, 3, 1}, 7), (Tokens{2, 3, 1, 2, 3, 1, 2}));
  EXPECT_EQ(draft(*drafter, {5, 5}, 4), (Tokens{5, 5, 5, 5}));
}

TEST_F(NgramDrafterTest, WindowLimitsTheSearch) {
  const Tokens context{5, 6, 0, 1, 2, 3, 5};  // "5" recurs only 6 tokens back
  EXPECT_EQ(draft(*make(), context, 1), (Tokens{6}));
  EXPECT_EQ(draft(*make({{"window", std::int64_t{7}}}), context, 1), (Tokens{6}));
  EXPECT_TRUE(draft(*make({{"window", std::int64_t{6}}}), context, 1).empty());
  EXPECT_EQ(draft(*make({{"window", std::int64_t{100}}}), context, 1), (Tokens{6}));
}

TEST_F(NgramDrafterTest, BatchAnswersEachRequestInOrder) {
  auto drafter = make();
  const std::vector<Tokens> contexts{{1, 2, 1}, {3, 4}, {7, 8, 9, 7, 8}};
  const std::vector<DraftRequest> requests{{contexts[0], 2}, {contexts[1], 2}, {contexts[2], 1}};
  const std::vector<specrouter::Draft> drafts = drafter->propose(requests, {});
  ASSERT_EQ(drafts.size(), 3u);
  EXPECT_EQ(drafts[0].tokens, (Tokens{2, 1}));
  EXPECT_TRUE(drafts[1].tokens.empty());
  EXPECT_EQ(drafts[2].tokens, (Tokens{9}));
  EXPECT_TRUE(drafter->propose({}, {}).empty());
}

TEST_F(NgramDrafterTest, RejectsInvalidParameters) {
  auto expect_error = [&](const std::map<std::string, ParamValue>& overrides, const std::string& key) {
    try {
      make(overrides);
      ADD_FAILURE() << "no error for " << key;
    } catch (const specrouter::ConfigError& error) {
      EXPECT_NE(std::string(error.what()).find(key), std::string::npos) << error.what();
      EXPECT_NE(std::string(error.what()).find("drafter 'ngram'"), std::string::npos) << error.what();
    }
  };
  expect_error({{"min_ngram", std::int64_t{0}}}, "min_ngram");
  expect_error({{"max_ngram", std::int64_t{0}}}, "max_ngram");
  expect_error({{"min_ngram", std::int64_t{4}}, {"max_ngram", std::int64_t{2}}}, "max_ngram");
  expect_error({{"window", std::int64_t{-1}}}, "window");
}

// The definition, written the slow obvious way: for n = max_ngram down to min_ngram, the
// latest earlier occurrence of the last n tokens; copy what followed, reading the draft
// itself once the copy passes the end of the searched tokens.
Tokens definition(const Tokens& context, int min_ngram, int max_ngram, int window, int max_tokens) {
  Tokens tokens = context;
  if (window > 0 && tokens.size() > static_cast<std::size_t>(window)) {
    tokens.erase(tokens.begin(), tokens.end() - window);
  }
  const int size = static_cast<int>(tokens.size());
  for (int n = max_ngram; n >= min_ngram; --n) {
    for (int start = size - n - 1; start >= 0; --start) {
      if (!std::equal(tokens.begin() + start, tokens.begin() + start + n, tokens.end() - n)) continue;
      Tokens extended = tokens;
      for (int i = 0; i < max_tokens; ++i) extended.push_back(extended[start + n + i]);
      return Tokens(extended.begin() + size, extended.end());
    }
  }
  return {};
}

TEST_F(NgramDrafterTest, MatchesTheDefinitionOnRandomContexts) {
  std::mt19937 rng(20240611);
  for (int trial = 0; trial < 2000; ++trial) {
    const int min_ngram = 1 + static_cast<int>(rng() % 3);
    const int max_ngram = min_ngram + static_cast<int>(rng() % 3);
    const int window = static_cast<int>(rng() % 4) * 5;  // 0 (whole context), 5, 10, 15
    const int max_tokens = 1 + static_cast<int>(rng() % 8);
    const TokenId vocab = 2 + static_cast<TokenId>(rng() % 4);
    Tokens context(rng() % 30);
    for (TokenId& token : context) token = static_cast<TokenId>(rng() % vocab);

    auto drafter = make({{"min_ngram", std::int64_t{min_ngram}},
                         {"max_ngram", std::int64_t{max_ngram}},
                         {"window", std::int64_t{window}}});
    ASSERT_EQ(draft(*drafter, context, max_tokens),
              definition(context, min_ngram, max_ngram, window, max_tokens))
        << "trial " << trial << ", n in [" << min_ngram << ", " << max_ngram << "], window " << window;
  }
}

}  // namespace
