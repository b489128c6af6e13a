// Tests of the ngram_lm drafter, through the registry as the harness uses it: training
// files written per test, greedy and sampled drafting, the rows returned with sampled
// tokens, seeds, early stopping and every configuration error.

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include "kneser_ney_model.h"
#include "specrouter/drafter.h"
#include "specrouter/error.h"
#include "specrouter/plugin/registries.h"
#include "specrouter/tokenizer/tokenizer.h"

// Defined by SPECROUTER_PLUGIN in ngram_lm_drafter.cpp.
void specrouter_register_ngram_lm_drafter(specrouter::PluginRegistrar& registrar);

namespace {

namespace fs = std::filesystem;
using specrouter::Draft;
using specrouter::Drafter;
using specrouter::DraftRequest;
using specrouter::ParamValue;
using specrouter::TokenId;
using Tokens = std::vector<TokenId>;
using Overrides = std::map<std::string, ParamValue>;

// SpecRouter's byte tokenizer, as written next to random-weight checkpoints: bytes are ids
// 0..255, then <bos> 256, <eos> 257, <pad> 258.
constexpr const char* kByteTokenizerJson =
    R"({"specrouter_tokenizer": "bytes", "special_tokens": ["<bos>", "<eos>", "<pad>"],)"
    R"( "bos_token": "<bos>", "eos_token": "<eos>", "add_bos": true})";
constexpr std::int64_t kByteVocab = 259;

// "0 1 2 ..." for a token file.
std::string ids_text(const Tokens& ids) {
  std::string text;
  for (const TokenId id : ids) text += std::to_string(id) + (text.size() % 60 > 50 ? "\n" : " ");
  return text;
}

// Tokens `pattern` repeated `times` times.
Tokens repeated(const Tokens& pattern, int times) {
  Tokens out;
  for (int i = 0; i < times; ++i) out.insert(out.end(), pattern.begin(), pattern.end());
  return out;
}

// A corpus over 6 ids whose contexts have several likely continuations: after 1 comes 2;
// after 2 comes 3, 4 or 5 (3 most often); then back to 1, sometimes through 0.
const Tokens kBranchingCorpus = repeated({1, 2, 3, 1, 2, 4, 1, 2, 3, 0, 1, 2, 5, 1, 2, 3}, 12);

class NgramLmDrafterTest : public ::testing::Test {
 protected:
  NgramLmDrafterTest() {
    specrouter::PluginRegistrar registrar;
    specrouter_register_ngram_lm_drafter(registrar);
    registrar.commit(registries_);
    const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
    scratch_ = fs::temp_directory_path() /
               ("specrouter_ngram_lm_test_" + std::to_string(::getpid()) + "_" + test->name());
    fs::create_directories(scratch_);
  }
  ~NgramLmDrafterTest() override { fs::remove_all(scratch_); }

  // Writes `text` to scratch/name and returns the path.
  std::string write(const std::string& name, const std::string& text) const {
    const fs::path path = scratch_ / name;
    std::ofstream(path, std::ios::binary) << text;
    return path.string();
  }

  std::shared_ptr<Drafter> make(const Overrides& overrides) const {
    const auto& info = registries_.drafters.at("ngram_lm").info;
    return registries_.drafters.create(
        "ngram_lm", specrouter::Params::from_specs("drafter 'ngram_lm'", info.params, overrides));
  }

  // A drafter trained on token ids (vocab_size given), with further overrides.
  std::shared_ptr<Drafter> make_from_ids(const Tokens& corpus, std::int64_t vocab, Overrides overrides = {}) const {
    overrides.emplace("training_file", write("corpus.ids", ids_text(corpus)));
    overrides.emplace("vocab_size", vocab);
    return make(overrides);
  }

  static Draft draft(Drafter& drafter, const Tokens& context, int max_tokens) {
    const DraftRequest request{context, max_tokens};
    std::vector<Draft> drafts = drafter.propose({&request, 1}, {});
    EXPECT_EQ(drafts.size(), 1u);
    return drafts.at(0);
  }

  specrouter::Registries registries_;
  fs::path scratch_;
};

TEST_F(NgramLmDrafterTest, RegistersWithDocumentedParameters) {
  const auto& info = registries_.drafters.at("ngram_lm").info;
  EXPECT_EQ(info.kind, "drafter");
  EXPECT_FALSE(info.description.empty());
  std::map<std::string, std::string> defaults;
  for (const auto& spec : info.params) {
    EXPECT_FALSE(spec.doc.empty()) << spec.name;
    defaults[spec.name] = spec.required() ? "(required)" : specrouter::to_string(*spec.default_value);
  }
  EXPECT_EQ(defaults, (std::map<std::string, std::string>{{"training_file", "(required)"},
                                                          {"tokenizer", "\"\""},
                                                          {"vocab_size", "0"},
                                                          {"order", "4"},
                                                          {"discount", "0.0"},
                                                          {"sample", "false"},
                                                          {"temperature", "1.0"},
                                                          {"seed", "0"},
                                                          {"min_confidence", "0.0"}}));
}

TEST_F(NgramLmDrafterTest, GreedyContinuesAMemorizedSequence) {
  auto drafter = make_from_ids(repeated({1, 2, 3, 4, 5}, 30), 8, {{"order", std::int64_t{3}}});
  const Draft from_middle = draft(*drafter, {7, 3, 4}, 8);
  EXPECT_EQ(from_middle.tokens, (Tokens{5, 1, 2, 3, 4, 5, 1, 2}));
  EXPECT_TRUE(from_middle.probs.empty()) << "greedy drafts are one-hot";
  // A context never seen in training (6, 7) backs off to the unigram distribution, where
  // 1..5 tie (one distinct left neighbour each) and the first, 1, wins; then the sequence.
  EXPECT_EQ(draft(*drafter, {6, 7}, 6).tokens, (Tokens{1, 2, 3, 4, 5, 1}));
  EXPECT_EQ(draft(*drafter, {}, 3).tokens, (Tokens{1, 2, 3}));
}

TEST_F(NgramLmDrafterTest, GreedyDraftsTextThroughTheTokenizer) {
  const std::string tokenizer = write("tokenizer.json", kByteTokenizerJson);
  std::string text;
  for (int i = 0; i < 20; ++i) text += "the cat sat on the mat. ";
  // Order 7: six bytes of context tell "the cat" (after ". ") from "the mat" (after "n ").
  auto drafter = make({{"training_file", write("corpus.txt", text)},
                       {"tokenizer", tokenizer},
                       {"order", std::int64_t{7}}});
  const auto bytes = specrouter::load_tokenizer(tokenizer);
  const Tokens prompt = bytes->encode("the cat s", /*add_special_tokens=*/true);  // <bos> first
  ASSERT_EQ(prompt.front(), 256);
  const Draft continuation = draft(*drafter, prompt, 20);
  EXPECT_EQ(bytes->decode(continuation.tokens), "at on the mat. the c");
}

TEST_F(NgramLmDrafterTest, VocabularyComesFromTheTokenizerOrVocabSize) {
  const std::string tokenizer = write("tokenizer.json", kByteTokenizerJson);
  const std::string corpus = write("corpus.txt", "abracadabra");
  const Overrides sampled = {{"training_file", corpus}, {"tokenizer", tokenizer}, {"sample", true}};
  EXPECT_EQ(draft(*make(sampled), {'a'}, 2).probs.size(), 2u * kByteVocab);
  Overrides padded = sampled;
  padded["vocab_size"] = std::int64_t{320};  // a model whose embedding table is padded
  const Draft wide = draft(*make(padded), {'a'}, 2);
  ASSERT_EQ(wide.probs.size(), 2u * 320);
  EXPECT_NEAR(std::accumulate(wide.probs.begin(), wide.probs.begin() + 320, 0.0), 1.0, 1e-6);
  EXPECT_GT(wide.probs[319], 0.0f) << "padding ids keep a little mass: q covers the whole vocabulary";
}

// The distributions the drafter claims to have sampled from are the model's, row by row,
// each given the context and the tokens drafted before it; and each sums to 1.
TEST_F(NgramLmDrafterTest, SampledDraftsReturnTheRowsTheyWereDrawnFrom) {
  constexpr std::int64_t kVocab = 6;
  const specrouter::ngram_lm::KneserNeyModel model(kBranchingCorpus, 3, kVocab, 0.0);
  auto drafter = make_from_ids(kBranchingCorpus, kVocab, {{"order", std::int64_t{3}}, {"sample", true}});
  const std::vector<Tokens> contexts = {{1, 2}, {}, {5}, {4, 4, 4}, {9, 1}};
  std::vector<DraftRequest> requests;
  for (const Tokens& context : contexts) requests.push_back({context, 6});
  const std::vector<Draft> drafts = drafter->propose(requests, {});
  ASSERT_EQ(drafts.size(), contexts.size());
  std::vector<double> expected(kVocab);
  for (std::size_t r = 0; r < drafts.size(); ++r) {
    const Draft& d = drafts[r];
    ASSERT_EQ(d.tokens.size(), 6u);
    ASSERT_EQ(d.probs.size(), d.tokens.size() * kVocab);
    Tokens context = contexts[r];
    for (std::size_t i = 0; i < d.tokens.size(); ++i) {
      const float* row = d.probs.data() + i * kVocab;
      model.distribution(context, expected);
      double sum = 0;
      for (int w = 0; w < kVocab; ++w) {
        EXPECT_NEAR(row[w], expected[w], 1e-7) << "request " << r << ", position " << i << ", token " << w;
        sum += row[w];
      }
      EXPECT_NEAR(sum, 1.0, 1e-6);
      EXPECT_GT(row[d.tokens[i]], 0.0f);
      context.push_back(d.tokens[i]);
    }
  }
}

// ---- Sampling statistics --------------------------------------------------------------

constexpr int kTrials = 40'000;
constexpr double kSignificance = 1e-4;

// P(X >= statistic) for X ~ chi-square(df): the regularized upper incomplete gamma
// Q(df/2, statistic/2), from Q(1, y) = e^-y or Q(1/2, y) = erfc(sqrt y) and
// Q(a + 1, y) = Q(a, y) + y^a e^-y / Gamma(a + 1). (As in the token verifier's test.)
double chi_square_p_value(double statistic, int df) {
  const double y = statistic / 2;
  double a = df % 2 == 0 ? 1.0 : 0.5;
  double tail = df % 2 == 0 ? std::exp(-y) : std::erfc(std::sqrt(y));
  for (; a < df / 2.0; a += 1) tail += std::exp(a * std::log(y) - y - std::lgamma(a + 1));
  return tail;
}

// Goodness of fit of the observed token counts to `expected` (all entries > 0 here).
double goodness_of_fit(const std::vector<std::int64_t>& observed, const std::vector<float>& expected) {
  const double total = static_cast<double>(std::accumulate(observed.begin(), observed.end(), std::int64_t{0}));
  double statistic = 0;
  for (std::size_t w = 0; w < expected.size(); ++w) {
    const double mean = total * expected[w];
    statistic += (observed[w] - mean) * (observed[w] - mean) / mean;
  }
  return chi_square_p_value(statistic, static_cast<int>(expected.size()) - 1);
}

TEST(ChiSquare, PValuesMatchTables) {
  EXPECT_NEAR(chi_square_p_value(11.070, 5), 0.05, 1e-4);
  EXPECT_NEAR(chi_square_p_value(20.515, 5), 0.001, 1e-5);
  EXPECT_NEAR(chi_square_p_value(0, 5), 1.0, 1e-12);
}

// One call with kTrials identical requests: how often each token came first, and the row
// the drafter says it drew them from (the same for every request).
struct FirstTokens {
  std::vector<std::int64_t> counts;
  std::vector<float> row;
};

FirstTokens first_tokens(Drafter& drafter, const Tokens& context, std::size_t vocab) {
  const std::vector<DraftRequest> requests(kTrials, DraftRequest{context, 1});
  const std::vector<Draft> drafts = drafter.propose(requests, {});
  FirstTokens result{std::vector<std::int64_t>(vocab), {drafts.at(0).probs.begin(), drafts.at(0).probs.end()}};
  for (const Draft& d : drafts) {
    EXPECT_EQ(d.probs, drafts[0].probs);
    ++result.counts.at(static_cast<std::size_t>(d.tokens.at(0)));
  }
  return result;
}

TEST_F(NgramLmDrafterTest, FirstSampledTokenFollowsItsRow) {
  constexpr std::size_t kVocab = 6;
  // After "2" (a context shorter than the order: bigram continuation counts) the row is
  // about [0.065, 0.176, 0.065, 0.231, 0.231, 0.231]: at temperature 0.5 the rarest token
  // still expects about 840 of the 40,000 draws, so the chi-square approximation holds.
  const Tokens context = {2};
  for (const double temperature : {1.0, 0.5, 2.0}) {
    auto drafter = make_from_ids(kBranchingCorpus, kVocab,
                                 {{"order", std::int64_t{3}}, {"sample", true}, {"temperature", temperature}});
    const FirstTokens drawn = first_tokens(*drafter, context, kVocab);
    const double p_value = goodness_of_fit(drawn.counts, drawn.row);
    ::testing::Test::RecordProperty("p_value_temperature_" + std::to_string(temperature), std::to_string(p_value));
    EXPECT_GT(p_value, kSignificance) << "temperature " << temperature;
  }
}

TEST_F(NgramLmDrafterTest, TemperatureSharpensOrFlattensTheRowAndTheCheckSeesIt) {
  constexpr std::size_t kVocab = 6;
  const Tokens context = {2};
  auto plain = make_from_ids(kBranchingCorpus, kVocab, {{"order", std::int64_t{3}}, {"sample", true}});
  auto cold = make_from_ids(kBranchingCorpus, kVocab,
                            {{"order", std::int64_t{3}}, {"sample", true}, {"temperature", 0.5}});
  const std::vector<float> p = draft(*plain, context, 1).probs;
  const FirstTokens drawn = first_tokens(*cold, context, kVocab);
  // q ∝ p^(1/T) = p², normalized.
  double squares = 0;
  for (const float x : p) squares += double{x} * x;
  for (std::size_t w = 0; w < kVocab; ++w) EXPECT_NEAR(drawn.row[w], double{p[w]} * p[w] / squares, 1e-6) << w;
  // Tokens drawn at T = 0.5 do not fit the T = 1 row: the goodness-of-fit check has the
  // power to catch a drafter that reports a row other than the one it sampled from.
  EXPECT_LT(goodness_of_fit(drawn.counts, p), kSignificance);
}

TEST_F(NgramLmDrafterTest, SeedsReproduceTheDraws) {
  const Overrides sampled = {{"order", std::int64_t{2}}, {"sample", true}, {"seed", std::int64_t{7}}};
  auto first = make_from_ids(kBranchingCorpus, 6, sampled);
  auto second = make_from_ids(kBranchingCorpus, 6, sampled);
  Overrides other_seed = sampled;
  other_seed["seed"] = std::int64_t{8};
  auto third = make_from_ids(kBranchingCorpus, 6, other_seed);
  std::vector<Tokens> from_first, from_second, from_third;
  for (int call = 0; call < 3; ++call) {  // the stream continues across calls
    const Draft a = draft(*first, {2}, 40), b = draft(*second, {2}, 40);
    EXPECT_EQ(a.tokens, b.tokens) << "call " << call;
    EXPECT_EQ(a.probs, b.probs) << "call " << call;
    from_first.push_back(a.tokens);
    from_third.push_back(draft(*third, {2}, 40).tokens);
  }
  EXPECT_NE(from_first, from_third) << "another seed, other draws";
  EXPECT_NE(from_first[0], from_first[1]) << "one stream per drafter: later calls draw new numbers";
}

TEST_F(NgramLmDrafterTest, MinConfidenceStopsBeforeAnUncertainToken) {
  constexpr std::int64_t kVocab = 6;
  const specrouter::ngram_lm::KneserNeyModel model(kBranchingCorpus, 3, kVocab, 0.0);
  std::vector<double> row(kVocab);
  model.distribution(Tokens{0, 1}, row);
  const double sure = *std::max_element(row.begin(), row.end());  // 2 after "0 1"
  model.distribution(Tokens{1, 2}, row);
  const double unsure = *std::max_element(row.begin(), row.end());  // 3, 4 or 5 after "1 2"
  ASSERT_LT(unsure, sure);
  const double threshold = (sure + unsure) / 2;

  Overrides stopping = {{"order", std::int64_t{3}}, {"min_confidence", threshold}};
  EXPECT_EQ(draft(*make_from_ids(kBranchingCorpus, kVocab, {{"order", std::int64_t{3}}}), {0, 1}, 4).tokens.size(), 4u);
  EXPECT_EQ(draft(*make_from_ids(kBranchingCorpus, kVocab, stopping), {0, 1}, 4).tokens, Tokens{2});
  stopping["min_confidence"] = 1.0;  // no row is one-hot
  EXPECT_TRUE(draft(*make_from_ids(kBranchingCorpus, kVocab, stopping), {0, 1}, 4).tokens.empty());

  // Sampled: every drafted token's row reached the threshold, and the row after a draft
  // cut short did not; one row is returned per drafted token.
  stopping = {{"order", std::int64_t{3}}, {"min_confidence", threshold}, {"sample", true}};
  auto drafter = make_from_ids(kBranchingCorpus, kVocab, stopping);
  int cut_short = 0;
  for (int trial = 0; trial < 50; ++trial) {
    const Draft d = draft(*drafter, {0, 1}, 4);
    ASSERT_EQ(d.probs.size(), d.tokens.size() * kVocab);
    Tokens context = {0, 1};
    for (std::size_t i = 0; i < d.tokens.size(); ++i) {
      EXPECT_GE(*std::max_element(d.probs.begin() + i * kVocab, d.probs.begin() + (i + 1) * kVocab), threshold - 1e-6);
      context.push_back(d.tokens[i]);
    }
    if (d.tokens.size() < 4) {
      ++cut_short;
      model.distribution(context, row);
      EXPECT_LT(*std::max_element(row.begin(), row.end()), threshold) << "trial " << trial;
    }
  }
  EXPECT_GT(cut_short, 0);
}

TEST_F(NgramLmDrafterTest, BatchAnswersEachRequestInOrder) {
  auto drafter = make_from_ids(repeated({1, 2, 3, 4, 5}, 10), 8, {{"order", std::int64_t{2}}});
  const std::vector<Tokens> contexts = {{1}, {4}, {5}};
  const std::vector<DraftRequest> requests = {{contexts[0], 2}, {contexts[1], 0}, {contexts[2], 3}};
  const std::vector<Draft> drafts = drafter->propose(requests, {});
  ASSERT_EQ(drafts.size(), 3u);
  EXPECT_EQ(drafts[0].tokens, (Tokens{2, 3}));
  EXPECT_TRUE(drafts[1].tokens.empty()) << "max_tokens 0";
  EXPECT_EQ(drafts[2].tokens, (Tokens{1, 2, 3}));
  EXPECT_TRUE(drafter->propose({}, {}).empty());
}

// ---- Errors ---------------------------------------------------------------------------

class NgramLmDrafterErrors : public NgramLmDrafterTest {
 protected:
  // Building with `overrides` fails with a ConfigError naming the drafter and each of `parts`.
  void expect_error(const Overrides& overrides, const std::vector<std::string>& parts) const {
    try {
      make(overrides);
      ADD_FAILURE() << "no error; expected one naming " << parts.front();
    } catch (const specrouter::ConfigError& error) {
      const std::string message = error.what();
      EXPECT_NE(message.find("drafter 'ngram_lm'"), std::string::npos) << message;
      for (const std::string& part : parts) EXPECT_NE(message.find(part), std::string::npos) << part << " in: " << message;
      EXPECT_EQ(message.find('\n'), std::string::npos) << "one line: " << message;
    }
  }
};

TEST_F(NgramLmDrafterErrors, NameTheTrainingFile) {
  const std::string missing = (scratch_ / "no_such_corpus.txt").string();
  expect_error({{"training_file", missing}, {"vocab_size", std::int64_t{4}}}, {"training_file", missing, "cannot be read"});
  const std::string folder = scratch_.string();
  expect_error({{"training_file", folder}, {"vocab_size", std::int64_t{4}}}, {"training_file", folder, "not a regular file"});
  const std::string empty = write("empty.ids", " \n\t\n");
  expect_error({{"training_file", empty}, {"vocab_size", std::int64_t{4}}}, {"training_file", empty, "holds no tokens"});
  const std::string tokenizer = write("tokenizer.json", kByteTokenizerJson);
  const std::string empty_text = write("empty.txt", "");
  expect_error({{"training_file", empty_text}, {"tokenizer", tokenizer}}, {empty_text, "holds no tokens"});
  const std::string malformed = write("bad.ids", "1 2 3\n4 5x 6\n");
  expect_error({{"training_file", malformed}, {"vocab_size", std::int64_t{8}}}, {malformed, "line 2", "'5x'"});
  const std::string negative = write("negative.ids", "1 -2 3\n");
  expect_error({{"training_file", negative}, {"vocab_size", std::int64_t{8}}}, {negative, "line 1", "'-2'"});
  const std::string large = write("large.ids", "1 2 8 3\n");
  expect_error({{"training_file", large}, {"vocab_size", std::int64_t{8}}}, {large, "vocab_size", "8"});
  const std::string short_corpus = write("short.ids", "1 2\n");
  expect_error({{"training_file", short_corpus}, {"vocab_size", std::int64_t{8}}}, {short_corpus, "order 4"});
}

TEST_F(NgramLmDrafterErrors, NameTheVocabularyAndTokenizer) {
  const std::string ids = write("corpus.ids", ids_text(repeated({1, 2, 3}, 4)));
  expect_error({{"training_file", ids}}, {"vocab_size", ids, "tokenizer is empty"});
  expect_error({{"training_file", ids}, {"vocab_size", std::int64_t{-3}}}, {"vocab_size", "-3"});
  const std::string no_tokenizer = (scratch_ / "no_tokenizer.json").string();
  expect_error({{"training_file", ids}, {"tokenizer", no_tokenizer}}, {"tokenizer", no_tokenizer, "not found"});
  const std::string tokenizer = write("tokenizer.json", kByteTokenizerJson);
  const std::string text = write("corpus.txt", "hello world, hello again");
  expect_error({{"training_file", text}, {"tokenizer", tokenizer}, {"vocab_size", std::int64_t{100}}},
               {"vocab_size 100", "259"});
  // The missing required parameter is caught by the declarations, before the factory.
  EXPECT_THROW(make({}), specrouter::ConfigError);
}

TEST_F(NgramLmDrafterErrors, NameTheParameterOutOfRange) {
  const std::string ids = write("corpus.ids", ids_text(repeated({1, 2, 3}, 4)));
  const Overrides base = {{"training_file", ids}, {"vocab_size", std::int64_t{4}}};
  const auto with = [&](const std::string& key, ParamValue value) {
    Overrides overrides = base;
    overrides[key] = std::move(value);
    return overrides;
  };
  expect_error(with("order", std::int64_t{0}), {"order", "got 0"});
  expect_error(with("order", std::int64_t{17}), {"order", "got 17"});
  expect_error(with("discount", 1.5), {"discount", "1.5"});
  expect_error(with("discount", -0.1), {"discount"});
  expect_error(with("temperature", 0.0), {"temperature", "> 0"});
  expect_error(with("min_confidence", 1.5), {"min_confidence", "1.5"});
  expect_error(with("min_confidence", -0.5), {"min_confidence"});
  EXPECT_NO_THROW(make(with("order", std::int64_t{12})));
}

}  // namespace
