// SentencePiece-style BPE (Llama 2, Mistral) on a hand-built tokenizer.json: "▁" for spaces,
// byte fallback to <0xNN> tokens, unknown-token fusing, Metaspace prefixing, and the
// Replace/ByteFallback/Fuse/Strip decoder. Encodings are worked out in the comments.
#include <gtest/gtest.h>

#include "hf_json_builder.h"
#include "sentencepiece_fixture.h"
#include "specrouter/tokenizer/tokenizer.h"

namespace specrouter {
namespace {

using nlohmann::json;
using namespace test::sentencepiece;
using test::Ids;
using test::load_json;
using test::tokens_of;
using Tokens = std::vector<std::string>;

TEST(SentencePieceBpe, SpacesBecomeMetaspaceAndMergeByRank) {
  const auto tokenizer = llama2();
  // "ab c" -> "▁ab▁c": (▁,a) rank 0 then (▁a,b) rank 1; the second ▁ and c have no merge.
  EXPECT_EQ(tokenizer->encode("ab c", false), (Ids{kSpaceAB, kSpace, kC}));
  // "bc" -> "▁bc": only (b,c) merges.
  EXPECT_EQ(tokenizer->encode("bc", false), (Ids{kSpace, kBC}));
  EXPECT_EQ(tokenizer->decode(Ids{kSpaceAB, kSpace, kC}), "ab c");
}

TEST(SentencePieceBpe, UnseenCharactersFallBackToBytes) {
  const auto tokenizer = llama2();
  // "é" is not a piece: its UTF-8 bytes C3 A9 become <0xC3> <0xA9>.
  EXPECT_EQ(tokenizer->encode("é", false), (Ids{kSpace, byte_token(0xC3), byte_token(0xA9)}));
  EXPECT_EQ(tokenizer->encode("a€", false), (Ids{kSpaceA, byte_token(0xE2), byte_token(0x82), byte_token(0xAC)}));
  EXPECT_EQ(tokenizer->decode(tokenizer->encode("a€ é", false)), "a€ é");
  // Bytes that do not form UTF-8 come back as they are (tokenizers would show U+FFFD).
  EXPECT_EQ(tokenizer->decode(Ids{byte_token(0xC3), kSpaceA}), "\xC3 a");
}

TEST(SentencePieceBpe, UnknownCharactersFuseIntoOneUnknownToken) {
  // Without byte fallback, "€€" is unknown: one <unk> when fused, two otherwise.
  EXPECT_EQ(llama2(false, true)->encode("a€€b", false), (Ids{kSpaceA, kUnk, kB}));
  EXPECT_EQ(llama2(false, false)->encode("a€€b", false), (Ids{kSpaceA, kUnk, kUnk, kB}));
  EXPECT_EQ(llama2(false, true)->encode("€", false), (Ids{kSpace, kUnk}));
}

TEST(SentencePieceBpe, BosTemplateAndSpecialTokensInText) {
  const auto tokenizer = llama2();
  // "hi" -> "▁hi": (▁,h) rank 3 then (▁h,i) rank 4.
  EXPECT_EQ(tokenizer->encode("hi", true), (Ids{kBos, kSpaceHi}));
  EXPECT_EQ(tokenizer->encode("hi", false), (Ids{kSpaceHi}));
  // Special tokens are cut out first; each remaining piece is normalized on its own, so
  // "ab" after </s> gets its own "▁".
  EXPECT_EQ(tokenizer->encode("hi</s>ab", false), (Ids{kSpaceHi, kEos, kSpaceAB}));
  EXPECT_EQ(tokenizer->decode(Ids{kBos, kSpaceHi, kEos}, false), "<s> hi</s>");
  EXPECT_EQ(tokenizer->decode(Ids{kBos, kSpaceHi, kEos}, true), "hi");
  EXPECT_EQ(tokenizer->bos_id(), kBos);
  EXPECT_EQ(tokenizer->eos_id(), kEos);
  EXPECT_EQ(tokenizer->id_to_token(byte_token(0x41)), "<0x41>");
}

TEST(SentencePieceBpe, MetaspacePrependFirstOnlyAtTheStartOfTheInput) {
  // Mistral: no normalizer, Metaspace(prepend_scheme=first, split=false).
  json document = sentencepiece_document();
  document["pre_tokenizer"] = {{"type", "Metaspace"}, {"replacement", "▁"}, {"prepend_scheme", "first"}, {"split", false}};
  const auto tokenizer = load_json(document);
  EXPECT_EQ(tokenizer->encode("hi", false), (Ids{kSpaceHi}));
  // After a leading special token the text does not start the input: no "▁".
  EXPECT_EQ(tokenizer->encode("<s>hi", false), (Ids{kBos, kH, kI}));
  // split=false keeps "▁hi▁ab" whole; merges still cannot cross the second ▁.
  EXPECT_EQ(tokenizer->encode("hi ab", false), (Ids{kSpaceHi, kSpaceAB}));
}

TEST(SentencePieceBpe, MetaspaceAlwaysSplitsBeforeEachReplacement) {
  json document = sentencepiece_document();
  document["pre_tokenizer"] = {{"type", "Metaspace"}, {"replacement", "▁"}, {"prepend_scheme", "always"}, {"split", true}};
  document["decoder"] = {{"type", "Metaspace"}, {"replacement", "▁"}, {"prepend_scheme", "always"}, {"split", true}};
  const auto tokenizer = load_json(document);
  // "a  b" -> "▁a▁▁b" -> pieces "▁a", "▁", "▁b" -> ▁a | ▁ | ▁ b.
  EXPECT_EQ(tokenizer->encode("a  b", false), (Ids{kSpaceA, kSpace, kSpace, kB}));
  // After a special token, "always" still prepends.
  EXPECT_EQ(tokenizer->encode("</s>hi", false), (Ids{kEos, kSpaceHi}));
  // The Metaspace decoder drops the replacement in the first token only.
  EXPECT_EQ(tokenizer->decode(Ids{kSpaceA, kSpace, kSpace, kB}), "a  b");
  EXPECT_EQ(tokenizer->decode(Ids{kA, kSpaceA}), "a a");
}

TEST(SentencePieceBpe, OlderAddPrefixSpaceSpellingOfMetaspace) {
  json document = sentencepiece_document();
  document["pre_tokenizer"] = {{"type", "Metaspace"}, {"replacement", "▁"}, {"add_prefix_space", false}};
  const auto tokenizer = load_json(document);
  EXPECT_EQ(tokenizer->encode("hi ab", false), (Ids{kH, kI, kSpaceAB}));
}

}  // namespace
}  // namespace specrouter
