// Decoding is the exact inverse of encoding, on any bytes (invalid UTF-8 included), for the
// byte-level BPE pipelines and the byte tokenizer. Seeded random strings.
#include <gtest/gtest.h>

#include <random>
#include <thread>

#include "hf_json_builder.h"
#include "random_text.h"
#include "specrouter/tokenizer/byte_tokenizer.h"
#include "specrouter/tokenizer/tokenizer.h"

namespace specrouter {
namespace {

using nlohmann::json;
using test::byte_level;
using test::escaped;

constexpr int kStrings = 400;

// A byte-level BPE with merges between ASCII, multi-byte and invalid bytes, a BOS template,
// two special tokens, and the given pre-tokenizer.
std::unique_ptr<Tokenizer> byte_level_bpe(const json& pre_tokenizer) {
  const std::vector<std::pair<std::string, std::string>> merges = {
      {" ", "t"}, {" t", "h"}, {"e", "r"}, {"\xE2", "\x82"}, {"\xE2\x82", "\xAC"}, {"\xFF", "\xFE"},
      {"a", "a"}, {"aa", "aa"}, {"\xC3", "\xA9"}, {"1", "2"}, {"\n", "\n"}};
  std::vector<std::string> extra;
  json merge_list = json::array();
  for (const auto& [left, right] : merges) {
    extra.push_back(byte_level(left + right));
    merge_list.push_back(byte_level(left) + " " + byte_level(right));
  }
  json model = test::bpe_model(test::byte_level_vocab(extra));
  model["merges"] = merge_list;
  const int bos = static_cast<int>(model["vocab"].size());
  json document = test::tokenizer_json(model);
  document["added_tokens"] = {test::added_token(bos, "<|bos|>"), test::added_token(bos + 1, "<|eot|>")};
  document["pre_tokenizer"] = pre_tokenizer;
  document["decoder"] = {{"type", "ByteLevel"}};
  document["post_processor"] = {
      {"type", "TemplateProcessing"},
      {"single", {{{"SpecialToken", {{"id", "<|bos|>"}, {"type_id", 0}}}}, {{"Sequence", {{"id", "A"}, {"type_id", 0}}}}}},
      {"pair", json::array()},
      {"special_tokens", {{"<|bos|>", {{"id", "<|bos|>"}, {"ids", {bos}}, {"tokens", {"<|bos|>"}}}}}}};
  return test::load_json(document);
}

void expect_round_trips(const Tokenizer& tokenizer, unsigned seed) {
  std::mt19937 rng(seed);
  const std::vector<std::string> specials = {"<|bos|>", "<|eot|>", "<bos>", "<eos>"};
  for (int i = 0; i < kStrings; ++i) {
    const std::string text = test::random_text(rng, 40, specials);
    const std::vector<TokenId> plain = tokenizer.encode(text, false);
    ASSERT_EQ(tokenizer.decode(plain, false), text) << "text '" << escaped(text) << "'";
    // The BOS from the template is a special token: skipping specials drops it, but also
    // any special token written in the text, so compare without them.
    const std::vector<TokenId> with_bos = tokenizer.encode(text, true);
    if (const auto bos = tokenizer.bos_id(); bos && !with_bos.empty() && with_bos.front() == *bos) {
      ASSERT_EQ(tokenizer.decode(std::span(with_bos).subspan(1), false), text) << "text '" << escaped(text) << "'";
    }
  }
}

TEST(RoundTrip, Gpt2ByteLevelBpe) {
  const auto tokenizer = byte_level_bpe(
      {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", true}});
  expect_round_trips(*tokenizer, 1);
}

TEST(RoundTrip, Llama3ByteLevelBpe) {
  const json split = {{"type", "Split"},
                      {"pattern",
                       {{"Regex", R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)"}}},
                      {"behavior", "Isolated"},
                      {"invert", false}};
  const json byte_level_step = {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", false}};
  const auto tokenizer = byte_level_bpe({{"type", "Sequence"}, {"pretokenizers", {split, byte_level_step}}});
  expect_round_trips(*tokenizer, 2);
}

TEST(RoundTrip, ConcurrentEncodingEqualsSerialEncoding) {
  // One tokenizer shared by four threads (its word cache is shared too).
  const auto tokenizer = byte_level_bpe(
      {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", true}});
  std::mt19937 rng(4);
  std::vector<std::string> texts;
  for (int i = 0; i < 200; ++i) texts.push_back(test::random_text(rng, 60));
  std::vector<std::vector<TokenId>> serial;
  for (const std::string& text : texts) serial.push_back(tokenizer->encode(text, true));
  std::vector<std::vector<std::vector<TokenId>>> parallel(4, std::vector<std::vector<TokenId>>(texts.size()));
  {
    std::vector<std::jthread> threads;
    for (std::size_t t = 0; t < parallel.size(); ++t) {
      threads.emplace_back([&, t] {
        for (std::size_t k = 0; k < texts.size(); ++k) {
          const std::size_t i = (k * 7 + t * 13) % texts.size();  // different orders per thread
          parallel[t][i] = tokenizer->encode(texts[i], true);
        }
      });
    }
  }
  for (const auto& results : parallel) EXPECT_EQ(results, serial);
}

TEST(RoundTrip, ByteTokenizer) {
  const ByteTokenizer tokenizer(ByteTokenizerOptions{{"<bos>", "<eos>", "<bos>x"}, "<bos>", "<eos>", true});
  expect_round_trips(tokenizer, 3);
}

TEST(RoundTrip, InvalidBytesBetweenWordsStayExact) {
  const auto tokenizer = byte_level_bpe(
      {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", true}});
  for (const std::string text : {std::string("the\xFF\xFEthe"), std::string("\x80"), std::string("caf\xC3"),
                                 std::string("\xE2\x82\xE2\x82\xAC"), std::string("a\0b", 3)}) {
    EXPECT_EQ(tokenizer->decode(tokenizer->encode(text, false)), text) << escaped(text);
  }
  // The invalid run is encoded as one piece, so its merge applies: \xFF\xFE is one token.
  EXPECT_EQ(tokenizer->encode("\xFF\xFE", false).size(), 1u);
}

}  // namespace
}  // namespace specrouter
