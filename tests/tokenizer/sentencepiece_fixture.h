#pragma once
// A small hand-built SentencePiece-style (Llama 2) tokenizer.json shared by the tests.

#include <cstdio>
#include <memory>

#include "hf_json_builder.h"

namespace specrouter::test::sentencepiece {

using nlohmann::json;
using Tokens = std::vector<std::string>;

// Ids: <unk> 0, <s> 1, </s> 2, <0x00>..<0xFF> 3..258, then the pieces below from 259.
inline constexpr TokenId kUnk = 0, kBos = 1, kEos = 2;
inline constexpr TokenId byte_token(unsigned char byte) { return 3 + byte; }
inline constexpr TokenId kSpace = 259, kA = 260, kB = 261, kC = 262, kSpaceA = 263, kSpaceAB = 264, kBC = 265, kH = 266,
                  kI = 267, kSpaceH = 268, kSpaceHi = 269;

inline json sentencepiece_model(bool byte_fallback, bool fuse_unk) {
  json vocab = {{"<unk>", 0}, {"<s>", 1}, {"</s>", 2}};
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof(name), "<0x%02X>", b);
    vocab[name] = byte_token(static_cast<unsigned char>(b));
  }
  const Tokens pieces = {"▁", "a", "b", "c", "▁a", "▁ab", "bc", "h", "i", "▁h", "▁hi"};
  for (std::size_t i = 0; i < pieces.size(); ++i) vocab[pieces[i]] = 259 + static_cast<int>(i);
  json model = test::bpe_model(vocab, {"▁ a", "▁a b", "b c", "▁ h", "▁h i"});
  model["unk_token"] = "<unk>";
  model["byte_fallback"] = byte_fallback;
  model["fuse_unk"] = fuse_unk;
  return model;
}

inline json llama2_decoder() {
  return {{"type", "Sequence"},
          {"decoders",
           {{{"type", "Replace"}, {"pattern", {{"String", "▁"}}}, {"content", " "}},
            {{"type", "ByteFallback"}},
            {{"type", "Fuse"}},
            {{"type", "Strip"}, {"content", " "}, {"start", 1}, {"stop", 0}}}}};
}

inline json bos_template() {
  return {{"type", "TemplateProcessing"},
          {"single", {{{"SpecialToken", {{"id", "<s>"}, {"type_id", 0}}}}, {{"Sequence", {{"id", "A"}, {"type_id", 0}}}}}},
          {"pair", json::array()},
          {"special_tokens", {{"<s>", {{"id", "<s>"}, {"ids", {1}}, {"tokens", {"<s>"}}}}}}};
}

inline json sentencepiece_document(bool byte_fallback = true, bool fuse_unk = true) {
  json document = test::tokenizer_json(sentencepiece_model(byte_fallback, fuse_unk));
  document["added_tokens"] = {test::added_token(0, "<unk>"), test::added_token(1, "<s>"), test::added_token(2, "</s>")};
  document["decoder"] = llama2_decoder();
  document["post_processor"] = bos_template();
  return document;
}

// Llama 2: normalizer Prepend("▁") + Replace(" " -> "▁"), no pre-tokenizer.
inline std::unique_ptr<Tokenizer> llama2(bool byte_fallback = true, bool fuse_unk = true) {
  json document = sentencepiece_document(byte_fallback, fuse_unk);
  document["normalizer"] = {
      {"type", "Sequence"},
      {"normalizers",
       {{{"type", "Prepend"}, {"prepend", "▁"}}, {{"type", "Replace"}, {"pattern", {{"String", " "}}}, {"content", "▁"}}}}};
  return load_json(document);
}

}  // namespace specrouter::test::sentencepiece
