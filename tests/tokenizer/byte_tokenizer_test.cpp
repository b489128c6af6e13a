// ByteTokenizer: one token per byte plus special tokens, built in code or from JSON.
#include <gtest/gtest.h>

#include "specrouter/error.h"
#include "specrouter/tokenizer/byte_tokenizer.h"
#include "tokenizer_test_support.h"

namespace specrouter {
namespace {

using test::Ids;

ByteTokenizerOptions options() { return ByteTokenizerOptions{{"<bos>", "<eos>", "<pad>"}, "<bos>", "<eos>", true}; }

TEST(ByteTokenizer, BytesAreTheirOwnIdsAndSpecialsFollow) {
  const ByteTokenizer tokenizer(options());
  EXPECT_EQ(tokenizer.vocab_size(), 259);
  EXPECT_EQ(tokenizer.encode("Hi\xFF", false), (Ids{'H', 'i', 0xFF}));
  EXPECT_EQ(tokenizer.encode("Hi", true), (Ids{256, 'H', 'i'}));
  EXPECT_EQ(tokenizer.bos_id(), 256);
  EXPECT_EQ(tokenizer.eos_id(), 257);
  EXPECT_TRUE(tokenizer.is_special(258));
  EXPECT_FALSE(tokenizer.is_special(255));
}

TEST(ByteTokenizer, SpecialTokensInTextAreRecognised) {
  const ByteTokenizer tokenizer(options());
  EXPECT_EQ(tokenizer.encode("a<eos>b<pad", false), (Ids{'a', 257, 'b', '<', 'p', 'a', 'd'}));
  EXPECT_EQ(tokenizer.decode(Ids{256, 'a', 257}, false), "<bos>a<eos>");
  EXPECT_EQ(tokenizer.decode(Ids{256, 'a', 257}, true), "a");
  EXPECT_EQ(tokenizer.decode(Ids{'a', 259, -3, 'b'}, false), "ab");  // unknown ids dropped
}

TEST(ByteTokenizer, TokenSpellings) {
  const ByteTokenizer tokenizer(options());
  EXPECT_EQ(tokenizer.id_to_token(0x41), "<0x41>");
  EXPECT_EQ(tokenizer.id_to_token(257), "<eos>");
  EXPECT_EQ(tokenizer.id_to_token(259), std::nullopt);
  EXPECT_EQ(tokenizer.token_to_id("<0xFF>"), 255);
  EXPECT_EQ(tokenizer.token_to_id("<0xff>"), std::nullopt);
  EXPECT_EQ(tokenizer.token_to_id("<pad>"), 258);
  EXPECT_EQ(tokenizer.token_to_id("A"), std::nullopt);
}

TEST(ByteTokenizer, NoBosWhenDisabledOrAbsent) {
  ByteTokenizerOptions no_bos = options();
  no_bos.add_bos = false;
  EXPECT_EQ(ByteTokenizer(no_bos).encode("x", true), (Ids{'x'}));
  EXPECT_EQ(ByteTokenizer(ByteTokenizerOptions{}).encode("x", true), (Ids{'x'}));
  EXPECT_EQ(ByteTokenizer(ByteTokenizerOptions{}).vocab_size(), 256);
}

TEST(ByteTokenizer, RejectsInconsistentOptions) {
  EXPECT_THROW(ByteTokenizer(ByteTokenizerOptions{{"<a>"}, "<b>", "", true}), ConfigError);
  EXPECT_THROW(ByteTokenizer(ByteTokenizerOptions{{"<a>", "<a>"}, "", "", true}), ConfigError);
  EXPECT_THROW(ByteTokenizer(ByteTokenizerOptions{{""}, "", "", true}), ConfigError);
}

TEST(ByteTokenizer, LoadsFromItsJsonFile) {
  test::TempDir dir;
  dir.write("tokenizer.json",
            R"({"specrouter_tokenizer": "bytes", "special_tokens": ["<s>", "</s>"], "bos_token": "<s>",
                "eos_token": "</s>", "add_bos": true})");
  const auto tokenizer = load_tokenizer(dir.path());  // the folder
  EXPECT_EQ(tokenizer->encode("ok</s>", true), (Ids{256, 'o', 'k', 257}));
  EXPECT_EQ(tokenizer->eos_id(), 257);
  EXPECT_EQ(tokenizer->vocab_size(), 258);
}

}  // namespace
}  // namespace specrouter
