// Normalizers (NFC for Qwen2, NFD, Strip, regex Replace), seen through a tokenizer whose
// ids are the normalized bytes: byte alphabet, no merges, ByteLevel without regex.
#include <gtest/gtest.h>

#include "hf_json_builder.h"

namespace specrouter {
namespace {

using nlohmann::json;

// decode(encode(text)) = the normalized text.
class NormalizerTest : public ::testing::Test {
 protected:
  static std::unique_ptr<Tokenizer> with_normalizer(const json& normalizer) {
    json document = test::tokenizer_json(test::bpe_model(test::byte_level_vocab()));
    document["normalizer"] = normalizer;
    document["pre_tokenizer"] = {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", false}};
    document["decoder"] = {{"type", "ByteLevel"}};
    return test::load_json(document);
  }
  static std::string normalized(const Tokenizer& tokenizer, const std::string& text) {
    return tokenizer.decode(tokenizer.encode(text, false));
  }
  std::string nfc(const std::string& text) const { return normalized(*nfc_, text); }
  std::string nfd(const std::string& text) const { return normalized(*nfd_, text); }

  std::unique_ptr<Tokenizer> nfc_ = with_normalizer({{"type", "NFC"}});
  std::unique_ptr<Tokenizer> nfd_ = with_normalizer({{"type", "NFD"}});
};

TEST_F(NormalizerTest, NfcComposesBaseAndMark) {
  EXPECT_EQ(nfc("e\u0301"), "\u00e9");
  EXPECT_EQ(nfc("A\u030a"), "\u00c5");
  EXPECT_EQ(nfc("plain ASCII stays"), "plain ASCII stays");
  EXPECT_EQ(nfc("caf\u00e9"), "caf\u00e9");
}

TEST_F(NormalizerTest, NfcMapsSingletonsAndExclusions) {
  EXPECT_EQ(nfc("\u212b"), "\u00c5");         // ANGSTROM SIGN -> Å
  EXPECT_EQ(nfc("\u0958"), "\u0915\u093c");   // excluded from composition: stays decomposed
}

TEST_F(NormalizerTest, NfcReordersMarksAndStopsAtBlockedOnes) {
  // Ogonek (class 202) sorts before acute (230); A+ogonek composes, Ą+acute does not exist.
  EXPECT_EQ(nfc("A\u0328\u0301"), "\u0104\u0301");
  EXPECT_EQ(nfc("a\u0301\u0328"), "\u0105\u0301");
  EXPECT_EQ(nfc("q\u0307\u0323"), "q\u0323\u0307");
  EXPECT_EQ(nfc("\u1e0b\u0323"), "\u1e0d\u0307");  // ḋ + dot below -> ḍ + dot above
  EXPECT_EQ(nfc("e\u0301\u0301"), "\u00e9\u0301");
  EXPECT_EQ(nfc("\u0301e"), "\u0301e");  // a leading mark has no starter to join
  EXPECT_EQ(nfc("\u0b47\u0b3e"), "\u0b4b");  // two starters that compose
}

TEST_F(NormalizerTest, NfcComposesHangulJamo) {
  EXPECT_EQ(nfc("\u1100\u1161\u11a8"), "\uac01");
  EXPECT_EQ(nfc("\uac00\u11a8"), "\uac01");
  EXPECT_EQ(nfc("\u1100\u1161 \u1100"), "\uac00 \u1100");
}

TEST_F(NormalizerTest, NfdDecomposesFully) {
  EXPECT_EQ(nfd("\u00e9"), "e\u0301");
  EXPECT_EQ(nfd("\u00c5"), "A\u030a");
  EXPECT_EQ(nfd("\uac01"), "\u1100\u1161\u11a8");
  EXPECT_EQ(nfd("\u1e0b\u0323"), "d\u0323\u0307");
  EXPECT_EQ(nfd("\u01c4"), "\u01c4");  // DŽ has only a compatibility decomposition
}

TEST_F(NormalizerTest, StripRemovesUnicodeWhitespace) {
  const auto both = with_normalizer({{"type", "Strip"}, {"strip_left", true}, {"strip_right", true}});
  EXPECT_EQ(normalized(*both, " \u3000 a b \n\u00a0"), "a b");
  const auto right = with_normalizer({{"type", "Strip"}, {"strip_left", false}, {"strip_right", true}});
  EXPECT_EQ(normalized(*right, "  a  "), "  a");
}

TEST_F(NormalizerTest, RegexReplaceAndSequence) {
  const auto replace = with_normalizer(
      {{"type", "Sequence"},
       {"normalizers",
        {{{"type", "Replace"}, {"pattern", {{"Regex", R"(\s+)"}}}, {"content", "_"}}, {{"type", "Prepend"}, {"prepend", ">"}}}}});
  EXPECT_EQ(normalized(*replace, "a  b\n\nc"), ">a_b_c");
  EXPECT_EQ(normalized(*replace, ""), "");  // Prepend leaves empty text empty
}

}  // namespace
}  // namespace specrouter
