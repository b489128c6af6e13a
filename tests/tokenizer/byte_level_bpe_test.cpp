// Byte-level BPE (GPT-2, Llama 3, Qwen2, SmolLM2 style) on hand-built tokenizer.json files
// whose encodings are worked out by hand in the comments.
#include <gtest/gtest.h>

#include "hf_json_builder.h"
#include "specrouter/tokenizer/tokenizer.h"

namespace specrouter {
namespace {

using nlohmann::json;
using test::byte_level;
using test::byte_level_all;
using test::byte_level_vocab;
using test::bpe_model;
using test::Ids;
using test::load_json;
using test::tokens_of;
using Tokens = std::vector<std::string>;

constexpr const char* kLlama3Pattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
constexpr const char* kQwen2Pattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

json byte_level_pre_tokenizer(bool add_prefix_space, bool use_regex) {
  return {{"type", "ByteLevel"}, {"add_prefix_space", add_prefix_space}, {"trim_offsets", true},
          {"use_regex", use_regex}};
}

json split_then_byte_level(const char* pattern) {
  return {{"type", "Sequence"},
          {"pretokenizers",
           {{{"type", "Split"}, {"pattern", {{"Regex", pattern}}}, {"behavior", "Isolated"}, {"invert", false}},
            byte_level_pre_tokenizer(false, false)}}};
}

// Encodes `text` with a vocabulary holding the byte alphabet plus exactly the expected
// pieces, with ignore_merges (as Llama 3): each piece the pre-tokenizer produces is one
// token if and only if it is one of the expected pieces.
Tokens pre_tokenized(const json& pre_tokenizer, const std::string& text, const Tokens& expected_raw_pieces) {
  json model = bpe_model(byte_level_vocab(byte_level_all(expected_raw_pieces)));
  model["ignore_merges"] = true;
  json document = test::tokenizer_json(model);
  document["pre_tokenizer"] = pre_tokenizer;
  const auto tokenizer = load_json(document);
  return tokens_of(*tokenizer, tokenizer->encode(text, false));
}

// ---- merges -------------------------------------------------------------------------

// Letters a, b, c spell themselves in the byte-level alphabet, so no pre-tokenizer is needed.
std::unique_ptr<Tokenizer> abc_tokenizer(const json& merges, bool ignore_merges = false) {
  json model = bpe_model(byte_level_vocab({"ab", "bc", "aa", "aaaa", "abc"}));
  model["merges"] = merges;
  model["ignore_merges"] = ignore_merges;
  return load_json(test::tokenizer_json(model));
}

TEST(ByteLevelBpe, LowestRankMergesFirstWhereverItIs) {
  // Ranks: (b,c)=0, (a,b)=1, (a,a)=2, (aa,aa)=3.
  const auto tokenizer = abc_tokenizer(json{"b c", "a b", "a a", "aa aa"});
  // a·b (rank 1) and b·c (rank 0) compete for the b: b·c wins; there is no merge (a, bc).
  EXPECT_EQ(tokens_of(*tokenizer, tokenizer->encode("abc", false)), (Tokens{"a", "bc"}));
  // Two independent a·b merges.
  EXPECT_EQ(tokens_of(*tokenizer, tokenizer->encode("abab", false)), (Tokens{"ab", "ab"}));
  EXPECT_EQ(tokens_of(*tokenizer, tokenizer->encode("cab", false)), (Tokens{"c", "ab"}));
}

TEST(ByteLevelBpe, EqualRanksMergeLeftmostFirst) {
  const auto tokenizer = abc_tokenizer(json{"b c", "a b", "a a", "aa aa"});
  // a·a everywhere has the same rank: positions 0 then 2 merge, the last a stays.
  EXPECT_EQ(tokens_of(*tokenizer, tokenizer->encode("aaa", false)), (Tokens{"aa", "a"}));
  // aa aa a -> (aa,aa) rank 3 -> aaaa a.
  EXPECT_EQ(tokens_of(*tokenizer, tokenizer->encode("aaaaa", false)), (Tokens{"aaaa", "a"}));
}

TEST(ByteLevelBpe, MergeRankOrderDecidesTheResult) {
  // Same vocabulary, a·b now ranked before b·c and "ab c" merges on.
  const auto tokenizer = abc_tokenizer(json{"a b", "b c", "ab c"});
  EXPECT_EQ(tokens_of(*tokenizer, tokenizer->encode("abc", false)), (Tokens{"abc"}));
}

TEST(ByteLevelBpe, PairFormMergesEqualStringForm) {
  const auto strings = abc_tokenizer(json{"b c", "a b", "a a", "aa aa"});
  const auto pairs = abc_tokenizer(json::array({json::array({"b", "c"}), json::array({"a", "b"}),
                                                json::array({"a", "a"}), json::array({"aa", "aa"})}));
  for (const std::string text : {"abc", "abab", "aaaaa", "cabbage", "bcbcaa"}) {
    EXPECT_EQ(strings->encode(text, false), pairs->encode(text, false)) << text;
  }
}

TEST(ByteLevelBpe, IgnoreMergesTakesWholeWordsFromTheVocabulary) {
  // "abc" is in the vocabulary but the merges only reach a·bc.
  EXPECT_EQ(tokens_of(*abc_tokenizer(json{"b c"}), abc_tokenizer(json{"b c"})->encode("abc", false)),
            (Tokens{"a", "bc"}));
  const auto ignoring = abc_tokenizer(json{"b c"}, /*ignore_merges=*/true);
  EXPECT_EQ(tokens_of(*ignoring, ignoring->encode("abc", false)), (Tokens{"abc"}));
  // A word outside the vocabulary still goes through the merges.
  EXPECT_EQ(tokens_of(*ignoring, ignoring->encode("abca", false)), (Tokens{"a", "bc", "a"}));
}

// ---- pre-tokenizer regexes ------------------------------------------------------------

TEST(ByteLevelBpe, Llama3RegexContractionsAreCaseInsensitive) {
  const Tokens pieces = {"I", "'m", " DON", "'T", " you", "'LL"};
  EXPECT_EQ(pre_tokenized(split_then_byte_level(kLlama3Pattern), "I'm DON'T you'LL", pieces), byte_level_all(pieces));
}

TEST(ByteLevelBpe, Llama3RegexSplitsDigitsInGroupsOfThree) {
  // " 2024": a space cannot prefix digits, so it stands alone (\s+ since \s+(?!\S) fails).
  const Tokens pieces = {"123", "456", "7", " ", "202", "4"};
  EXPECT_EQ(pre_tokenized(split_then_byte_level(kLlama3Pattern), "1234567 2024", pieces), byte_level_all(pieces));
}

TEST(ByteLevelBpe, Llama3RegexWhitespaceRunsAndNewlines) {
  // A run of spaces leaves its last space to the next word; newlines group as \s*[\r\n]+.
  const Tokens spaces = {"a", "  ", " b"};
  EXPECT_EQ(pre_tokenized(split_then_byte_level(kLlama3Pattern), "a   b", spaces), byte_level_all(spaces));
  const Tokens newlines = {"a", "\n\n", " ", " b"};
  EXPECT_EQ(pre_tokenized(split_then_byte_level(kLlama3Pattern), "a\n\n  b", newlines), byte_level_all(newlines));
  const Tokens trailing = {"end", "  "};
  EXPECT_EQ(pre_tokenized(split_then_byte_level(kLlama3Pattern), "end  ", trailing), byte_level_all(trailing));
}

TEST(ByteLevelBpe, Llama3RegexUnicodeLettersAndPunctuation) {
  // Letters of any script are \p{L}; one leading non-letter (space, comma) joins the word.
  const Tokens cyrillic = {"Привет", ",", " мир", "!"};
  EXPECT_EQ(pre_tokenized(split_then_byte_level(kLlama3Pattern), "Привет, мир!", cyrillic), byte_level_all(cyrillic));
  const Tokens chinese = {"你好", "，世界"};
  EXPECT_EQ(pre_tokenized(split_then_byte_level(kLlama3Pattern), "你好，世界", chinese), byte_level_all(chinese));
  // Punctuation runs take a leading space and trailing newlines; emoji are punctuation-like.
  const Tokens punctuation = {"Hello", "!!!", " ...\n", "x", "👍🏽!"};
  EXPECT_EQ(pre_tokenized(split_then_byte_level(kLlama3Pattern), "Hello!!! ...\nx👍🏽!", punctuation),
            byte_level_all(punctuation));
}

TEST(ByteLevelBpe, Qwen2RegexSplitsEveryDigit) {
  const Tokens pieces = {"year", " ", "2", "0", "2", "4"};
  EXPECT_EQ(pre_tokenized(split_then_byte_level(kQwen2Pattern), "year 2024", pieces), byte_level_all(pieces));
}

TEST(ByteLevelBpe, Gpt2RegexKeepsDigitRunsAndLowerCaseContractions) {
  const json gpt2 = byte_level_pre_tokenizer(false, true);
  const Tokens words = {"Hello", " ", " world", "'s", " 1234567"};
  EXPECT_EQ(pre_tokenized(gpt2, "Hello  world's 1234567", words), byte_level_all(words));
  // GPT-2's contractions are lower case only: "'T" is punctuation then a letter.
  const Tokens upper = {"DON", "'", "T"};
  EXPECT_EQ(pre_tokenized(gpt2, "DON'T", upper), byte_level_all(upper));
}

TEST(ByteLevelBpe, SplitBehaviorsAndInvert) {
  // Pattern " " in "a b  c": matches at 1, 3 and 4 (two separate one-space matches).
  const auto split = [](const char* behavior, bool invert) {
    return json{{"type", "Sequence"},
                {"pretokenizers",
                 {{{"type", "Split"}, {"pattern", {{"String", " "}}}, {"behavior", behavior}, {"invert", invert}},
                  byte_level_pre_tokenizer(false, false)}}};
  };
  const auto check = [&](const char* behavior, bool invert, const Tokens& pieces) {
    EXPECT_EQ(pre_tokenized(split(behavior, invert), "a b  c", pieces), byte_level_all(pieces))
        << behavior << (invert ? " inverted" : "");
  };
  check("Isolated", false, {"a", " ", "b", " ", " ", "c"});
  check("Removed", false, {"a", "b", "c"});
  check("MergedWithPrevious", false, {"a ", "b ", " ", "c"});
  check("MergedWithNext", false, {"a", " b", " ", " c"});
  check("Contiguous", false, {"a", " ", "b", "  ", "c"});
  // Inverted, the letters are the matches.
  check("Removed", true, {" ", " ", " "});
  check("MergedWithPrevious", true, {"a", " b", " ", " c"});
  check("MergedWithNext", true, {"a ", "b ", " ", "c"});
}

TEST(ByteLevelBpe, AddPrefixSpaceAddsOneSpaceUnlessPresent) {
  const json prefixed = byte_level_pre_tokenizer(true, true);
  EXPECT_EQ(pre_tokenized(prefixed, "Hello", {" Hello"}), byte_level_all({" Hello"}));
  EXPECT_EQ(pre_tokenized(prefixed, " Hello", {" Hello"}), byte_level_all({" Hello"}));
}

TEST(ByteLevelBpe, DigitsPreTokenizerIsolatesEachDigitBeforeByteLevel) {
  // SmolLM2: Sequence[Digits(individual_digits), ByteLevel(use_regex)].
  const json smollm2 = {{"type", "Sequence"},
                        {"pretokenizers",
                         {{{"type", "Digits"}, {"individual_digits", true}}, byte_level_pre_tokenizer(false, true)}}};
  const Tokens pieces = {"abc", "1", "2", "3", " x"};
  EXPECT_EQ(pre_tokenized(smollm2, "abc123 x", pieces), byte_level_all(pieces));
}

// ---- added and special tokens -----------------------------------------------------------

// The byte alphabet (ids 0-255), no merges, GPT-2 pre-tokenizer and decoder, plus
// `added` tokens at ids 256...
std::unique_ptr<Tokenizer> with_added_tokens(json added, json normalizer = nullptr, json post_processor = nullptr) {
  json document = test::tokenizer_json(bpe_model(byte_level_vocab()));
  document["added_tokens"] = std::move(added);
  document["pre_tokenizer"] = byte_level_pre_tokenizer(false, true);
  document["decoder"] = {{"type", "ByteLevel"}, {"add_prefix_space", true}, {"trim_offsets", true},
                         {"use_regex", true}};
  document["normalizer"] = std::move(normalizer);
  document["post_processor"] = std::move(post_processor);
  return load_json(document);
}

TEST(ByteLevelBpe, SpecialTokensAreCutOutOfTheTextLongestFirst) {
  const auto tokenizer =
      with_added_tokens(json{test::added_token(256, "<|a|>"), test::added_token(257, "<|a|>b")});
  EXPECT_EQ(tokens_of(*tokenizer, tokenizer->encode("x<|a|>by", false)), (Tokens{"x", "<|a|>b", "y"}));
  EXPECT_EQ(tokens_of(*tokenizer, tokenizer->encode("x<|a|>y", false)), (Tokens{"x", "<|a|>", "y"}));
  EXPECT_EQ(tokenizer->encode("<|a|><|a|>", false), (Ids{256, 256}));
  // Around a special token the text is pre-tokenized separately: " y" keeps its space.
  EXPECT_EQ(tokens_of(*tokenizer, tokenizer->encode("<|a|> y<|a|", false)),
            (Tokens{"<|a|>", "Ġ", "y", "<", "|", "a", "|"}));
}

TEST(ByteLevelBpe, TemplateAddsBosOnlyWithSpecialTokens) {
  const json bos_template = {
      {"type", "TemplateProcessing"},
      {"single", {{{"SpecialToken", {{"id", "<|bos|>"}, {"type_id", 0}}}}, {{"Sequence", {{"id", "A"}, {"type_id", 0}}}}}},
      {"pair", json::array()},
      {"special_tokens", {{"<|bos|>", {{"id", "<|bos|>"}, {"ids", {256}}, {"tokens", {"<|bos|>"}}}}}}};
  const auto tokenizer = with_added_tokens(json{test::added_token(256, "<|bos|>"), test::added_token(257, "<|endoftext|>")},
                                           nullptr, bos_template);
  EXPECT_EQ(tokenizer->encode("hi", true), (Ids{256, 'h', 'i'}));
  EXPECT_EQ(tokenizer->encode("hi", false), (Ids{'h', 'i'}));
  EXPECT_EQ(tokenizer->encode("", true), (Ids{256}));
  EXPECT_EQ(tokenizer->decode(Ids{256, 'h', 'i', 257}, false), "<|bos|>hi<|endoftext|>");
  EXPECT_EQ(tokenizer->decode(Ids{256, 'h', 'i', 257}, true), "hi");
  EXPECT_EQ(tokenizer->bos_id(), 256);  // from the template
  EXPECT_EQ(tokenizer->eos_id(), 257);  // a conventional name
  EXPECT_TRUE(tokenizer->is_special(256));
  EXPECT_FALSE(tokenizer->is_special('h'));
}

TEST(ByteLevelBpe, AddedTokenStripAndSingleWordFlags) {
  json mask = test::added_token(256, "<mask>");
  mask["lstrip"] = true;
  json sep = test::added_token(257, "<sep>");
  sep["rstrip"] = true;
  json word = test::added_token(258, "word", /*special=*/false);
  word["single_word"] = true;
  const auto tokenizer = with_added_tokens(json{mask, sep, word});
  // lstrip: the spaces before <mask> belong to it.
  EXPECT_EQ(tokens_of(*tokenizer, tokenizer->encode("a   <mask> b", false)), (Tokens{"a", "<mask>", "Ġ", "b"}));
  // rstrip: the spaces after <sep> belong to it; "a " is pre-tokenized as "a", " ".
  EXPECT_EQ(tokens_of(*tokenizer, tokenizer->encode("a <sep>  b", false)), (Tokens{"a", "Ġ", "<sep>", "b"}));
  // single_word: only where no word character touches it ('_' is one, '.' is not).
  EXPECT_EQ(tokens_of(*tokenizer, tokenizer->encode("a word.", false)), (Tokens{"a", "Ġ", "word", "."}));
  EXPECT_EQ(tokenizer->encode("swordfish", false), (Ids{'s', 'w', 'o', 'r', 'd', 'f', 'i', 's', 'h'}));
  EXPECT_EQ(tokenizer->encode("word_x", false), (Ids{'w', 'o', 'r', 'd', '_', 'x'}));
  // Unicode word characters count too: a letter (é) or a combining mark blocks the match,
  // a dash (—) does not.
  EXPECT_EQ(tokenizer->encode("—word—", false), (Ids{0xE2, 0x80, 0x94, 258, 0xE2, 0x80, 0x94}));
  EXPECT_EQ(tokenizer->encode("éword", false).size(), 6u);
  EXPECT_EQ(tokenizer->encode("word\u0301", false).size(), 6u);
}

TEST(ByteLevelBpe, NormalizedAddedTokensMatchNormalizedText) {
  // Normalizer '-' -> '_'. "a_b" (normalized=true) matches after normalization, so "a-b"
  // finds it; "c-d" (normalized=false) matches the raw text only.
  json a_b = test::added_token(256, "a_b", /*special=*/false);
  json c_d = test::added_token(257, "c-d", /*special=*/false);
  c_d["normalized"] = false;
  const json normalizer = {{"type", "Replace"}, {"pattern", {{"String", "-"}}}, {"content", "_"}};
  const auto tokenizer = with_added_tokens(json{a_b, c_d}, normalizer);
  EXPECT_EQ(tokens_of(*tokenizer, tokenizer->encode("a-b c-d", false)), (Tokens{"a_b", "Ġ", "c-d"}));
  EXPECT_EQ(tokens_of(*tokenizer, tokenizer->encode("c_d", false)), (Tokens{"c", "_", "d"}));
}

// ---- decoding and vocabulary queries -------------------------------------------------

TEST(ByteLevelBpe, DecodeMapsByteLevelCharactersBack) {
  const auto tokenizer = with_added_tokens(json{test::added_token(256, "日本"), test::added_token(257, "é")});
  EXPECT_EQ(tokenizer->decode(tokenizer->encode(" hëllo\n\t€", false)), " hëllo\n\t€");
  // Tokens with characters outside the byte-level alphabet decode to their own UTF-8.
  EXPECT_EQ(tokenizer->decode(Ids{'a', 256, 'b'}), "a日本b");
  // Latin-1 characters are byte-level characters: "é" decodes to the single byte 0xE9,
  // exactly as in tokenizers (which then shows U+FFFD).
  EXPECT_EQ(tokenizer->decode(Ids{257}), "\xE9");
  // Unknown ids are dropped.
  EXPECT_EQ(tokenizer->decode(Ids{'a', 9999, -1, 'b'}), "ab");
}

TEST(ByteLevelBpe, WithoutDecoderTokensJoinWithSpaces) {
  const auto tokenizer = load_json(test::tokenizer_json(bpe_model(byte_level_vocab({"ab"}), {"a b"})));
  EXPECT_EQ(tokenizer->decode(tokenizer->encode("abc", false)), "ab c");
}

TEST(ByteLevelBpe, VocabularyQueries) {
  const auto tokenizer = with_added_tokens(json{test::added_token(300, "<|x|>")});
  EXPECT_EQ(tokenizer->vocab_size(), 301);
  EXPECT_EQ(tokenizer->token_to_id("<|x|>"), 300);
  EXPECT_EQ(tokenizer->token_to_id(byte_level(" ")), ' ');
  EXPECT_EQ(tokenizer->token_to_id("nope"), std::nullopt);
  EXPECT_EQ(tokenizer->id_to_token(300), "<|x|>");
  EXPECT_EQ(tokenizer->id_to_token(' '), "Ġ");
  EXPECT_EQ(tokenizer->id_to_token(299), std::nullopt);
  EXPECT_EQ(tokenizer->bos_id(), std::nullopt);
  EXPECT_EQ(tokenizer->eos_id(), std::nullopt);
}

}  // namespace
}  // namespace specrouter
