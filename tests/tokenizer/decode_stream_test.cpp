// DecodeStream: printing tokens one by one never splits a UTF-8 character, and everything
// it prints adds up to decode(all ids).
#include <gtest/gtest.h>

#include <random>

#include "hf_json_builder.h"
#include "random_text.h"
#include "sentencepiece_fixture.h"
#include "specrouter/tokenizer/byte_tokenizer.h"
#include "specrouter/tokenizer/decode_stream.h"

namespace specrouter {
namespace {

using nlohmann::json;
using test::escaped;
using test::Ids;
namespace sp = test::sentencepiece;

// Byte b is id b: byte alphabet, no merges, ByteLevel without regex.
std::unique_ptr<Tokenizer> byte_alphabet() {
  json document = test::tokenizer_json(test::bpe_model(test::byte_level_vocab()));
  document["pre_tokenizer"] = {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", false}};
  document["decoder"] = {{"type", "ByteLevel"}};
  return test::load_json(document);
}

std::vector<std::string> stream_all(const Tokenizer& tokenizer, const Ids& ids, bool skip_special = false) {
  DecodeStream stream(tokenizer, skip_special);
  std::vector<std::string> pieces;
  for (const TokenId id : ids) pieces.push_back(stream.step(id));
  pieces.push_back(stream.flush());
  return pieces;
}

// Length of the well-formed UTF-8 character at text[pos], or 0 (Unicode Table 3-7).
std::size_t well_formed_length(const std::string& text, std::size_t pos) {
  const auto at = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = at(pos);
  if (lead < 0x80) return 1;
  std::size_t length = 0;
  unsigned char low = 0x80, high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) length = 2;
  else if (lead >= 0xE0 && lead <= 0xEF) length = 3, low = lead == 0xE0 ? 0xA0 : 0x80, high = lead == 0xED ? 0x9F : 0xBF;
  else if (lead >= 0xF0 && lead <= 0xF4) length = 4, low = lead == 0xF0 ? 0x90 : 0x80, high = lead == 0xF4 ? 0x8F : 0xBF;
  else return 0;
  if (pos + length > text.size() || at(pos + 1) < low || at(pos + 1) > high) return 0;
  for (std::size_t i = 2; i < length; ++i) {
    if ((at(pos + i) & 0xC0) != 0x80) return 0;
  }
  return length;
}

// True when byte offset `boundary` of `text` falls inside a well-formed multi-byte character.
bool splits_a_character(const std::string& text, std::size_t boundary) {
  for (std::size_t pos = 0; pos < text.size();) {
    const std::size_t length = well_formed_length(text, pos);
    if (length > 1 && boundary > pos && boundary < pos + length) return true;
    pos += length == 0 ? 1 : length;
  }
  return false;
}

TEST(DecodeStream, HoldsBackACharacterUntilItsLastByte) {
  const auto tokenizer = byte_alphabet();
  // "a€b" with € = E2 82 AC spread over three tokens.
  EXPECT_EQ(stream_all(*tokenizer, Ids{'a', 0xE2, 0x82, 0xAC, 'b'}),
            (std::vector<std::string>{"a", "", "", "€", "b", ""}));
}

TEST(DecodeStream, ReleasesBytesThatCanNeverCompleteACharacter) {
  const auto tokenizer = byte_alphabet();
  // E2 followed by 'x' is invalid: both come out with the 'x'. A lone continuation byte
  // (0x80) or an impossible lead byte (0xFF) comes out at once.
  EXPECT_EQ(stream_all(*tokenizer, Ids{0xE2, 'x', 0x80, 0xFF}), (std::vector<std::string>{"", "\xE2x", "\x80", "\xFF", ""}));
  // E0 80 can never be well-formed (overlong), so it is not held back.
  EXPECT_EQ(stream_all(*tokenizer, Ids{0xE0, 0x80}), (std::vector<std::string>{"", "\xE0\x80", ""}));
}

TEST(DecodeStream, FlushReturnsAnIncompleteTail) {
  const auto tokenizer = byte_alphabet();
  EXPECT_EQ(stream_all(*tokenizer, Ids{'o', 'k', 0xF0, 0x9F}), (std::vector<std::string>{"o", "k", "", "", "\xF0\x9F"}));
}

TEST(DecodeStream, RandomByteLevelStreamsAddUpToDecode) {
  const auto tokenizer = byte_alphabet();
  std::mt19937 rng(7);
  for (int i = 0; i < 300; ++i) {
    const std::string text = test::random_text(rng, 30);
    const Ids ids = tokenizer->encode(text, false);
    const std::vector<std::string> pieces = stream_all(*tokenizer, ids);
    std::string streamed;
    std::vector<std::size_t> boundaries;
    for (const std::string& piece : pieces) {
      streamed += piece;
      boundaries.push_back(streamed.size());
    }
    for (const std::size_t boundary : boundaries) {
      ASSERT_FALSE(splits_a_character(streamed, boundary)) << "cut at " << boundary << " of " << escaped(streamed);
    }
    ASSERT_EQ(streamed, tokenizer->decode(ids)) << escaped(text);
    ASSERT_EQ(streamed, text);
  }
}

TEST(DecodeStream, SentencePieceFirstTokenAndPrimedContext) {
  const auto tokenizer = sp::llama2();
  // Alone, the first token's "▁" is stripped like in decode(); later ones keep their space.
  EXPECT_EQ(stream_all(*tokenizer, Ids{sp::kSpaceHi, sp::kSpaceAB}), (std::vector<std::string>{"hi", " ab", ""}));
  // After the prompt, a first generated "▁ab" prints " ab".
  DecodeStream stream(*tokenizer);
  stream.prime(Ids{sp::kBos, sp::kSpaceHi});
  EXPECT_EQ(stream.step(sp::kSpaceAB), " ab");
  // Byte-fallback tokens of one character wait for each other.
  EXPECT_EQ(stream.step(sp::byte_token(0xE2)), "");
  EXPECT_EQ(stream.step(sp::byte_token(0x82)), "");
  EXPECT_EQ(stream.step(sp::byte_token(0xAC)), "€");
  EXPECT_EQ(stream.step(sp::kC), "c");
}

TEST(DecodeStream, SkippedSpecialTokensPrintNothingAndKeepSpacing) {
  const auto tokenizer = sp::llama2();
  const Ids ids = {sp::kBos, sp::kSpaceHi, sp::kEos, sp::kSpaceAB};
  EXPECT_EQ(stream_all(*tokenizer, ids, /*skip_special=*/true), (std::vector<std::string>{"", "hi", "", " ab", ""}));
  EXPECT_EQ(tokenizer->decode(ids, true), "hi ab");
  EXPECT_EQ(stream_all(*tokenizer, ids, /*skip_special=*/false),
            (std::vector<std::string>{"<s>", " hi", "</s>", " ab", ""}));
  EXPECT_EQ(tokenizer->decode(ids, false), "<s> hi</s> ab");
}

TEST(DecodeStream, ByteTokenizerStreams) {
  const ByteTokenizer tokenizer(ByteTokenizerOptions{{"<bos>", "<eos>"}, "<bos>", "<eos>", true});
  const Ids ids = tokenizer.encode("é!", true);  // <bos> C3 A9 !
  EXPECT_EQ(stream_all(tokenizer, ids, true), (std::vector<std::string>{"", "", "é", "!", ""}));
}

}  // namespace
}  // namespace specrouter
